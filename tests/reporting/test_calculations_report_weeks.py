"""Monday 07:00 household time, across daylight-saving changes (America/New_York)."""

from datetime import UTC, date, datetime

import pytest

from reporting.calculations.report_weeks import (
    last_completed_week_ending,
    report_due,
    week_bounds,
)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_due_at_seven_new_york_time_in_winter():
    # given Monday 2026-03-02: New York is on EST (UTC−5), so 07:00 local is 12:00 UTC
    # then 11:59 UTC is too early, 12:00 UTC is due for the week ending Sunday 2026-03-01
    assert report_due(now=utc(2026, 3, 2, 11, 59), time_zone="America/New_York") is None
    assert report_due(now=utc(2026, 3, 2, 12, 0), time_zone="America/New_York") == date(2026, 3, 1)


def test_due_at_seven_new_york_time_after_clocks_spring_forward():
    # given DST began Sunday 2026-03-08: on Monday 03-09 New York is EDT (UTC−4),
    # so 07:00 local is 11:00 UTC, an hour earlier in UTC than the week before
    assert report_due(now=utc(2026, 3, 9, 10, 59), time_zone="America/New_York") is None
    assert report_due(now=utc(2026, 3, 9, 11, 0), time_zone="America/New_York") == date(2026, 3, 8)


def test_due_after_clocks_fall_back():
    # given DST ended Sunday 2026-11-01: Monday 11-02 07:00 EST is 12:00 UTC
    assert report_due(now=utc(2026, 11, 2, 11, 30), time_zone="America/New_York") is None
    assert report_due(now=utc(2026, 11, 2, 12, 0), time_zone="America/New_York") == date(
        2026, 11, 1
    )


def test_catch_up_lasts_48_hours_then_stops():
    # Monday 07:00 EST = 12:00 UTC; due until Wednesday 07:00 local (exclusive)
    assert report_due(now=utc(2026, 3, 4, 11, 59), time_zone="America/New_York") == date(2026, 3, 1)
    assert report_due(now=utc(2026, 3, 4, 12, 0), time_zone="America/New_York") is None


def test_far_east_household_gets_it_on_its_own_monday():
    # Sydney on 2026-03-02 is AEDT (UTC+11): Monday 07:00 local = Sunday 20:00 UTC
    assert report_due(now=utc(2026, 3, 1, 20, 0), time_zone="Australia/Sydney") == date(2026, 3, 1)


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware"):
        report_due(now=datetime(2026, 3, 2, 12, 0), time_zone="UTC")


def test_week_bounds_and_last_completed_week():
    assert week_bounds(date(2026, 11, 22)) == (date(2026, 11, 16), date(2026, 11, 22))
    # Monday 2026-11-23 -> Sunday 11-22; Sunday 11-22 itself -> the Sunday before, 11-15
    assert last_completed_week_ending(date(2026, 11, 23)) == date(2026, 11, 22)
    assert last_completed_week_ending(date(2026, 11, 22)) == date(2026, 11, 15)
