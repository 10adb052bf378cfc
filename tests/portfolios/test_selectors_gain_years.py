"""The years the realized-gains page offers: the years of the household's sales."""

import pytest
from django.core.management import call_command

from portfolios.selectors.ledger import realized_gain_years
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, deposit, sell

pytestmark = pytest.mark.django_db


def test_realized_gain_years_are_the_years_of_sales_newest_first(cast):
    # given sales on 2019-12-31, 2020-01-01, 2020-06-30 and 2023-03-01 (none in 2021-22)
    joint = AccountFactory(household=cast.household_a, name="Joint")
    xyz = SecurityFactory(symbol="XYZ")
    deposit(joint, "2019-01-02", 1000)
    buy(joint, "2019-01-02", xyz, 10, 100)
    for day in ("2019-12-31", "2020-01-01", "2020-06-30", "2023-03-01"):
        sell(joint, day, xyz, 1, 12)
    call_command("recompute", stdout=None)

    # then each year once, newest first; household B sold nothing
    assert realized_gain_years(household=cast.household_a) == [2023, 2020, 2019]
    assert realized_gain_years(household=cast.household_b) == []
