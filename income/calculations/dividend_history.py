"""Trends in a security's dividends per share: growth and cuts."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from income.calculations.months import add_months
from income.calculations.types import DividendEventInput

ZERO = Decimal(0)


def dividend_growth(
    events: Sequence[DividendEventInput], *, years: int, today: date
) -> Decimal | None:
    """Return the yearly growth rate (CAGR) of one security's dividends per share.

    1. Now: the per-share dividends paid in (today - 12 months, today]. Then: those paid in
       the 12 months ending `years` years earlier.
    2. Growth = (now / then) ^ (1 / years) - 1. A dividend that stopped gives -1.
    3. None when the earlier year has no payments, or fewer than the latest year: then the
       known history most likely starts partway through that year and the growth would be
       overstated. (A payer that moved from semiannual to quarterly is also left out.)
    """
    if years < 1:
        raise ValueError(f"years must be at least 1, got {years}")
    if len({event.security_id for event in events}) > 1:
        raise ValueError("dividend_growth takes the events of one security")
    now_total, now_count = _paid_in_year_ending(events, today)
    then_total, then_count = _paid_in_year_ending(events, add_months(today, -12 * years))
    if then_count == 0 or then_count < now_count:
        return None
    return (now_total / then_total) ** (Decimal(1) / years) - 1


def _paid_in_year_ending(events: Sequence[DividendEventInput], end: date) -> tuple[Decimal, int]:
    """Return the per-share total and the count of dividends paid in (end - 12 months, end]."""
    start = add_months(end, -12)
    amounts = [event.amount for event in events if start < event.pay_date <= end]
    return sum(amounts, ZERO), len(amounts)


@dataclass(frozen=True, slots=True)
class DividendCut:
    """A security whose latest dividend per share fell against the one before."""

    security_id: int
    previous_amount: Decimal
    latest_amount: Decimal
    change: Decimal


def detect_dividend_cuts(
    events: Iterable[DividendEventInput], *, threshold: Decimal = Decimal("0.10")
) -> list[DividendCut]:
    """Return the securities whose latest dividend was cut by more than `threshold`.

    1. Per security, order the events by ex-date (pay date breaks ties) and take the last
       two.
    2. A cut is latest < previous * (1 - threshold); a fall of exactly the threshold is not.
    3. Change = (latest - previous) / previous, a negative fraction. Ordered by security id.
    A security paying a fluctuating dividend (many bond funds) may need a wider threshold; a
    special dividend followed by a regular one reads as a cut.
    """
    by_security: dict[int, list[DividendEventInput]] = defaultdict(list)
    for event in events:
        by_security[event.security_id].append(event)
    cuts = []
    for security_id, security_events in sorted(by_security.items()):
        if len(security_events) < 2:
            continue
        previous, latest = sorted(
            security_events, key=lambda event: (event.ex_date, event.pay_date)
        )[-2:]
        if previous.amount > 0 and latest.amount < previous.amount * (1 - threshold):
            change = (latest.amount - previous.amount) / previous.amount
            cuts.append(DividendCut(security_id, previous.amount, latest.amount, change))
    return cuts
