"""Expected dividend dates and amounts per share of one security (DESIGN §7)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from income.calculations.months import add_months
from income.calculations.types import DividendEventInput, DividendFrequency, PaymentStatus


@dataclass(frozen=True, slots=True)
class ScheduledDividend:
    """One expected dividend of a security, per share."""

    pay_date: date
    ex_date: date | None
    amount_per_share: Decimal
    status: PaymentStatus


def dividend_schedule(
    events: Sequence[DividendEventInput],
    *,
    frequency: DividendFrequency | None,
    today: date,
    window_end: date,
) -> list[ScheduledDividend]:
    """Return the dividends of one security expected with pay dates in [today, window_end].

    1. Declared: every event with a pay date on or after `today` (its ex-date may already
       have passed: the dividend is announced but not yet paid).
    2. Pattern: the distinct pay dates in [today - 12 months, today). Each one, moved forward
       by 12 months (and 24, 36... for windows longer than a year), is an estimated pay date.
       The year ends just before `today` so that its copy starts at `today`, like the window:
       last year's payment on today's date is expected today, and a payment made today is
       already declared. A date moved by 12 months never lands before `today`, so no second
       pass is needed.
    3. Fill: when `frequency` says the security pays more often than the pattern shows (its
       known history is shorter than a year, or it has only declared dividends), step the
       frequency forward from the latest known pay date (pattern or declared) to infer the
       missing dates, keeping those from `today` on that no other date already stands for.
       Without a frequency, a short pattern projects only the payments it saw.
    4. An estimate within half a payment interval of a declared pay date (15 days for a
       monthly payer, 45 for quarterly, 91 for semiannual, 182 for annual) is the same
       payment, now announced: the declared one replaces it, even when the issuer moved it
       into the next month.
    5. Estimates use the amount per share of the latest known event (declared included), so
       a raise or a cut carries forward; a special dividend that happens to be the latest
       carries forward too. Their ex-date is unknown (None).

    Events older than a year only matter through the latest amount: a security that paid
    nothing in the last 12 months and declared nothing is expected to pay nothing, and with
    no events at all nothing can be projected, whatever its frequency.
    """
    if not events:
        return []
    history_start = add_months(today, -12)
    declared = sorted(
        (event for event in events if today <= event.pay_date),
        key=lambda event: (event.pay_date, event.ex_date),
    )
    pattern = sorted(
        {event.pay_date for event in events if history_start <= event.pay_date < today}
    )
    expected_per_year = frequency.payments_per_year if frequency else len(pattern)

    schedule = [
        ScheduledDividend(event.pay_date, event.ex_date, event.amount, PaymentStatus.DECLARED)
        for event in declared
        if event.pay_date <= window_end
    ]
    if expected_per_year == 0:
        return schedule

    tolerance = timedelta(days=365 // (2 * expected_per_year))
    estimates = _repeat_yearly(pattern, window_end=window_end)
    declared_dates = [event.pay_date for event in declared]
    if len(pattern) < expected_per_year and (pattern or declared_dates):
        anchor = max(pattern + declared_dates)
        inferred = _step_forward(
            anchor, months=12 // expected_per_year, start=today, window_end=window_end
        )
        estimates += [
            day for day in inferred if not _near_any(day, estimates + declared_dates, tolerance)
        ]

    latest = max(events, key=lambda event: (event.pay_date, event.ex_date))
    schedule += [
        ScheduledDividend(day, None, latest.amount, PaymentStatus.ESTIMATED)
        for day in estimates
        if not _near_any(day, declared_dates, tolerance)
    ]
    return sorted(schedule, key=lambda dividend: dividend.pay_date)


def _repeat_yearly(pattern: Sequence[date], *, window_end: date) -> list[date]:
    """Return each pattern date moved forward by whole years while it stays in the window."""
    dates = []
    for day in pattern:
        years = 1
        while (moved := add_months(day, 12 * years)) <= window_end:
            dates.append(moved)
            years += 1
    return dates


def _step_forward(anchor: date, *, months: int, start: date, window_end: date) -> list[date]:
    """Return anchor + months, + 2 * months, ... that fall in [start, window_end]."""
    dates = []
    step = 1
    while (day := add_months(anchor, months * step)) <= window_end:
        if day >= start:
            dates.append(day)
        step += 1
    return dates


def _near_any(day: date, others: Sequence[date], tolerance: timedelta) -> bool:
    """Return whether `day` is closer than `tolerance` to any of `others`."""
    return any(abs(day - other) < tolerance for other in others)
