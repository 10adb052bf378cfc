"""Writes of the top layer: rule evaluation, alert delivery, rules and e-mail choices, and
the weekly income e-mail."""

import importlib

# Each name is imported on first use (PEP 562): ``manage.py recompute`` imports
# ``alerts.services.recompute``, and the evaluation's imports (pandas, the exchange
# calendar) cost about a second of start-up that a recompute with nothing to do never needs.
_HOMES = {
    "EvaluationResult": "alerts.services.evaluation",
    "alert_acknowledge": "alerts.services.evaluation",
    "alert_digests_send": "alerts.services.delivery",
    "alert_digests_send_all": "alerts.services.delivery",
    "alert_rule_create": "alerts.services.rules",
    "alert_rule_update": "alerts.services.rules",
    "alert_rules_create_defaults": "alerts.services.rules",
    "alerts_evaluate": "alerts.services.evaluation",
    "email_choices_update": "alerts.services.rules",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
