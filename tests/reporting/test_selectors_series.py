"""Reading stored series: decoded once per process, yet always what the row holds now."""

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from reporting.calculations.daily_series import MONEY_COLUMNS, DailySeries, encode_series
from reporting.models import ValuationSeries
from reporting.selectors.series import series_get, series_list

pytestmark = pytest.mark.django_db
Scope = ValuationSeries.Scope
START = date(2024, 1, 1)
COMPUTED = datetime.fromisoformat("2024-01-10T12:00:00+00:00")


def _series(values: list[int]) -> DailySeries:
    """A series whose value and cash are ``values`` (ten-thousandths), nothing else moving."""
    money = {name: np.zeros(len(values), dtype=np.int64) for name in MONEY_COLUMNS}
    money["value"] = np.array(values, dtype=np.int64)
    money["cash"] = np.array(values, dtype=np.int64)
    return DailySeries(start=START, money=money)


def _store(household, series: DailySeries, *, split: int) -> None:
    packed = encode_series(series, split=split)
    ValuationSeries.objects.update_or_create(
        household=household,
        scope=Scope.HOUSEHOLD,
        scope_key="",
        defaults={
            "label": household.name,
            "start_date": series.start,
            "end_date": series.end,
            "first_date": series.start,
            "values": packed.recent,
            "history": packed.history,
            "computed_at": COMPUTED,
        },
    )


def test_a_rewritten_history_is_read_anew_even_with_the_same_row_and_time(cast):
    # given: a stored series, read once (so decoded and kept)
    household = cast.household_a
    _store(household, _series([10_000, 20_000, 30_000, 40_000]), split=2)
    assert list(series_get(household=household, scope=Scope.HOUSEHOLD).series.money["value"]) == [
        10_000,
        20_000,
        30_000,
        40_000,
    ]
    # when: the first days change (a backdated change), the recent part packs the same
    # day-to-day changes, and the row keeps its id and its computed_at
    _store(household, _series([15_000, 25_000, 35_000, 45_000]), split=2)
    # then: the new values are read
    stored = series_list(household=household)[0]
    assert list(stored.series.money["value"]) == [15_000, 25_000, 35_000, 45_000]
    assert stored.series.end == START + timedelta(days=3)


def test_stored_arrays_are_shared_read_only(cast):
    # given
    household = cast.household_a
    _store(household, _series([10_000, 20_000]), split=0)
    # when
    first = series_get(household=household, scope=Scope.HOUSEHOLD)
    second = series_get(household=household, scope=Scope.HOUSEHOLD)
    # then: one decoded series serves both reads, and no reader can change it for the other
    assert first.series is second.series
    with pytest.raises(ValueError, match="read-only"):
        first.series.money["cash"][0] = 0
