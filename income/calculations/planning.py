"""Checks of projected income against what was received and what the household needs."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from income.calculations.months import add_months, first_of_month
from income.calculations.ratios import ratio

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class MonthReliability:
    """Received against projected income for one month; `ratio` is None without a projection."""

    month: date
    received: Decimal
    projected: Decimal
    ratio: Decimal | None


@dataclass(frozen=True, slots=True)
class Reliability:
    """Per-month and trailing-12-month ratios of received to projected income."""

    months: tuple[MonthReliability, ...]
    trailing_twelve_months: Decimal | None


def reliability(
    received_by_month: Mapping[date, Decimal],
    projected_by_month: Mapping[date, Decimal],
    *,
    through: date | None = None,
) -> Reliability:
    """Return how much of the projected income actually arrived (DESIGN §7).

    Keys are first days of months; `projected_by_month` holds the projection kept when each
    month started, so a month is judged against what was expected then.

    1. Per month, over every month in either mapping: ratio = received / projected, None
       when nothing was projected (a ratio against zero says nothing).
    2. Trailing 12 months: the 12 months ending with `through`'s month (default: the latest
       projected month). Only months that have a kept projection count, so a month from
       before projections were kept does not look like a windfall. Ratio = their received
       total / their projected total, None when that total is zero.
    """
    all_months = sorted(set(received_by_month) | set(projected_by_month))
    rows = []
    for month in all_months:
        received = received_by_month.get(month, ZERO)
        projected = projected_by_month.get(month, ZERO)
        rows.append(MonthReliability(month, received, projected, ratio(received, projected)))

    if through is None and not projected_by_month:
        return Reliability(tuple(rows), None)
    last_month = first_of_month(through) if through else max(projected_by_month)
    first_month = add_months(last_month, -11)
    trailing = [
        row
        for row in rows
        if first_month <= row.month <= last_month and row.month in projected_by_month
    ]
    trailing_ratio = ratio(
        sum((row.received for row in trailing), ZERO),
        sum((row.projected for row in trailing), ZERO),
    )
    return Reliability(tuple(rows), trailing_ratio)


@dataclass(frozen=True, slots=True)
class PaycheckMonth:
    """One upcoming month of paying the household a fixed amount from income and reserve."""

    month: date
    projected: Decimal
    reserve_after: Decimal
    covered: bool


@dataclass(frozen=True, slots=True)
class PaycheckCoverage:
    """Whether the cash reserve and projected income keep a monthly paycheck going."""

    reserve_months: Decimal | None
    months: tuple[PaycheckMonth, ...]
    below_reserve_target: bool
    warning: bool


def paycheck_coverage(
    *,
    reserve_cash: Decimal,
    monthly_amount: Decimal,
    projected_by_month: Mapping[date, Decimal],
    min_months: Decimal,
) -> PaycheckCoverage:
    """Return whether a monthly paycheck of `monthly_amount` can be paid in coming months.

    1. Months of reserve = reserve cash / monthly amount (None when no paycheck is drawn);
       below target when it is under `min_months` (the household's cash reserve target).
    2. Walk the months in order: the reserve grows by the month's projected income and
       shrinks by the paycheck. A month is covered when the reserve is still zero or more
       after paying it; a surplus month refills the reserve, and once the reserve runs out
       it stays negative (the unpaid amount) until income catches up.
    3. Warning when the reserve is below target or any month is not covered.
    """
    reserve_months = reserve_cash / monthly_amount if monthly_amount > 0 else None
    below_target = reserve_months is not None and reserve_months < min_months
    reserve = reserve_cash
    months = []
    for month in sorted(projected_by_month):
        projected = projected_by_month[month]
        reserve += projected - monthly_amount
        months.append(PaycheckMonth(month, projected, reserve, covered=reserve >= 0))
    warning = below_target or not all(month.covered for month in months)
    return PaycheckCoverage(reserve_months, tuple(months), below_target, warning)


@dataclass(frozen=True, slots=True)
class MonthShortfall:
    """A month whose projected income falls short of the target, and by how much."""

    month: date
    projected: Decimal
    gap: Decimal


def months_short(
    projected_by_month: Mapping[date, Decimal], *, target: Decimal
) -> list[MonthShortfall]:
    """Return the months projected below the monthly income `target`, in month order.

    A month exactly at the target is not short; gap = target - projected.
    """
    return [
        MonthShortfall(month, projected_by_month[month], target - projected_by_month[month])
        for month in sorted(projected_by_month)
        if projected_by_month[month] < target
    ]
