"""Writes of alert rules and of each member's e-mail choices."""

from datetime import time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from alerts.calculations import POLICY_KINDS, SCOPES
from alerts.models import AlertEpisode, AlertRule, EmailPreference
from portfolios.models import Account, Household, Membership, Security, Sleeve

# kind, scope, threshold (None: the household policy's value). value_level has no default:
# a level only means something for one household.
DEFAULT_RULES: tuple[tuple[str, str, Decimal | None], ...] = (
    (AlertRule.Kind.ALLOCATION_DRIFT, "household", None),
    (AlertRule.Kind.ALLOCATION_DRIFT, "sleeve", None),
    (AlertRule.Kind.POSITION_WEIGHT, "security", None),
    (AlertRule.Kind.DRAWDOWN, "household", Decimal(15)),
    (AlertRule.Kind.PRICE_MOVE, "security", Decimal(8)),
    (AlertRule.Kind.INCOME_SHORTFALL, "household", Decimal(10)),
    (AlertRule.Kind.DIVIDEND_CUT, "security", Decimal(10)),
    (AlertRule.Kind.STALE_PRICE, "security", Decimal(5)),
    (AlertRule.Kind.CASH_RESERVE, "household", None),
    (AlertRule.Kind.HARVESTABLE_LOSS, "security", Decimal(1000)),
    (AlertRule.Kind.VOLATILITY_SPIKE, "security", Decimal(2)),
)
RULE_FIELDS = ("kind", "scope", "scope_name", "threshold", "direction", "enabled", "notify_email")


def alert_rules_create_defaults(*, household: Household) -> list[AlertRule]:
    """Give a household the default rules it does not have yet; return its rules."""
    for kind, scope, threshold in DEFAULT_RULES:
        AlertRule.objects.get_or_create(
            household=household,
            kind=kind,
            scope=scope,
            scope_name="",
            direction=AlertRule.Direction.BELOW,
            defaults={"threshold": threshold},
        )
    return list(AlertRule.objects.filter(household=household))


def _validated(household: Household, fields: dict) -> dict:
    """Return the rule's fields checked against its kind; raise naming each bad field."""
    errors: dict[str, list[str]] = {}
    kind = fields.get("kind")
    if kind not in AlertRule.Kind.values:
        errors["kind"] = [f"must be one of {', '.join(AlertRule.Kind.values)}"]
        raise ValidationError(errors)
    scope = fields.get("scope") or SCOPES[kind][0]
    if scope not in SCOPES[kind]:
        errors["scope"] = [f"{kind} watches {' or '.join(SCOPES[kind])}, not {scope!r}"]
    threshold = fields.get("threshold")
    if threshold is None and kind not in POLICY_KINDS:
        errors["threshold"] = [f"{kind} needs a threshold"]
    elif threshold is not None and threshold < 0:
        errors["threshold"] = ["must be zero or more"]
    name = (fields.get("scope_name") or "").strip()
    if name and "scope" not in errors and not _scope_name_exists(household, scope, name):
        errors["scope_name"] = [f"no {scope} named {name!r} in this household"]
    if name and scope == "household":
        errors["scope_name"] = ["the household scope takes no name"]
    direction = fields.get("direction") or AlertRule.Direction.BELOW
    if direction not in AlertRule.Direction.values:
        errors["direction"] = ["must be below or above"]
    if errors:
        raise ValidationError(errors)
    return {**fields, "scope": scope, "scope_name": name, "direction": direction}


def _scope_name_exists(household: Household, scope: str, name: str) -> bool:
    if scope == "sleeve":
        return Sleeve.objects.filter(household=household, name__iexact=name).exists()
    if scope == "account":
        return Account.objects.filter(household=household, name__iexact=name).exists()
    if scope == "security":
        return Security.objects.filter(
            symbol__iexact=name, transactions__account__household=household
        ).exists()
    return False


@transaction.atomic
def alert_rule_create(*, household: Household, fields: dict) -> AlertRule:
    """Create a rule from ``fields`` (RULE_FIELDS); raise ValidationError naming bad fields."""
    clean = _validated(household, {k: v for k, v in fields.items() if k in RULE_FIELDS})
    try:
        with transaction.atomic():
            return AlertRule.objects.create(household=household, **clean)
    except IntegrityError:
        raise ValidationError(
            {"scope_name": ["this household already has that rule; change its threshold"]}
        ) from None


@transaction.atomic
def alert_rule_update(*, rule: AlertRule, fields: dict) -> AlertRule:
    """Change a rule; its open episodes are resolved when it is switched off or re-scoped,
    and the next evaluation opens what the new settings find."""
    merged = {field: getattr(rule, field) for field in RULE_FIELDS}
    merged |= {k: v for k, v in fields.items() if k in RULE_FIELDS}
    clean = _validated(rule.household, merged)
    changed = [field for field in RULE_FIELDS if getattr(rule, field) != clean[field]]
    if not changed:
        return rule
    for field in changed:
        setattr(rule, field, clean[field])
    try:
        with transaction.atomic():
            rule.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        raise ValidationError(
            {"scope_name": ["this household already has that rule; change its threshold"]}
        ) from None
    if {"enabled", "kind", "scope", "scope_name", "direction"} & set(changed):
        from django.utils import timezone

        now = timezone.now()
        AlertEpisode.objects.filter(rule=rule, resolved_at__isnull=True).update(
            resolved_at=now, updated_at=now
        )
    return rule


@transaction.atomic
def email_choices_update(
    *,
    membership: Membership,
    weekly_report: bool,
    alert_kinds: list[str],
    quiet_start: time | None,
    quiet_end: time | None,
) -> EmailPreference:
    """Set which e-mails a member gets and their quiet hours (household time)."""
    unknown = sorted(set(alert_kinds) - set(AlertRule.Kind.values))
    if unknown:
        raise ValidationError({"alert_kinds": [f"unknown kinds: {', '.join(unknown)}"]})
    if (quiet_start is None) != (quiet_end is None):
        raise ValidationError({"quiet_end": ["give both ends of the quiet hours, or neither"]})
    Membership.objects.filter(pk=membership.pk).update(weekly_report=weekly_report)
    membership.weekly_report = weekly_report
    kinds = [kind for kind in AlertRule.Kind.values if kind in set(alert_kinds)]
    preference, _ = EmailPreference.objects.update_or_create(
        membership=membership,
        defaults={"alert_kinds": kinds, "quiet_start": quiet_start, "quiet_end": quiet_end},
    )
    return preference
