"""Reads of the top layer: episodes and rules, the facts rules look at, the weekly e-mail's
figures and the quarterly review."""

from alerts.selectors.episodes import (
    ALL_KINDS,
    alert_list,
    alert_rule_list,
    alerts_in_period,
    email_choices_list,
    open_alert_count,
)

__all__ = [
    "ALL_KINDS",
    "alert_list",
    "alert_rule_list",
    "alerts_in_period",
    "email_choices_list",
    "open_alert_count",
]
