"""Reads behind the income pages: the overview, per-holding yields and the bond ladder."""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from income.calculations import (
    NOT_INCOME,
    AfterTaxIncome,
    LadderYear,
    MonthShortfall,
    PaycheckCoverage,
    Reliability,
    YearOverYear,
    add_months,
    after_tax_income,
    bond_ladder,
    current_yield,
    dividend_growth,
    first_of_month,
    months_short,
    paycheck_coverage,
    trailing_twelve_months_total,
    year_over_year,
    year_to_date_total,
    yield_on_cost,
)
from income.models import ProjectedPayment
from income.selectors.common import income_settings_get, tax_treatment_of
from income.selectors.holdings import (
    DividendCutRow,
    HeldPosition,
    dividend_cuts,
    events_by_security,
    income_inputs,
)
from income.selectors.projections import (
    CalendarEntry,
    income_reliability,
    projected_payment_rows,
    projection_window,
)
from income.selectors.received import ReceivedGroup, received_grouped, received_payments
from portfolios.models import Household
from portfolios.selectors.accounts import account_cash_balances

ZERO = Decimal(0)
HUNDRED = Decimal(100)
GROWTH_YEARS = (1, 3, 5)


@dataclass(frozen=True, slots=True)
class MonthBySource:
    """One month's income per source, received or projected."""

    month: date
    received: dict[str, Decimal]
    projected: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class Paycheck:
    """The monthly paycheck, where it is paid from, and whether it is covered."""

    amount: Decimal
    reserve_cash: Decimal
    reserve_from: str
    coverage: PaycheckCoverage
    configured: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomeOverview:
    """Everything the income page shows."""

    today: date
    target: Decimal
    months: list[MonthBySource]
    trailing_twelve_months: Decimal
    year_to_date: Decimal
    year_over_year: YearOverYear
    projected_twelve_months: Decimal
    projected_by_month: dict[date, Decimal]
    expected_by_month: dict[date, Decimal]
    reliability: Reliability
    short: list[MonthShortfall]
    paycheck: Paycheck
    after_tax_received: AfterTaxIncome
    after_tax_projected: AfterTaxIncome
    groups: dict[str, list[ReceivedGroup]]
    return_of_capital: Decimal
    tax_withheld: Decimal
    unmatched_tax_withheld: Decimal
    cuts: list[DividendCutRow]


def income_overview(*, household: Household, today: date) -> IncomeOverview:
    """Return the income page: 12 months received then 12 projected, totals and checks.

    Received covers last 12 closed months, this month so far and, for year over year, the
    start of last year; projected runs from today through the 11th month after this one.
    Against the target, this month counts what was received so far plus what is still
    expected; the paycheck counts only what is still expected, as the reserve already holds
    the rest.
    """
    current = first_of_month(today)
    since = min(add_months(current, -12), date(today.year - 1, 1, 1))
    ledger = received_payments(household=household, start=since, end=today)
    start, end = projection_window(today=today, months=12)
    # Rows, with the account's tax treatment: source, month, amount and account type.
    projected = list(
        ProjectedPayment.objects.filter(household=household, pay_date__gte=start, pay_date__lte=end)
        .exclude(source__in=[str(source) for source in NOT_INCOME])
        .order_by()
        .values_list("month", "source", "amount", "account__type")
    )

    months = [add_months(current, offset) for offset in range(-12, 12)]
    received_cells: dict[date, dict[str, Decimal]] = {
        month: defaultdict(lambda: ZERO) for month in months
    }
    projected_cells: dict[date, dict[str, Decimal]] = {
        month: defaultdict(lambda: ZERO) for month in months
    }
    received_by_month: dict[date, Decimal] = defaultdict(lambda: ZERO)  # for reliability
    for payment in ledger.income:
        month = first_of_month(payment.pay_date)
        received_by_month[month] += payment.amount
        if month in received_cells:
            received_cells[month][str(payment.source)] += payment.amount
    projected_by_month = dict.fromkeys(months[12:], ZERO)
    for month, source, amount, _ in projected:
        projected_cells[month][source] += amount
        projected_by_month[month] += amount

    trailing_start = add_months(today, -12) + timedelta(days=1)
    trailing = [p for p in ledger.payments if p.pay_date >= trailing_start]
    rates = {
        "federal_rate": household.federal_marginal_rate / HUNDRED,
        "state_rate": household.state_marginal_rate / HUNDRED,
        "qualified_rate": household.qualified_dividend_rate / HUNDRED,
    }
    received_by_key: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for payment in trailing:
        if payment.is_income:
            received_by_key[(str(payment.source), payment.tax_treatment)] += payment.amount
    projected_by_key: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    treatments: dict[str, str] = {}
    for _, source, amount, account_type in projected:
        if account_type not in treatments:
            treatments[account_type] = tax_treatment_of(account_type)
        projected_by_key[(source, treatments[account_type])] += amount

    # This month so far is received; what is left of it, and the months after, projected.
    expected_by_month = dict(projected_by_month)
    expected_by_month[current] += sum(received_cells[current].values(), ZERO)
    target = household.monthly_income_target
    trailing_income = [p for p in trailing if p.is_income]
    return IncomeOverview(
        today=today,
        target=target,
        months=[
            MonthBySource(month, dict(received_cells[month]), dict(projected_cells[month]))
            for month in months
        ],
        trailing_twelve_months=trailing_twelve_months_total(ledger.income, today=today),
        year_to_date=year_to_date_total(ledger.income, today=today),
        year_over_year=year_over_year(ledger.income, today=today),
        projected_twelve_months=sum(projected_by_month.values(), ZERO),
        projected_by_month=projected_by_month,
        expected_by_month=expected_by_month,
        reliability=income_reliability(
            household=household, today=today, received_by_month=received_by_month
        ),
        short=months_short(expected_by_month, target=target) if target > 0 else [],
        paycheck=_paycheck(household, projected_by_month),
        after_tax_received=after_tax_income(received_by_key, **rates),
        after_tax_projected=after_tax_income(projected_by_key, **rates),
        groups={
            group_by: received_grouped(trailing_income, group_by=group_by)
            for group_by in ("source", "account", "member", "tax_treatment", "symbol")
        },
        return_of_capital=sum((p.amount for p in trailing if not p.is_income), ZERO),
        tax_withheld=sum((p.tax_withheld for p in trailing), ZERO),
        unmatched_tax_withheld=ledger.unmatched_tax_withheld,
        cuts=dividend_cuts(household=household, today=today),
    )


def _paycheck(household: Household, projected_by_month: dict[date, Decimal]) -> Paycheck:
    """Return the paycheck: the settings' amount and account, else the target and all cash."""
    settings = income_settings_get(household=household)
    balances = account_cash_balances(household=household)
    amount = settings.paycheck_amount or household.monthly_income_target
    if settings.paycheck_account is not None:
        reserve = balances.get(settings.paycheck_account.pk, ZERO)
        reserve_from = settings.paycheck_account.name
    else:
        reserve = sum((balance for balance in balances.values() if balance > 0), ZERO)
        reserve_from = "cash in all accounts"
    coverage = paycheck_coverage(
        reserve_cash=reserve,
        monthly_amount=amount,
        projected_by_month=projected_by_month,
        min_months=household.cash_reserve_months,
    )
    configured = settings.pk is not None and settings.paycheck_amount > 0
    return Paycheck(amount, reserve, reserve_from, coverage, configured)


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldingYield:
    """One position's income against its cost and its value, and its dividend growth."""

    position: HeldPosition
    forward_income: Decimal
    trailing_income: Decimal
    yield_on_cost: Decimal | None
    current_yield: Decimal | None
    growth: dict[int, Decimal | None]


@dataclass(frozen=True, slots=True)
class YieldTable:
    """Per-holding yields and the household's overall ones."""

    rows: list[HoldingYield]
    forward_income: Decimal
    cost_basis: Decimal
    market_value: Decimal
    yield_on_cost: Decimal | None
    current_yield: Decimal | None


def holding_yields(*, household: Household, today: date) -> YieldTable:
    """Return yield on cost and current yield per holding and overall, with dividend growth.

    1. Forward income: the stored projection's next 12 months for the holding (bond
       principal left out). Trailing income: what it paid in the last 12 months.
    2. Yield on cost = forward income / cost basis (open lots); current yield = forward
       income / (quantity * latest close). Overall: the sums, current yield over the priced
       holdings only.
    3. Growth: the yearly growth of dividends per share over 1, 3 and 5 years.
    """
    inputs = income_inputs(household=household, today=today)
    start, end = projection_window(today=today, months=12)
    forward: dict[tuple[int, int | None], Decimal] = defaultdict(lambda: ZERO)
    for account_id, security_id, amount in (
        ProjectedPayment.objects.filter(household=household, pay_date__gte=start, pay_date__lte=end)
        .exclude(source__in=[str(source) for source in NOT_INCOME])
        .order_by()
        .values_list("account_id", "security_id", "amount")
    ):
        forward[(account_id, security_id)] += amount
    trailing: dict[tuple[int, int | None], Decimal] = defaultdict(lambda: ZERO)
    trailing_start = add_months(today, -12) + timedelta(days=1)
    for payment in received_payments(household=household, start=trailing_start, end=today).income:
        trailing[(payment.account_id, payment.security_id)] += payment.amount
    events = events_by_security(inputs.dividend_events)

    rows = []
    for position in inputs.positions:
        key = (position.holding.account_id, position.holding.security_id)
        market_value = position.market_value
        security_events = events.get(position.holding.security_id, [])
        rows.append(
            HoldingYield(
                position=position,
                forward_income=forward[key],
                trailing_income=trailing[key],
                yield_on_cost=yield_on_cost(forward[key], position.cost_basis),
                current_yield=current_yield(forward[key], market_value)
                if market_value is not None
                else None,
                growth={
                    years: dividend_growth(security_events, years=years, today=today)
                    if security_events
                    else None
                    for years in GROWTH_YEARS
                },
            )
        )
    total_forward = sum((row.forward_income for row in rows), ZERO)
    total_cost = sum((row.position.cost_basis for row in rows), ZERO)
    priced = [row for row in rows if row.position.market_value is not None]
    total_value = sum((row.position.market_value or ZERO for row in priced), ZERO)
    priced_income = sum((row.forward_income for row in priced), ZERO)
    return YieldTable(
        rows,
        total_forward,
        total_cost,
        total_value,
        yield_on_cost(total_forward, total_cost),
        current_yield(priced_income, total_value),
    )


@dataclass(frozen=True, slots=True)
class LadderBond:
    """One bond holding of the ladder."""

    position: HeldPosition
    face_total: Decimal
    annual_coupon: Decimal


def bond_ladder_view(
    *, household: Household, today: date
) -> tuple[list[LadderYear], list[LadderBond]]:
    """Return the ladder per year (maturing face value, coupons) and the bonds behind it."""
    positions = income_inputs(household=household, today=today).positions
    bonds = [
        LadderBond(
            position,
            (position.holding.face_value or ZERO) * position.holding.quantity,
            (position.holding.coupon_rate or ZERO)
            * (position.holding.face_value or ZERO)
            * position.holding.quantity,
        )
        for position in positions
        if position.holding.face_value
        and position.holding.maturity
        and position.holding.maturity >= today
    ]
    bonds.sort(key=lambda bond: (bond.position.holding.maturity, bond.position.holding.symbol))
    return bond_ladder([bond.position.holding for bond in bonds], today=today), bonds


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomeGlance:
    """The front page's income: 12 months received by source then 12 projected, this month
    against the target, the next payments, and (for the whole household) reliability."""

    today: date
    target: Decimal
    months: list[MonthBySource]
    received_twelve_months: Decimal  # (today - 12 months, today], as the income page
    projected_twelve_months: Decimal  # today through the 11th month after this one
    month_received: Decimal  # this month so far
    month_expected: Decimal  # still expected this month (projected from today)
    upcoming: list[CalendarEntry]  # expected from today through today + UPCOMING_DAYS
    reliability: Reliability | None

    @property
    def month_total(self) -> Decimal:
        return self.month_received + self.month_expected

    @property
    def upcoming_total(self) -> Decimal:
        return sum((entry.amount for entry in self.upcoming), ZERO)

    @property
    def month_ratio(self) -> Decimal | None:
        """This month's received and expected income as a fraction of the target."""
        return self.month_total / self.target if self.target > 0 else None


UPCOMING_DAYS = 14


def income_glance(
    *, household: Household, today: date, account_ids: Collection[int] | None = None
) -> IncomeGlance:
    """Return the front page's income, of every account or of ``account_ids`` only.

    1. Received: income transactions (return of capital left out) of the 12 months before
       this one and of this month so far, by month and source. One query.
    2. Projected: the stored projection from today through the 11th month after this one,
       bond principal left out of the months (it is a payment, not income). One query.
    3. Upcoming: projected payments (principal included) paid from today through
       ``today + 14 days``, less those already received on their pay date.
    4. The monthly target and reliability are the household's: of some accounts only,
       the target is 0 (not theirs to meet) and reliability None.
    """
    current = first_of_month(today)
    months = [add_months(current, offset) for offset in range(-12, 12)]
    ledger = received_payments(household=household, start=months[0], end=today)
    payments = [
        payment
        for payment in ledger.payments
        if account_ids is None or payment.account_id in account_ids
    ]
    start, end = projection_window(today=today, months=12)
    projected = [
        payment
        for payment in projected_payment_rows(household=household, start=start, end=end)
        if account_ids is None or payment["account_id"] in account_ids
    ]
    received_cells: dict[date, dict[str, Decimal]] = {m: defaultdict(lambda: ZERO) for m in months}
    projected_cells: dict[date, dict[str, Decimal]] = {m: defaultdict(lambda: ZERO) for m in months}
    received_by_month: dict[date, Decimal] = defaultdict(lambda: ZERO)  # for reliability
    for payment in payments:
        if payment.is_income:
            month = first_of_month(payment.pay_date)
            received_cells[month][str(payment.source)] += payment.amount
            received_by_month[month] += payment.amount
    not_income = {str(source) for source in NOT_INCOME}
    for payment in projected:
        if payment["source"] not in not_income:
            projected_cells[payment["month"]][payment["source"]] += payment["amount"]

    received_today = {
        (payment.account_id, payment.security_id, payment.pay_date)
        for payment in payments
        if payment.security_id is not None
    }
    last_day = today + timedelta(days=UPCOMING_DAYS)
    upcoming = [
        CalendarEntry.of_projected(payment)
        for payment in projected
        if payment["pay_date"] <= last_day
        and (payment["account_id"], payment["security_id"], payment["pay_date"])
        not in received_today
    ]
    upcoming.sort(key=lambda entry: (entry.pay_date, entry.account, entry.symbol, entry.source))
    return IncomeGlance(
        today=today,
        target=household.monthly_income_target if account_ids is None else ZERO,
        months=[
            MonthBySource(month, dict(received_cells[month]), dict(projected_cells[month]))
            for month in months
        ],
        # The income page's window: (today - 12 months, today], so both say the same figure.
        received_twelve_months=trailing_twelve_months_total(
            [payment.as_input() for payment in payments if payment.is_income], today=today
        ),
        projected_twelve_months=sum(
            (sum(projected_cells[month].values(), ZERO) for month in months[12:]), ZERO
        ),
        month_received=sum(received_cells[current].values(), ZERO),
        month_expected=sum(projected_cells[current].values(), ZERO),
        upcoming=upcoming,
        reliability=(
            income_reliability(
                household=household, today=today, received_by_month=received_by_month
            )
            if account_ids is None
            else None
        ),
    )
