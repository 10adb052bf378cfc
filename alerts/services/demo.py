"""Seed the demo household in every app, lowest layer first."""

from __future__ import annotations

from datetime import date

from alerts.services.evaluation import alerts_evaluate
from alerts.services.recompute import pending_recompute_run
from alerts.services.rules import alert_rules_create_defaults
from income.services.demo import demo_income_seed
from portfolios.services.demo import DemoSeedResult, demo_seed


def demo_household_seed(*, today: date | None = None, reset: bool = False) -> DemoSeedResult:
    """Create the demo household (user demo/demo) unless it exists; return what was done.

    1. The household, its accounts, securities, closes, history and dividend events
       (``portfolios.services.demo``).
    2. Everything derived from them: ledger, valuations, projections (the recompute chain).
    3. The default alert rules, evaluated once (the REIT's dividend cut opens an alert).
    4. Income settings and a year of month-start projections, for the income pages.
    """
    result = demo_seed(today=today, reset=reset)
    if not result.created:
        return result
    household = result.household
    pending_recompute_run(household_id=household.pk, full=True)
    alert_rules_create_defaults(household=household)
    alerts_evaluate(household=household)
    demo_income_seed(household=household, today=today)
    return result
