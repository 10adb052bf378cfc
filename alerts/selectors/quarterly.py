"""The quarterly review: performance against the benchmark, income against the target,
allocation against the targets, realized gains with wash sales, and the quarter's alerts."""

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from alerts.models import AlertEpisode
from alerts.selectors.episodes import alerts_in_period
from income.calculations import add_months
from income.charts import source_label
from income.models import ProjectionSnapshot
from income.selectors import received_grouped, received_payments
from portfolios.api.exceptions import ApplicationError
from portfolios.calculations.allocation import AllocationRow
from portfolios.models import Household, LotRelief
from portfolios.providers import ProviderError
from portfolios.selectors.allocation import allocation_list
from portfolios.selectors.ledger import realized_gain_totals, realized_gains_list
from reporting.models import ValuationSeries
from reporting.selectors.benchmarks import benchmark_resolve
from reporting.selectors.performance import (
    EMPTY,
    PerformanceSummary,
    gain_breakdown,
    period_window,
    summary_of,
)
from reporting.selectors.series import series_get

logger = logging.getLogger(__name__)
ZERO = Decimal(0)
QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)


def parse_quarter(text: str) -> tuple[int, int] | None:
    """Return (year, quarter) of "2026-Q3" or "2026Q3"; None when it is not one."""
    match = QUARTER.match(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


@dataclass(frozen=True, slots=True)
class IncomeMonth:
    month: date
    received: Decimal
    projected: Decimal | None  # kept when the month started
    target: Decimal


@dataclass(frozen=True, slots=True)
class QuarterlyReview:
    household: Household
    currency: str
    year: int
    quarter: int
    start: date
    end: date  # last day
    previous: str
    next: str | None
    performance: PerformanceSummary
    benchmark: str
    contributions: Decimal
    income_in_value: Decimal
    income_months: list[IncomeMonth]
    income_total: Decimal
    income_target_total: Decimal
    income_by_source: list[tuple[str, Decimal]]
    asset_classes: list[AllocationRow]
    sleeves: list[AllocationRow]
    gains: list[LotRelief]
    gain_totals: dict[str, dict[str, Decimal]]
    wash_sale_disallowed: Decimal
    alerts: list[AlertEpisode]

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {self.year}"


def quarterly_review(
    *, household: Household, year: int, quarter: int, today: date
) -> QuarterlyReview:
    """Return the review of one calendar quarter.

    1. Performance over (last day of the previous quarter, last day of this one], from the
       stored household series, with the default benchmark when there is one.
    2. Income received per month against the projection kept when the month started and
       against the monthly target.
    3. Allocation by asset class and by sleeve against the targets (today's, as the
       allocation page: targets are not kept per quarter).
    4. Realized gains of sales in the quarter, each with its wash-sale disallowed loss.
    5. Alerts open at any time in the quarter, with who acknowledged them and when.
    """
    start = date(year, 3 * quarter - 2, 1)
    end = add_months(start, 3) - timedelta(days=1)
    months = [add_months(start, n) for n in range(3)]
    # The quarter under way ends at the household's as-of (today), as the pages' figures.
    performance, benchmark, contributions, income_in_value = _performance(
        household, start, min(end, today)
    )
    payments = received_payments(household=household, start=start, end=end).income
    by_month = {g.key: g.amount for g in received_grouped(payments, group_by="month")}
    snapshots = dict(
        ProjectionSnapshot.objects.filter(household=household, month__in=months).values_list(
            "month", "total"
        )
    )
    target = household.monthly_income_target
    income_months = [
        IncomeMonth(month, by_month.get(month, ZERO), snapshots.get(month), target)
        for month in months
    ]
    reliefs = realized_gains_list(household=household).filter(sold__gte=start, sold__lte=end)
    zone = ZoneInfo(household.time_zone)
    alerts = alerts_in_period(
        household=household,
        start=datetime.combine(start, time.min, tzinfo=zone),
        end=datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )
    previous = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    following = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    return QuarterlyReview(
        household=household,
        currency=household.base_currency,
        year=year,
        quarter=quarter,
        start=start,
        end=end,
        previous=f"{previous[0]}-Q{previous[1]}",
        next=f"{following[0]}-Q{following[1]}" if add_months(start, 3) <= today else None,
        performance=performance,
        benchmark=benchmark,
        contributions=contributions,
        income_in_value=income_in_value,
        income_months=income_months,
        income_total=sum((m.received for m in income_months), ZERO),
        income_target_total=target * 3,
        income_by_source=[
            (source_label(str(group.key)), group.amount)
            for group in received_grouped(payments, group_by="source")
        ],
        asset_classes=allocation_list(household=household, by="asset_class"),
        sleeves=allocation_list(household=household, by="sleeve"),
        gains=list(reliefs),
        gain_totals=realized_gain_totals(reliefs),
        wash_sale_disallowed=sum((r.wash_sale_disallowed for r in reliefs), ZERO),
        alerts=list(alerts),
    )


def _performance(
    household: Household, start: date, end: date
) -> tuple[PerformanceSummary, str, Decimal, Decimal]:
    stored = series_get(household=household, scope=ValuationSeries.Scope.HOUSEHOLD)
    if stored is None or stored.end <= start - timedelta(days=1):
        return EMPTY, "", ZERO, ZERO
    window = period_window(stored, start=max(start - timedelta(days=1), stored.first_date), end=end)
    benchmark = None
    if household.default_benchmark:
        try:
            benchmark = benchmark_resolve(household=household, spec=household.default_benchmark)
        except (ApplicationError, ProviderError):
            logger.warning("benchmark %r unavailable", household.default_benchmark)
    try:
        summary = summary_of(stored, window, benchmark)
    except (ApplicationError, ProviderError, ValueError, IndexError):
        benchmark = None
        summary = summary_of(stored, window, None)
    breakdown = gain_breakdown(stored, window)
    return (
        summary,
        household.default_benchmark if benchmark is not None else "",
        breakdown.net_flows,
        breakdown.income,
    )
