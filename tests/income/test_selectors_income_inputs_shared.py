"""``income_inputs_shared``: the recompute chain reads a household's income inputs once."""

from datetime import date

import pytest

from income.selectors.holdings import income_inputs, income_inputs_shared

pytestmark = pytest.mark.usefixtures("frozen_today")


def test_inside_the_block_the_inputs_are_read_once_per_household_and_day(
    cast, holdings, django_assert_num_queries
):
    household = cast.household_a
    with income_inputs_shared():
        first = income_inputs(household=household, today=date(2025, 4, 10))
        # the same household and day again: no query, the same inputs
        with django_assert_num_queries(0):
            again = income_inputs(household=household, today=date(2025, 4, 10))
        assert again is first
        # another day is read afresh
        other_day = income_inputs(household=household, today=date(2025, 4, 11))
        assert other_day is not first
    # the positions read: 100 KO in the Brokerage and 200 O in the Roth IRA
    held = sorted((p.holding.symbol, p.holding.quantity) for p in first.positions)
    assert held == [("KO", 100), ("O", 200)]
    # outside the block every call reads again
    assert income_inputs(household=household, today=date(2025, 4, 10)) is not first
