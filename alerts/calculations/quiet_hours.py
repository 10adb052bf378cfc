"""Quiet hours in the household's time zone (pure; zoneinfo applies DST)."""

from datetime import datetime, time
from zoneinfo import ZoneInfo


def in_quiet_hours(*, now: datetime, time_zone: str, start: time | None, end: time | None) -> bool:
    """Return True when the aware instant ``now`` falls in [start, end) household time.

    1. Convert now to the household's zone, so 22:00 stays 22:00 local across DST changes.
    2. start < end is a window inside one day (13:00-14:00); start > end wraps midnight
       (22:00-07:00). Either empty, or start == end, means no quiet hours.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if start is None or end is None or start == end:
        return False
    local = now.astimezone(ZoneInfo(time_zone)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end
