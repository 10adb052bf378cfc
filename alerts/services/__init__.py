"""Writes of the top layer: rule evaluation, alert delivery, rules and e-mail choices, and
the weekly income e-mail."""

from alerts.services.delivery import alert_digests_send, alert_digests_send_all
from alerts.services.evaluation import EvaluationResult, alert_acknowledge, alerts_evaluate
from alerts.services.rules import (
    alert_rule_create,
    alert_rule_update,
    alert_rules_create_defaults,
    email_choices_update,
)

__all__ = [
    "EvaluationResult",
    "alert_acknowledge",
    "alert_digests_send",
    "alert_digests_send_all",
    "alert_rule_create",
    "alert_rule_update",
    "alert_rules_create_defaults",
    "alerts_evaluate",
    "email_choices_update",
]
