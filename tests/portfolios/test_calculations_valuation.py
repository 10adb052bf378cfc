"""Tests for portfolios.calculations.valuation: the value at each calendar day's close.

DESIGN §7 (Valuation): market value at each day's close plus cash; a missing price carries
the last known one forward; before a security's first price, its first price. Expected
values are worked out by hand in the comments.
"""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from portfolios.calculations.valuation import MissingPriceError
from tests.portfolios.valuation_frames import daily_valuation


def test_weekend_carries_friday_close_forward():
    """DESIGN §7: a missing price carries the last known one forward."""
    # given 10 shares bought on Friday 2023-06-02 with a deposit of exactly their cost
    prices = {"X": [(date(2023, 6, 2), Decimal("10.00")), (date(2023, 6, 5), Decimal("11.00"))]}

    # when
    frame = daily_valuation(
        start=date(2023, 6, 2),
        end=date(2023, 6, 5),
        quantity_changes=[(date(2023, 6, 2), "X", Decimal("10"))],
        cash_changes=[(date(2023, 6, 2), Decimal("100")), (date(2023, 6, 2), Decimal("-100"))],
        prices=prices,
        flows=[(date(2023, 6, 2), Decimal("100"), Decimal("0"))],
    )

    # then Fri/Sat/Sun 10 x 10.00 = 100, Mon 10 x 11.00 = 110; cash 100 - 100 = 0
    assert frame["value"].to_list() == [100.0, 100.0, 100.0, 110.0]
    assert frame["cash"].to_list() == [0.0, 0.0, 0.0, 0.0]
    assert frame["inflow"].to_list() == [100.0, 0.0, 0.0, 0.0]
    assert list(frame.index.date) == [
        date(2023, 6, 2),
        date(2023, 6, 3),
        date(2023, 6, 4),
        date(2023, 6, 5),
    ]


def test_days_before_first_price_use_the_first_price():
    """DESIGN §7: before a security's first price, its first price."""
    # given 5 shares transferred in on 2023-06-01 whose prices start on 2023-06-05
    prices = {"Y": [(date(2023, 6, 5), Decimal("20")), (date(2023, 6, 6), Decimal("22"))]}

    # when
    frame = daily_valuation(
        start=date(2023, 6, 1),
        end=date(2023, 6, 6),
        quantity_changes=[(date(2023, 6, 1), "Y", Decimal("5"))],
        prices=prices,
    )

    # then 06-01..06-05 are 5 x 20 = 100, 06-06 is 5 x 22 = 110
    assert frame["value"].to_list() == [100.0, 100.0, 100.0, 100.0, 100.0, 110.0]


def test_price_and_position_from_before_the_window_open_it():
    """DESIGN §7: the last known price before the period still carries into it."""
    # given 3 shares and 50 of cash from 2023-05-30; a close of 7 on 05-31, the next on 06-05
    prices = {"Z": [(date(2023, 5, 31), Decimal("7")), (date(2023, 6, 5), Decimal("8"))]}

    # when
    frame = daily_valuation(
        start=date(2023, 6, 3),
        end=date(2023, 6, 5),
        quantity_changes=[(date(2023, 5, 30), "Z", Decimal("3"))],
        cash_changes=[(date(2023, 5, 30), Decimal("50"))],
        prices=prices,
        flows=[(date(2023, 5, 30), Decimal("71"), Decimal("0"))],
    )

    # then 3 x 7 + 50 = 71 on 06-03 and 06-04, 3 x 8 + 50 = 74 on 06-05; the deposit before
    # the window is not one of its flows
    assert frame["market_value"].to_list() == [21.0, 21.0, 24.0]
    assert frame["value"].to_list() == [71.0, 71.0, 74.0]
    assert frame["inflow"].to_list() == [0.0, 0.0, 0.0]


def test_cash_only_portfolio_is_its_cash_balance():
    """Portfolio Performance ClientIndexTest#testExcelSample's cash account, day by day."""
    # given the sample's cash transactions, 2011-12-31 to 2012-01-08
    cash_changes = [
        (date(2011, 12, 31), Decimal("10000")),
        (date(2012, 1, 1), Decimal("230")),
        (date(2012, 1, 2), Decimal("200")),
        (date(2012, 1, 2), Decimal("200")),
        (date(2012, 1, 3), Decimal("-400")),
        (date(2012, 1, 3), Decimal("-234.41")),
        (date(2012, 1, 4), Decimal("293.99")),
        (date(2012, 1, 5), Decimal("293.99")),
        (date(2012, 1, 6), Decimal("5400")),
        (date(2012, 1, 6), Decimal("195.99")),
        (date(2012, 1, 7), Decimal("-3697.04")),
        (date(2012, 1, 7), Decimal("-882.52")),
        (date(2012, 1, 8), Decimal("-1003.85")),
    ]
    flows = {
        date(2011, 12, 31): (Decimal("10000"), Decimal("0")),
        date(2012, 1, 2): (Decimal("200"), Decimal("0")),
        date(2012, 1, 3): (Decimal("0"), Decimal("400")),
        date(2012, 1, 6): (Decimal("5400"), Decimal("0")),
        date(2012, 1, 7): (Decimal("0"), Decimal("3697.04")),
    }

    # when
    frame = daily_valuation(
        start=date(2011, 12, 31), end=date(2012, 1, 8), cash_changes=cash_changes, flows=flows
    )

    # then the running balances: 10000, +230, +400, -634.41, +293.99, +293.99, +5595.99,
    # -4579.56, -1003.85
    assert frame["value"].to_list() == [
        10000.00,
        10230.00,
        10630.00,
        9995.59,
        10289.58,
        10583.57,
        16179.56,
        11600.00,
        10596.15,
    ]
    assert frame["market_value"].to_list() == [0.0] * 9
    assert frame["inflow"].to_list() == [10000, 0, 200, 0, 0, 0, 5400, 0, 0]
    assert frame["outflow"].to_list() == [0, 0, 0, 400, 0, 0, 0, 3697.04, 0]


def test_sale_reduces_the_position_at_that_days_close():
    """A quantity change counts from the close of its day."""
    # given 10 shares at a constant 10, 4 of them sold on the third day for 40 of cash
    prices = {"X": [(date(2024, 1, 2), Decimal("10"))]}

    # when
    frame = daily_valuation(
        start=date(2024, 1, 2),
        end=date(2024, 1, 4),
        quantity_changes=[
            (date(2024, 1, 2), "X", Decimal("10")),
            (date(2024, 1, 4), "X", Decimal("-4")),
        ],
        cash_changes=[(date(2024, 1, 4), Decimal("40"))],
        prices=prices,
    )

    # then 100, 100, then 6 x 10 + 40 = 100 with market value 60
    assert frame["market_value"].to_list() == [100.0, 100.0, 60.0]
    assert frame["value"].to_list() == [100.0, 100.0, 100.0]


def test_fx_multiplier_converts_each_day_to_the_base_currency():
    """A foreign security's value is quantity x price x the day's rate, carried like prices."""
    # given 10 units at 100 EUR; EUR->USD 1.1 on 01-02, no rate on 01-03, 1.2 on 01-04
    prices = {"EU": pd.Series([100.0], index=pd.DatetimeIndex(["2024-01-02"]))}
    fx = {"EU": [(date(2024, 1, 2), Decimal("1.1")), (date(2024, 1, 4), Decimal("1.2"))]}

    # when
    frame = daily_valuation(
        start=date(2024, 1, 2),
        end=date(2024, 1, 4),
        quantity_changes=[(date(2024, 1, 2), "EU", Decimal("10"))],
        prices=prices,
        fx=fx,
    )

    # then 10 x 100 x 1.1 = 1100 twice, then 10 x 100 x 1.2 = 1200
    assert frame["value"].to_list() == [1100.0, 1100.0, 1200.0]


def test_money_is_rounded_to_four_places():
    """Stored money has 4 decimal places (portfolios.fields.MONEY)."""
    # given a third of a share, to 10 places, at 3.00
    prices = {"X": [(date(2024, 1, 2), Decimal("3.00"))]}

    # when
    frame = daily_valuation(
        start=date(2024, 1, 2),
        end=date(2024, 1, 2),
        quantity_changes=[(date(2024, 1, 2), "X", Decimal("0.3333333333"))],
        prices=prices,
    )

    # then 0.3333333333 x 3 = 0.9999999999, which is 1.0000 to 4 places
    assert frame["value"].to_list() == [1.0]


def test_held_security_without_any_price_is_an_error():
    """A holding with no price cannot be valued; silently counting it as 0 would lie."""
    # given
    quantity_changes = [(date(2024, 1, 2), "NOPRICE", Decimal("1"))]

    # when / then
    with pytest.raises(MissingPriceError, match="NOPRICE") as error:
        daily_valuation(
            start=date(2024, 1, 2), end=date(2024, 1, 3), quantity_changes=quantity_changes
        )
    assert error.value.security_ids == ("NOPRICE",)


def test_security_closed_before_the_window_needs_no_price():
    """Only positions open inside the window are valued."""
    # given a round trip in 2023 and a window in 2024
    quantity_changes = [
        (date(2023, 3, 1), "OLD", Decimal("5")),
        (date(2023, 4, 1), "OLD", Decimal("-5")),
    ]

    # when
    frame = daily_valuation(
        start=date(2024, 1, 2), end=date(2024, 1, 3), quantity_changes=quantity_changes
    )

    # then
    assert frame["value"].to_list() == [0.0, 0.0]
