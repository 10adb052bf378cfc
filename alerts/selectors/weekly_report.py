"""What the weekly income e-mail says, for one household and one Monday-to-Sunday week.

Composed in the top layer because it reads every app: income (received, projected),
reporting (value, performance against the benchmark), portfolios (sleeves) and alerts.
Every figure carries the absolute link of the page that shows it.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse

from alerts.calculations.money_text import SYMBOLS
from alerts.charts import IncomeBar
from alerts.models import AlertEpisode
from alerts.selectors.episodes import alert_list
from alerts.selectors.links import absolute_url
from income.calculations import add_months, first_of_month, last_of_month
from income.charts import source_label
from income.models import ProjectionSnapshot
from income.selectors import (
    calendar_entries,
    projected_income_by_month,
    received_grouped,
    received_payments,
)
from portfolios.api.exceptions import ApplicationError
from portfolios.models import Household
from portfolios.providers import ProviderError
from portfolios.selectors.allocation import allocation_list
from portfolios.selectors.securities import security_profiles
from reporting.calculations.report_weeks import week_bounds
from reporting.models import ValuationSeries
from reporting.selectors.benchmarks import benchmark_resolve
from reporting.selectors.performance import period_window, summary_of
from reporting.selectors.series import series_get

logger = logging.getLogger(__name__)
ZERO = Decimal(0)
LOOK_AHEAD_DAYS = 14
CHART_MONTHS_BACK = 6
CHART_MONTHS_AHEAD = 5
MAX_ALERTS = 10


@dataclass(frozen=True, slots=True)
class PaymentRow:
    pay_date: date
    symbol: str
    name: str
    account: str
    source: str
    amount: Decimal
    status: str = "received"


@dataclass(frozen=True, slots=True)
class Amount:
    label: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ValueChange:
    """The household's value over the week: change = contributions + market return."""

    start_value: Decimal
    end_value: Decimal
    contributions: Decimal  # net external flows (deposits − withdrawals)
    market_return: Decimal  # everything else: prices, income, fees, taxes

    @property
    def change(self) -> Decimal:
        return self.end_value - self.start_value


@dataclass(frozen=True, slots=True)
class SleeveWeight:
    name: str
    weight: Decimal
    target: Decimal | None
    drift: Decimal | None
    status: str


@dataclass(frozen=True, slots=True)
class Returns:
    """Time-weighted return and the benchmark's over the month and the year to date."""

    month: float | None
    month_benchmark: float | None
    year: float | None
    year_benchmark: float | None
    benchmark: str


@dataclass(frozen=True, slots=True)
class AlertLine:
    message: str
    status: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WeeklyIncomeReport:
    household: Household
    currency: str
    week_start: date
    week_ending: date
    received: list[PaymentRow]
    received_total: Decimal
    tax_withheld: Decimal
    by_source: list[Amount]
    by_account: list[Amount]
    month_start: date
    month_to_date: Decimal
    month_projected: Decimal | None  # the projection kept when the month started
    monthly_target: Decimal
    year_to_date: Decimal
    coming: list[PaymentRow]
    coming_total: Decimal
    value: ValueChange | None
    sleeves: list[SleeveWeight]
    returns: Returns | None
    open_alerts: list[AlertLine]
    open_alert_count: int
    chart: list[IncomeBar]
    links: dict[str, str]

    @property
    def currency_symbol(self) -> str:
        return SYMBOLS.get(self.currency, f"{self.currency} ")


def report_links() -> dict[str, str]:
    """Return the absolute address of each page the e-mail links to."""
    names = {
        "dashboard": "dashboard",
        "income": "income-page",
        "calendar": "income-calendar-page",
        "performance": "performance-page",
        "allocation": "allocation-page",
        "alerts": "alerts",
        "rules": "alert-rules",
    }
    return {key: absolute_url(reverse(name)) for key, name in names.items()}


def weekly_income_report(*, household: Household, week_ending: date) -> WeeklyIncomeReport:
    """Return the figures of the week ending ``week_ending`` (a Sunday).

    1. Received: income paid Monday to Sunday (return of capital is not income), with tax
       withheld, by source and by account.
    2. Month and year to date as of the week's last day; the month against the projection
       kept when it started and against the monthly target.
    3. Coming: declared and estimated payments of the next 14 days, with security names.
    4. Value at the week's close and its change since the Sunday before, split into net
       contributions and market return (stored household valuation series).
    5. Sleeves' weights against their targets at the week's close (the allocation page's
       figures on that day: the same closes as the value in 4).
    6. Time-weighted return of the month and the year to date against the household's
       default benchmark, when it has one.
    7. Unresolved alerts, and a chart of income by month against the target.
    """
    week_start, _ = week_bounds(week_ending)
    month_start = week_ending.replace(day=1)
    year_start = date(week_ending.year, 1, 1)
    chart_start = add_months(month_start, -CHART_MONTHS_BACK)
    ledger = received_payments(
        household=household, start=min(year_start, chart_start), end=week_ending
    )
    income = ledger.income
    this_week = [p for p in income if p.pay_date >= week_start]
    names = _security_names(household, {p.security_id for p in this_week if p.security_id})
    received = [
        PaymentRow(
            p.pay_date,
            p.symbol,
            names.get(p.security_id, ""),
            p.account,
            source_label(str(p.source)),
            p.amount,
        )
        for p in sorted(this_week, key=lambda p: (p.pay_date, p.account, p.symbol))
    ]
    coming_entries = [
        entry
        for entry in calendar_entries(
            household=household,
            start=week_ending + timedelta(days=1),
            end=week_ending + timedelta(days=LOOK_AHEAD_DAYS),
            today=week_ending + timedelta(days=1),
        )
        if entry.status != "received" and entry.source != "bond_principal"
    ]
    coming_names = _security_names(
        household, {e.security_id for e in coming_entries if e.security_id}
    )
    coming = [
        PaymentRow(
            e.pay_date,
            e.symbol,
            coming_names.get(e.security_id, ""),
            e.account,
            source_label(e.source),
            e.amount,
            e.status,
        )
        for e in coming_entries
    ]
    snapshot = (
        ProjectionSnapshot.objects.filter(household=household, month=month_start)
        .values_list("total", flat=True)
        .first()
    )
    unresolved = alert_list(household=household).filter(resolved_at__isnull=True)
    alerts = list(unresolved.order_by("-opened_at", "-id")[:MAX_ALERTS])
    return WeeklyIncomeReport(
        household=household,
        currency=household.base_currency,
        week_start=week_start,
        week_ending=week_ending,
        received=received,
        received_total=sum((p.amount for p in this_week), ZERO),
        tax_withheld=sum((p.tax_withheld for p in this_week), ZERO),
        by_source=[
            Amount(source_label(str(g.key)), g.amount)
            for g in received_grouped(this_week, group_by="source")
        ],
        by_account=[
            Amount(g.label, g.amount) for g in received_grouped(this_week, group_by="account")
        ],
        month_start=month_start,
        month_to_date=sum((p.amount for p in income if p.pay_date >= month_start), ZERO),
        month_projected=snapshot,
        monthly_target=household.monthly_income_target,
        year_to_date=sum((p.amount for p in income if p.pay_date >= year_start), ZERO),
        coming=coming,
        coming_total=sum((row.amount for row in coming), ZERO),
        value=_value_change(household, week_start, week_ending),
        sleeves=[
            SleeveWeight(row.group, row.weight, row.target, row.drift, row.status)
            for row in allocation_list(household=household, by="sleeve", as_of=week_ending)
        ],
        returns=_returns(household, week_ending),
        open_alerts=[
            AlertLine(
                episode.message,
                AlertEpisode.Status(episode.status).label,
                absolute_url(episode.link or "/alerts/"),
            )
            for episode in alerts
        ],
        open_alert_count=unresolved.count(),
        chart=_chart(household, income, month_start, week_ending),
        links=report_links(),
    )


def _security_names(household: Household, ids: set[int]) -> dict[int, str]:
    """Return each security's name as the household calls it."""
    return {
        pk: view.name
        for pk, view in security_profiles(household=household, security_ids=ids).items()
    }


def _value_change(household: Household, week_start: date, week_ending: date) -> ValueChange | None:
    stored = series_get(household=household, scope=ValuationSeries.Scope.HOUSEHOLD)
    if stored is None or stored.end < week_start:
        return None
    window = period_window(stored, start=week_start - timedelta(days=1), end=week_ending)
    figures = summary_of(stored, window, None, with_risk=False)
    change = figures.end_value - figures.start_value
    return ValueChange(
        figures.start_value, figures.end_value, figures.net_flows, change - figures.net_flows
    )


def _returns(household: Household, week_ending: date) -> Returns | None:
    """Return the month's and the year's TWR against the default benchmark (if any)."""
    stored = series_get(household=household, scope=ValuationSeries.Scope.HOUSEHOLD)
    if stored is None:
        return None
    benchmark = None
    if household.default_benchmark:
        try:
            benchmark = benchmark_resolve(household=household, spec=household.default_benchmark)
        except (ApplicationError, ProviderError):
            logger.warning(
                "benchmark %r unavailable for the weekly report", household.default_benchmark
            )
    figures = {}
    for name, base in (
        ("month", week_ending.replace(day=1) - timedelta(days=1)),
        ("year", date(week_ending.year - 1, 12, 31)),
    ):
        start = max(base, stored.first_date)
        if start >= min(week_ending, stored.end):
            figures[name] = (None, None)
            continue
        window = period_window(stored, start=start, end=week_ending)
        try:
            summary = summary_of(stored, window, benchmark, with_risk=False)
        except (ApplicationError, ProviderError, ValueError, IndexError):
            summary = summary_of(stored, window, None, with_risk=False)
        figures[name] = (summary.twr, summary.benchmark_twr)
    return Returns(
        month=figures["month"][0],
        month_benchmark=figures["month"][1],
        year=figures["year"][0],
        year_benchmark=figures["year"][1],
        benchmark=household.default_benchmark if benchmark is not None else "",
    )


def _chart(household: Household, income, month_start: date, week_ending: date) -> list[IncomeBar]:
    """Return the last six closed months received, this month received so far plus what is
    still projected, and the projection of the next five months."""
    received: dict[date, Decimal] = {}
    for payment in income:
        month = first_of_month(payment.pay_date)
        received[month] = received.get(month, ZERO) + payment.amount
    projected = projected_income_by_month(
        household=household, today=week_ending + timedelta(days=1), months=CHART_MONTHS_AHEAD + 1
    )
    bars = [
        IncomeBar(month, received.get(month, ZERO), True)
        for month in (add_months(month_start, -n) for n in range(CHART_MONTHS_BACK, 0, -1))
    ]
    still_due = (
        projected.get(month_start, ZERO) if last_of_month(month_start) > week_ending else ZERO
    )
    bars.append(IncomeBar(month_start, received.get(month_start, ZERO) + still_due, still_due == 0))
    bars += [
        IncomeBar(
            add_months(month_start, n), projected.get(add_months(month_start, n), ZERO), False
        )
        for n in range(1, CHART_MONTHS_AHEAD + 1)
    ]
    return bars
