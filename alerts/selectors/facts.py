"""What the alert rules look at, read from stored (derived) rows only.

Every figure comes from the selector the matching page uses (holdings, allocation, income
projection, stored valuation series), so an alert says what the page shows. This module
never writes: ``alerts.services.freshness`` brings the derived rows up to date first.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from alerts.calculations import (
    AllocationFact,
    ClosedMonthFact,
    HarvestFact,
    HouseholdFacts,
    PositionFact,
    PriceMoveFact,
)
from alerts.calculations.market_moves import fall_from_peak, last_move, volatility_pair
from income.calculations import add_months, first_of_month
from income.models import ProjectionSnapshot
from income.selectors import dividend_cuts, projected_income_by_month, received_payments
from portfolios.models import Account, Household, Price, TaxLot
from portfolios.selectors.allocation import allocation_list
from portfolios.selectors.as_of import lot_values
from portfolios.selectors.ledger import HoldingsReport, closes_on, holdings_report
from portfolios.selectors.securities import security_profiles
from reporting.calculations.sessions import trading_day_level_values
from reporting.models import ValuationSeries
from reporting.selectors.market import stale_securities
from reporting.selectors.series import StoredSeries, series_list

ZERO = Decimal(0)
PRICE_HISTORY_DAYS = 400  # a year of sessions and the weeks before it
MOVE_MAX_AGE_DAYS = 7  # an older last close is a stale price, not a move
PROJECTION_MONTHS = 12  # as the income page
TAXABLE_TYPES = [
    kind
    for kind, treatment in Account.TAX_TREATMENT_BY_TYPE.items()
    if treatment == Account.TaxTreatment.TAXABLE
]


def household_facts(*, household: Household, today: date) -> HouseholdFacts:
    """Return the facts of the household on its local day ``today``."""
    report = holdings_report(household=household, as_of=today)
    # The household's own view of each security (its kind), not another household's.
    securities = {
        pk: (view.symbol, view.kind)
        for pk, view in security_profiles(
            household=household, security_ids={h.security_id for h in report.holdings}
        ).items()
    }
    total = report.total
    accounts = dict(Account.objects.filter(household=household).values_list("pk", "name"))
    account_values = {accounts[pk]: cash for pk, cash in report.cash_by_account.items()}
    by_symbol: dict[str, list] = defaultdict(lambda: [ZERO, set()])
    for holding in report.holdings:
        value = holding.market_value or ZERO
        account_values[holding.account] = account_values.get(holding.account, ZERO) + value
        by_symbol[holding.symbol][0] += value
        by_symbol[holding.symbol][1].add(holding.account)
    kinds = {symbol: kind for symbol, kind in securities.values()}
    positions = [
        PositionFact(
            symbol=symbol,
            weight=value / total if total > 0 else ZERO,
            market_value=value,
            kind=kinds.get(symbol, "stock"),
            accounts=tuple(sorted(names)),
        )
        for symbol, (value, names) in sorted(by_symbol.items())
    ]
    closes = _closes(list(securities), today)
    # The household's and every account's stored series, read and decoded once for the
    # volatility and the drawdowns.
    stored = series_list(
        household=household, scopes=(ValuationSeries.Scope.HOUSEHOLD, ValuationSeries.Scope.ACCOUNT)
    )
    return HouseholdFacts(
        currency=household.base_currency,
        total_value=total,
        positions=positions,
        asset_classes=_allocation(household, "asset_class", today, report),
        sleeves=_allocation(household, "sleeve", today, report),
        account_values=account_values,
        harvest=_harvest(household, today),
        sessions_without_price={
            stale.symbol: stale.sessions_missing
            for stale in stale_securities(household=household, as_of=today, sessions=0)
        },
        dividend_changes=_dividend_changes(household, today),
        price_moves=_price_moves(closes, securities, today),
        volatility=_volatility(closes, securities, stored),
        expected_income=_expected_income(household, today),
        closed_months=_closed_months(household, today),
        monthly_target=household.monthly_income_target,
        reserve_months=_reserve_months(household, report.cash_by_account),
        policy_reserve_months=household.cash_reserve_months,
        policy_max_weight=household.max_position_weight,
        drawdowns=_drawdowns(stored),
    )


def _allocation(
    household: Household, by: str, today: date, report: HoldingsReport
) -> list[AllocationFact]:
    """Return the groups with a target; ``report`` is the household's holdings on ``today``
    (read once for the facts, not again for each grouping)."""
    return [
        AllocationFact(row.group, row.weight, row.target, row.band)
        for row in allocation_list(household=household, by=by, as_of=today, report=report)
        if row.target is not None and row.band is not None
    ]


def _harvest(household: Household, today: date) -> list[HarvestFact]:
    """Return each position in a taxable account with the loss of its lots below basis.

    A position is one security in one account: selling its losing lots (specific
    identification) realises their losses together, so the rule looks at their sum. Lots
    are valued as on the lots page: the position at the close on or before ``today``, its
    lots sharing that value in their order (``lot_values``); a lot of unknown basis has no
    known loss. One values query, not a model per lot.
    """
    rows = (
        TaxLot.objects.filter(
            household=household,
            quantity__gt=0,
            account__type__in=TAXABLE_TYPES,  # a loss inside an IRA or Roth saves no tax
        )
        .order_by("account_id", "security_id", "acquired", "lot_key")
        .values_list(
            "account__name",
            "security_id",
            "security__symbol",
            "quantity",
            "cost_basis",
            "basis_unknown",
        )
    )
    positions: dict[tuple[str, int, str], list] = defaultdict(list)
    for account, security_id, symbol, quantity, cost_basis, unknown in rows:
        positions[(account, security_id, symbol)].append((quantity, cost_basis, unknown))
    prices = closes_on(security_ids={key[1] for key in positions}, as_of=today)
    losses: dict[tuple[str, str], list] = defaultdict(lambda: [ZERO, 0])
    for (account, security_id, symbol), lots in positions.items():
        price = prices.get(security_id)
        if price is None:
            continue
        values = lot_values((quantity for quantity, _, _ in lots), price)
        for (_, cost_basis, unknown), value in zip(lots, values, strict=True):
            if unknown or value >= cost_basis:
                continue
            entry = losses[(account, symbol)]
            entry[0] += cost_basis - value
            entry[1] += 1
    return [
        HarvestFact(account, symbol, loss, count)
        for (account, symbol), (loss, count) in sorted(losses.items())
    ]


def _closes(security_ids: list[int], today: date) -> dict[int, list[tuple[date, Decimal]]]:
    """Return each security's closes of the last PRICE_HISTORY_DAYS, oldest first."""
    closes: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    rows = (
        Price.objects.filter(
            security_id__in=security_ids,
            date__gt=today - timedelta(days=PRICE_HISTORY_DAYS),
            date__lte=today,
        )
        .order_by("security_id", "date")
        .values_list("security_id", "date", "close")
    )
    for security_id, day, close in rows:
        closes[security_id].append((day, close))
    return closes


def _price_moves(closes, securities, today: date) -> list[PriceMoveFact]:
    moves = []
    for security_id, series in sorted(closes.items()):
        symbol, kind = securities[security_id]
        if kind in ("cash", "money_market"):
            continue
        move = last_move(series)
        if move is None or move[0] < today - timedelta(days=MOVE_MAX_AGE_DAYS):
            continue
        moves.append(PriceMoveFact(symbol, *move))
    return sorted(moves, key=lambda move: move.symbol)


def _volatility(closes, securities, stored: list[StoredSeries]) -> dict[str, tuple[float, float]]:
    result = {}
    for security_id, series in closes.items():
        pair = volatility_pair([float(close) for _, close in series])
        if pair is not None:
            result[securities[security_id][0]] = pair
    household_series = [s for s in stored if s.scope == ValuationSeries.Scope.HOUSEHOLD]
    if household_series:
        series = household_series[0].series
        start = max(0, len(series) - PRICE_HISTORY_DAYS)
        levels = trading_day_level_values(
            series.twr_index[start:], series.start + timedelta(days=start)
        )
        pair = volatility_pair(list(levels))
        if pair is not None:
            result["household"] = pair
    return result


def _drawdowns(stored: list[StoredSeries]) -> dict[str, Decimal]:
    """Return the household's and each account's fall below the peak of its TWR index
    (``stored``: their stored series)."""
    result = {}
    for part in stored:
        fall = fall_from_peak(list(part.series.twr_index))
        if fall is None:
            continue
        name = "household" if part.scope == ValuationSeries.Scope.HOUSEHOLD else part.label
        result[name] = fall
    return result


def _dividend_changes(household: Household, today: date) -> dict[str, Decimal]:
    """Return each held security's latest dividend change, where it fell (the income app's
    rule and events, which include dividends inferred from what the household received)."""
    # Threshold 0: every fall; each alert rule applies its own threshold. Only each
    # security's last two events decide, so only those are read.
    cuts = dividend_cuts(household=household, today=today, threshold=Decimal(0))
    return {cut.symbol: cut.change for cut in cuts}


def _expected_income(household: Household, today: date) -> dict[date, Decimal]:
    """Return the income page's expected income: this month's received so far plus what is
    still projected, then the projection of each month ahead (12 months in all)."""
    expected = projected_income_by_month(household=household, today=today, months=PROJECTION_MONTHS)
    current = first_of_month(today)
    received = received_payments(household=household, start=current, end=today).income
    expected[current] = expected.get(current, ZERO) + sum((p.amount for p in received), ZERO)
    return expected


def _closed_months(household: Household, today: date) -> list[ClosedMonthFact]:
    """Return the last closed month's income against the projection kept when it started."""
    month = add_months(first_of_month(today), -1)
    snapshot = ProjectionSnapshot.objects.filter(household=household, month=month).first()
    if snapshot is None:
        return []
    received = received_payments(
        household=household, start=month, end=first_of_month(today) - timedelta(days=1)
    ).income
    return [ClosedMonthFact(month, sum((p.amount for p in received), ZERO), snapshot.total)]


def _reserve_months(household: Household, balances: dict[int, Decimal]) -> Decimal | None:
    """Return cash in cash accounts divided by the household's monthly income target."""
    if household.monthly_income_target <= 0:
        return None
    cash_accounts = Account.objects.filter(household=household, type=Account.Type.CASH)
    reserve = sum(
        (balances.get(pk, ZERO) for pk in cash_accounts.values_list("pk", flat=True)), ZERO
    )
    return reserve / household.monthly_income_target
