"""Calendar-month arithmetic for payment schedules."""

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def first_of_month(day: date) -> date:
    """Return the first day of `day`'s month."""
    return day.replace(day=1)


def last_of_month(day: date) -> date:
    """Return the last day of `day`'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, count: int) -> date:
    """Return the same day `count` months later (earlier if negative).

    A day that does not exist in the target month becomes that month's last day
    (31 January + 1 month = 28 or 29 February). Step from a fixed anchor
    (`add_months(anchor, 3 * k)`) rather than repeatedly, so a 31st is not lost for good.
    """
    month_index = day.year * 12 + day.month - 1 + count
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def month_starts(first_month: date, count: int) -> list[date]:
    """Return the first days of `count` consecutive months starting at `first_month`'s month."""
    start = first_of_month(first_month)
    return [add_months(start, offset) for offset in range(count)]


def local_date(moment: datetime, time_zone: str) -> date:
    """Return the calendar day `moment` (aware) falls on in `time_zone`; UTC if it is unknown."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).date()
