"""XNYS sessions and a daily index's levels on them, without pandas
(reporting.calculations.sessions)."""

import random
from datetime import date, timedelta

import numpy as np
import pandas as pd

from reporting.calculations.risk import trading_day_levels, xnys_sessions
from reporting.calculations.sessions import (
    trading_day_level_values,
    trading_day_points,
    xnys_session_days,
)

NAN = float("nan")


def test_sessions_skip_weekends_and_independence_day():
    days = xnys_session_days(date(2023, 6, 30), date(2023, 7, 6))
    # Saturday 1, Sunday 2 and Tuesday 4 July (Independence Day) are not sessions
    assert [str(day) for day in days] == ["2023-06-30", "2023-07-03", "2023-07-05", "2023-07-06"]
    assert days.dtype == np.dtype("datetime64[D]")


def test_levels_are_the_base_then_each_session_carried_forward():
    # given a daily index from Friday 30 June 2023 to Thursday 6 July
    levels = [1.00, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06]
    # then the base (Friday), Monday 3, Wednesday 5 and Thursday 6 July
    values = trading_day_level_values(np.array(levels), date(2023, 6, 30))
    assert list(values) == [1.00, 1.03, 1.05, 1.06]


def test_days_without_a_level_are_skipped_and_carried_over():
    # given no level on Thursday 29 June (the index starts on Friday) nor on Wednesday 5 July
    levels = [NAN, 1.00, 1.01, 1.02, 1.03, 1.04, NAN, 1.06]
    values = trading_day_level_values(np.array(levels), date(2023, 6, 29))
    # then the base is Friday's; Wednesday carries Tuesday's 1.04
    assert list(values) == [1.00, 1.03, 1.04, 1.06]
    assert len(trading_day_level_values(np.array([NAN, NAN]), date(2023, 6, 29))) == 0


def test_points_are_the_days_of_the_levels_as_offsets_from_the_start():
    # given the index above, with no level on Thursday 29 June nor Wednesday 5 July
    levels = [NAN, 1.00, 1.01, 1.02, 1.03, 1.04, NAN, 1.06]
    points, values = trading_day_points(np.array(levels), date(2023, 6, 29))
    # then Friday 30 June (+1), Monday 3 (+4), Wednesday 5 (+6) and Thursday 6 July (+7)
    assert list(points) == [1, 4, 6, 7]
    assert list(values) == [1.00, 1.03, 1.04, 1.06]


def test_levels_equal_the_pandas_calculation_on_random_indexes():
    rng = random.Random(7)
    for _ in range(200):
        start = date(1990, 1, 1) + timedelta(days=rng.randrange(12_000))
        levels = np.array([1 + rng.random() for _ in range(rng.randrange(1, 400))])
        if rng.random() < 0.3:
            levels[0] = NAN  # the index starts a day later
        for _ in range(rng.randrange(4)):
            levels[rng.randrange(len(levels))] = NAN
        series = pd.Series(levels, index=pd.date_range(start, periods=len(levels)))
        expected = trading_day_levels(series).to_numpy()
        assert np.array_equal(trading_day_level_values(levels, start), expected), start
        assert [str(day.date()) for day in xnys_sessions(start, start + timedelta(days=30))] == [
            str(day) for day in xnys_session_days(start, start + timedelta(days=30))
        ]
