"""When the weekly income report is due, in the household's own time zone (pure).

Reports go out on Monday at 07:00 household time for the week that ended the day before
(Monday to Sunday). The beat job runs hourly in UTC; a report is still due for 48 hours after
07:00 on Monday, so an hour or a day the worker was down is caught up, and never later, so
a new member does not receive a stale report.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SEND_AT = time(7, 0)
CATCH_UP = timedelta(hours=48)


def week_bounds(week_ending: date) -> tuple[date, date]:
    """Return (first day, last day) of the week ending on week_ending, both included."""
    return week_ending - timedelta(days=6), week_ending


def last_completed_week_ending(local_day: date) -> date:
    """Return the Sunday that ended the last full Monday-to-Sunday week before local_day."""
    return local_day - timedelta(days=local_day.weekday() + 1)


def report_due(*, now: datetime, time_zone: str) -> date | None:
    """Return the week_ending whose report is due at the aware instant now, or None.

    1. Convert now to the household's time zone (zoneinfo applies DST there, so 07:00 stays
       07:00 local on both sides of a change).
    2. Find this week's Monday 07:00 local.
    3. Due from then for CATCH_UP: the week ending the Sunday before that Monday.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    send_at = datetime.combine(monday, SEND_AT, tzinfo=zone)
    if send_at <= local < send_at + CATCH_UP:
        return monday - timedelta(days=1)
    return None
