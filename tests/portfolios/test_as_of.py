"""The one valuation as-of (``portfolios.selectors.as_of``) and the one rounding of a
position, in the pure valuation the stored series uses (``position_cents``)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest

from portfolios.calculations.valuation import position_cents
from portfolios.models import Household
from portfolios.selectors.as_of import household_today, position_value
from tests.portfolios.valuation_frames import daily_valuation

D = Decimal


@pytest.mark.parametrize(
    ("zone", "moment", "expected"),
    [
        # 04:40 UTC Thu 12-03 is 23:40 Wed in New York, 17:40 Thu in Auckland (NZDT +13)
        ("America/New_York", datetime(2026, 12, 3, 4, 40, tzinfo=UTC), date(2026, 12, 2)),
        ("America/New_York", datetime(2026, 12, 3, 5, 10, tzinfo=UTC), date(2026, 12, 3)),
        ("Pacific/Auckland", datetime(2026, 12, 3, 4, 40, tzinfo=UTC), date(2026, 12, 3)),
        # 11:30 UTC Wed 12-02 is already 00:30 Thu in Auckland
        ("Pacific/Auckland", datetime(2026, 12, 2, 11, 30, tzinfo=UTC), date(2026, 12, 3)),
        ("", datetime(2026, 12, 2, 23, 59, tzinfo=UTC), date(2026, 12, 2)),
        ("Not/A_Zone", datetime(2026, 12, 2, 23, 59, tzinfo=UTC), date(2026, 12, 2)),
    ],
)
def test_household_today_is_the_date_in_its_time_zone(zone, moment, expected):
    assert household_today(Household(time_zone=zone), now=moment) == expected


def test_position_value_rounds_once_to_the_cent_half_up():
    # 309 × 55.125 = 17,033.625 → 17,033.63; 3 × 10.125 = 30.375 → 30.38
    assert position_value(D(309), D("55.125")) == D("17033.63")
    assert position_value(D(3), D("10.125")) == D("30.38")
    assert position_value(D(3), None) is None


def test_position_cents_matches_decimal_half_up_on_ties_and_float_error():
    quantities = np.array([[3.0, 309.0, 0.1 + 0.2, 7.5, -3.0, 2.0]])
    prices = np.array([[10.125, 55.125, 35.05, 312.3456, 10.125, 0.005]])
    # 30.375 → 30.38; 17,033.625 → 17,033.63; 0.3 × 35.05 = 10.515 → 10.52 (the float
    # 0.30000000000000004 is the stored 0.3); 7.5 × 312.3456 = 2,342.592 → 2,342.59;
    # −30.375 → −30.38 (half away from zero, as Decimal's ROUND_HALF_UP); 0.01 exactly
    assert position_cents(quantities, prices).tolist() == [
        [30.38, 17033.63, 10.52, 2342.59, -30.38, 0.01]
    ]


def test_position_cents_agrees_with_decimal_on_many_products():
    rng = np.random.default_rng(7)
    quantities = np.round(rng.integers(1, 4000, size=(40, 400)) / 2, 1)  # halves: many ties
    prices = np.round(rng.integers(1000, 999999, size=(40, 400)) / 1000, 3)
    got = position_cents(quantities, prices)
    for row in range(40):
        for column in range(400):
            exact = (
                D(repr(float(quantities[row, column]))) * D(repr(float(prices[row, column])))
            ).quantize(D("0.01"), rounding="ROUND_HALF_UP")
            assert D(repr(float(got[row, column]))) == exact


def test_daily_valuation_can_value_each_position_to_the_cent():
    """Three positions of 30.375 each: 91.13 summed unrounded (91.125 to 4 places), 91.14
    when each position is rounded first (30.38 × 3), as the holdings page adds them."""
    changes = [(date(2026, 1, 5), sid, D(3)) for sid in ("A", "B", "C")]
    prices = {sid: [(date(2026, 1, 5), D("10.125"))] for sid in ("A", "B", "C")}
    plain = daily_valuation(
        start=date(2026, 1, 5), end=date(2026, 1, 6), quantity_changes=changes, prices=prices
    )
    rounded = daily_valuation(
        start=date(2026, 1, 5),
        end=date(2026, 1, 6),
        quantity_changes=changes,
        prices=prices,
        round_positions=True,
    )
    assert plain["market_value"].tolist() == [91.125, 91.125]
    assert rounded["market_value"].tolist() == [91.14, 91.14]


def test_lots_share_their_positions_value_by_cumulative_rounding():
    """Three lots of 1 share at 10.125: the position is 3 × 10.125 = 30.375 → 30.38;
    the lots 10.13 (1 × 10.125 → 10.13), 20.25 − 10.13 = 10.12, 30.38 − 20.25 = 10.13,
    not 10.13 three times (30.39, a cent off the position)."""
    from portfolios.calculations.position_values import lot_values

    assert lot_values([D(1), D(1), D(1)], D("10.125")) == [D("10.13"), D("10.12"), D("10.13")]
    assert sum(lot_values([D(101), D(103), D(105)], D("55.125"))) == D("17033.63")
    assert lot_values([], D(1)) == []
