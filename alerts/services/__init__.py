"""Writes of the top layer: alert evaluation and delivery (``evaluation``)."""

from alerts.services.evaluation import (
    EvaluationResult,
    alert_acknowledge,
    alert_rules_create_defaults,
    alerts_evaluate,
)

__all__ = [
    "EvaluationResult",
    "alert_acknowledge",
    "alert_rules_create_defaults",
    "alerts_evaluate",
]
