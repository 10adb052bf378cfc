"""Return the dates of the named reporting periods ("1M", "YTD", "MAX", ...)."""

from __future__ import annotations

import calendar
from datetime import date

PERIOD_CODES = ("1M", "3M", "YTD", "1Y", "3Y", "5Y", "MAX")

_MONTHS_BACK = {"1M": 1, "3M": 3, "1Y": 12, "3Y": 36, "5Y": 60}


def _months_before(day: date, months: int) -> date:
    """Return the same day ``months`` earlier, clamped to the end of a shorter month."""
    year, month_index = divmod(day.year * 12 + (day.month - 1) - months, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_bounds(code: str, today: date, first_date: date | None) -> tuple[date, date]:
    """Return ``(start, end)`` of a named period ending ``today``; ``start`` is its base day.

    Returns are measured over ``(start, end]`` from the value at the close of ``start``.

    1. "1M", "3M", "1Y", "3Y", "5Y": the same day that many months earlier, clamped to the
       month's end (March 31 minus 1M is February 28, or 29 in a leap year).
    2. "YTD": December 31 of the previous year.
    3. "MAX": ``first_date``, the first day with history.
    4. A start before ``first_date`` moves to ``first_date``: no period starts before the
       history does. A start after ``today`` (history that begins in the future) is ``today``.

    ``first_date`` is None when there is no history; then no clamping happens and "MAX" is
    ``(today, today)``.
    """
    period = code.upper()
    if period not in PERIOD_CODES:
        raise ValueError(f"unknown period {code!r}; expected one of {', '.join(PERIOD_CODES)}")
    if period == "YTD":
        start = date(today.year - 1, 12, 31)
    elif period == "MAX":
        start = first_date or today
    else:
        start = _months_before(today, _MONTHS_BACK[period])
    if first_date is not None and start < first_date:
        start = first_date
    return min(start, today), today
