"""XNYS sessions as numpy day arrays, without pandas (DESIGN §7: risk on XNYS sessions).

The calendar (exchange_calendars, built on pandas) is built only when the day's stored copy
of its sessions is missing (``reporting.sessions_store``). Reading sessions, and a daily
index's levels on them, needs numpy alone: a process that only checks stale prices or one
volatility (``manage.py recompute``'s alert rules) does not import pandas.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import numpy as np

# The calendar is built once for every session a household's history can need; 1970
# predates any realistic account opening and keeps construction near 0.1 s.
CALENDAR_START = "1970-01-02"
# A fixed end, not the library's default of a year after today: the sessions then never
# depend on the clock (a process whose clock was frozen in the past, or that ran over
# midnight, reads the same days as any other), so one stored copy serves every process.
CALENDAR_END = "2045-12-29"


@functools.lru_cache(maxsize=1)
def xnys_calendar():
    """Return exchange_calendars' XNYS calendar from 1970 (imported and built here: about
    a second, paid only when the day's stored sessions are missing)."""
    import exchange_calendars

    return exchange_calendars.get_calendar("XNYS", start=CALENDAR_START, end=CALENDAR_END)


@functools.lru_cache(maxsize=1)
def _all_session_days() -> np.ndarray:
    """Return every session of the calendar (1970 to 2045) as ``datetime64[D]``, from the
    stored copy when there is one."""
    from reporting.sessions_store import session_days

    return session_days(_built_session_days, key=f"{CALENDAR_START}-{CALENDAR_END}")


def _built_session_days() -> np.ndarray:
    sessions = xnys_calendar().sessions
    if sessions.tz is not None:
        sessions = sessions.tz_localize(None)
    return sessions.values.astype("datetime64[D]")


def xnys_session_days(start: date, end: date) -> np.ndarray:
    """Return the XNYS sessions from ``start`` to ``end`` inclusive as ``datetime64[D]``.

    Dates outside the calendar's range (before 1970 or after 2045) have no sessions.
    """
    days = _all_session_days()
    first = int(np.searchsorted(days, np.datetime64(start, "D"), side="left"))
    last = int(np.searchsorted(days, np.datetime64(end, "D"), side="right"))
    return days[first:last].copy()


def trading_day_level_values(levels: np.ndarray, start: date) -> np.ndarray:
    """Return ``risk.trading_day_levels`` of a daily index, without pandas.

    ``levels[i]`` is the index on ``start`` + i days (NaN: none that day). The result is
    the level on the first day that has one (the period's base, whatever day it is), then
    on each XNYS session after it up to the last day that has one, carried forward from
    the last level on or before the session.
    """
    return trading_day_points(levels, start)[1]


def trading_day_points(levels: np.ndarray, start: date) -> tuple[np.ndarray, np.ndarray]:
    """Return the days of ``trading_day_level_values`` (as offsets from ``start``, int64)
    and their levels: the base day, then each XNYS session after it (see there)."""
    levels = np.asarray(levels, dtype=np.float64)
    known = np.flatnonzero(~np.isnan(levels))
    if len(known) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    first, last = int(known[0]), int(known[-1])
    sessions = xnys_session_days(start + timedelta(days=first), start + timedelta(days=last))
    offsets = (sessions - np.datetime64(start, "D")).astype(np.int64)
    offsets = offsets[(offsets > first) & (offsets <= last)]
    points = np.concatenate([np.array([first], dtype=np.int64), offsets])
    carried = known[np.searchsorted(known, points, side="right") - 1]
    return points, levels[carried]
