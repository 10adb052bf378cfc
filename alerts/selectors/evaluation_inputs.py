"""Whether a household's alert rules could find anything new: the fingerprint of their inputs.

The rules read derived rows (lots, valuation series, the income projection), the household's
policy, accounts and classifications, the rules themselves, and the household's day (stale
prices and moves count sessions up to it). Each of these records when it last changed, so one
query tells whether anything the rules read moved since the last evaluation.
"""

from datetime import date

from django.db.models import Count, F, Max, OuterRef, Subquery, Value

from alerts.models import AlertEvaluationState, AlertRule
from income.models import ProjectionState
from portfolios.models import Account, Household, LedgerState, SecurityProfile
from reporting.models import ValuationSeries


def _latest(model, field: str, household_field: str = "household"):
    rows = model.objects.filter(**{household_field: OuterRef("pk")}).order_by()
    rows = rows.annotate(group=Value(1)).values("group")
    return Subquery(rows.annotate(value=Max(field)).values("value"))


def _count(model):
    rows = model.objects.filter(household=OuterRef("pk")).order_by()
    rows = rows.annotate(group=Value(1)).values("group")
    return Subquery(rows.annotate(value=Count("pk")).values("value"))


def evaluation_fingerprint(*, household: Household, today: date) -> str:
    """Return the fingerprint of everything the household's rules read, on ``today``."""
    parts = {
        "fp_updated": F("updated_at"),  # the policy: targets, limits, reserve
        "fp_ledger": _latest(LedgerState, "rebuilt_at"),
        "fp_series": _latest(ValuationSeries, "computed_at"),
        "fp_projection": _latest(ProjectionState, "computed_at"),
        "fp_rules": _latest(AlertRule, "updated_at"),
        "fp_rule_count": _count(AlertRule),
        "fp_accounts": _latest(Account, "updated_at"),
        "fp_account_count": _count(Account),
        "fp_profiles": _latest(SecurityProfile, "updated_at"),
    }
    row = Household.objects.filter(pk=household.pk).annotate(**parts).values(*parts).get()
    return "|".join([today.isoformat(), *(str(row[key]) for key in parts)])


def evaluation_is_current(*, household: Household, fingerprint: str) -> bool:
    """Return whether the rules were last evaluated on exactly these inputs."""
    return AlertEvaluationState.objects.filter(
        household=household, inputs_fingerprint=fingerprint
    ).exists()
