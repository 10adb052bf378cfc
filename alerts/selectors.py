"""Reads for alerts: the facts rules are evaluated against, and the household's episodes."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Max, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from alerts.calculations import HouseholdFacts, LotFact, PositionFact
from alerts.models import AlertEpisode
from portfolios.models import Account, Household, Price, TaxLot
from portfolios.selectors.accounts import account_cash_balances
from portfolios.selectors.securities import security_profiles
from portfolios.services.ledger import ledger_refresh_if_stale


def alert_list(*, household: Household, status: str | None = None) -> QuerySet[AlertEpisode]:
    """Return the household's alert episodes, newest first, optionally by status."""
    episodes = AlertEpisode.objects.filter(household=household).select_related("rule")
    if status == AlertEpisode.Status.OPEN:
        episodes = episodes.filter(resolved_at__isnull=True, acknowledged_at__isnull=True)
    elif status == AlertEpisode.Status.ACKNOWLEDGED:
        episodes = episodes.filter(resolved_at__isnull=True, acknowledged_at__isnull=False)
    elif status == AlertEpisode.Status.RESOLVED:
        episodes = episodes.filter(resolved_at__isnull=False)
    return episodes


def household_facts(*, household: Household, today: date | None = None) -> HouseholdFacts:
    """Gather what the alert rules look at, from stored (derived) rows only."""
    today = today or timezone.localdate()
    ledger_refresh_if_stale(household=household)  # never judge yesterday's lots
    latest_close = Price.objects.filter(security=OuterRef("security_id")).order_by("-date")
    lots = list(
        TaxLot.objects.filter(household=household)
        .select_related("account", "security")
        .annotate(close=Subquery(latest_close.values("close")[:1]))
    )
    cash = sum(account_cash_balances(household=household).values(), Decimal(0))
    value_by_symbol: dict[str, Decimal] = defaultdict(Decimal)
    lot_facts = []
    views = security_profiles(household=household, security_ids={lot.security_id for lot in lots})
    kinds = {lot.security.symbol: views[lot.security_id].kind for lot in lots}
    for lot in lots:
        market_value = lot.quantity * (lot.close or Decimal(0))
        value_by_symbol[lot.security.symbol] += market_value
        if lot.account.tax_treatment != Account.TaxTreatment.TAXABLE:
            continue  # a loss inside an IRA or Roth has no tax value to harvest
        lot_facts.append(
            LotFact(
                account=lot.account.name,
                symbol=lot.security.symbol,
                acquired=lot.acquired,
                cost_basis=lot.cost_basis,
                market_value=market_value,
            )
        )
    total = sum(value_by_symbol.values(), Decimal(0)) + cash
    positions = [
        PositionFact(symbol=symbol, weight=value / total, kind=kinds[symbol])
        for symbol, value in sorted(value_by_symbol.items())
        if total > 0
    ]
    held_ids = {lot.security_id for lot in lots}
    last_price = dict(
        Price.objects.filter(security_id__in=held_ids)
        .values("security__symbol")
        .annotate(last=Max("date"))
        .values_list("security__symbol", "last")
    )
    days_without_price = {
        symbol: (today - last_price[symbol]).days if symbol in last_price else 9999
        for symbol, kind in kinds.items()
        if kind != "cash"
    }
    return HouseholdFacts(
        positions=positions,
        lots=lot_facts,
        days_without_price=days_without_price,
        dividend_changes=_dividend_changes(household, today),
        projected_income=_projected_income(household, today),
        monthly_target=household.monthly_income_target,
        reserve_months=_reserve_months(household),
        drawdown=_drawdown(household),
    )


def _dividend_changes(household: Household, today: date) -> dict[str, Decimal]:
    """Return each held security's latest dividend change, where it fell (the income app's
    rule and events, which include dividends inferred from what the household received)."""
    from income.calculations import detect_dividend_cuts
    from income.selectors.holdings import income_inputs

    inputs = income_inputs(household=household, today=today)
    # Threshold 0: every fall; each alert rule applies its own threshold.
    cuts = detect_dividend_cuts(inputs.dividend_events, threshold=Decimal(0))
    return {inputs.symbols.get(cut.security_id, ""): cut.change for cut in cuts}


def _projected_income(household: Household, today: date) -> dict[date, Decimal]:
    """Return the next three months' stored projection, if the income app has one."""
    try:
        from income.models import ProjectedPayment
    except ImportError:  # the income app's stored projection is optional here
        return {}
    first = today.replace(day=1)
    months = [first]
    for _ in range(2):
        last = months[-1]
        months.append(date(last.year + (last.month == 12), last.month % 12 + 1, 1))
    totals = (
        ProjectedPayment.objects.filter(household=household, month__in=months)
        .exclude(source="bond_principal")
        .values("month")
        .annotate(total=Sum("amount"))
    )
    projected = {month: Decimal(0) for month in months[1:]}
    projected.update({row["month"]: row["total"] for row in totals if row["month"] != first})
    return projected


def _reserve_months(household: Household) -> Decimal | None:
    """Return cash in cash accounts divided by the household's monthly income target."""
    if household.monthly_income_target <= 0:
        return None
    balances = account_cash_balances(household=household)
    cash_accounts = Account.objects.filter(household=household, type=Account.Type.CASH)
    reserve = sum(
        (balances.get(pk, Decimal(0)) for pk in cash_accounts.values_list("pk", flat=True)),
        Decimal(0),
    )
    return reserve / household.monthly_income_target


def _drawdown(household: Household) -> Decimal | None:
    """Return the household's current fall below its peak, from the stored valuation series."""
    try:
        from reporting.selectors.performance import current_drawdown
    except ImportError:  # valuations are optional here
        return None
    return current_drawdown(household=household)
