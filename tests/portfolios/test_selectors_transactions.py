"""The transaction list: its unfiltered count is the ledger rebuild's while that is current."""

from datetime import date

import pytest
from django.core.paginator import Paginator

from portfolios.selectors.transactions import transaction_list
from portfolios.services.ledger import ledger_rebuild
from portfolios.services.transactions import transaction_delete
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, deposit, sell

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint(cast):
    """Joint: a deposit, two buys and a sale of XYZ (4 transactions), the ledger rebuilt."""
    joint = AccountFactory(household=cast.household_a, name="Joint")
    xyz = SecurityFactory(symbol="XYZ")
    deposit(joint, "2024-01-02", 5000)
    buy(joint, "2024-01-03", xyz, 10, 1000)
    buy(joint, "2024-02-01", xyz, 5, 550)
    sell(joint, "2024-03-01", xyz, 4, 480)
    ledger_rebuild(household=cast.household_a)
    return joint


def test_the_unfiltered_count_is_read_from_the_rebuild_without_counting(
    cast, joint, django_assert_num_queries
):
    # when
    with django_assert_num_queries(1):  # the ledger state row
        rows = transaction_list(household=cast.household_a)
        count = rows.count()

    # then 4, and a page of 3 is one of two pages, its rows still read in full
    assert count == 4
    page = Paginator(rows, 3).get_page(2)
    assert (page.paginator.num_pages, len(page.object_list)) == (2, 1)
    assert page.object_list[0].trade_date == date(2024, 1, 2)  # newest first: the oldest last


def test_a_filtered_list_or_a_pending_change_is_counted(cast, joint):
    # a filter counts its own rows: the two buys
    assert transaction_list(household=cast.household_a, type="BUY").count() == 2
    assert transaction_list(household=cast.household_a).filter(type="SELL").count() == 1
    # when the sale is deleted (marked, not yet rebuilt), the list counts 3
    sale = transaction_list(household=cast.household_a, type="SELL").get()
    transaction_delete(txn=sale)
    assert transaction_list(household=cast.household_a).count() == 3
    # and so it reads after the rebuild, from the state row
    ledger_rebuild(household=cast.household_a)
    assert transaction_list(household=cast.household_a).count() == 3
    # household B has none
    assert transaction_list(household=cast.household_b).count() == 0
