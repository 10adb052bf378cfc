"""Each account's cash: the balances a ledger rebuild stores (``LedgerState.cash``) are read
in place of the sums over every transaction while nothing is pending, and always equal them.

Every balance is worked out by hand in a comment.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin

from portfolios.models import Account, LedgerState, Security, Transaction
from portfolios.selectors.accounts import account_cash_balances, account_cash_balances_summed
from portfolios.services.imports.transactions import transactions_import
from portfolios.services.ledger import LedgerRebuildError, ledger_rebuild
from portfolios.services.recompute import ledger_mark_changed
from portfolios.services.transactions import transaction_delete, transaction_update
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory
from tests.portfolios.ledger_builders import buy, deposit, sell

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def history(cast) -> dict:
    """A deposit, a buy and a sale with fees, a dividend, a fee and a cash transfer."""
    joint = AccountFactory(household=cast.household_a, name="Joint")
    ira = AccountFactory(household=cast.household_a, name="IRA", type=Account.Type.TRADITIONAL_IRA)
    xyz = SecurityFactory(symbol="XYZ", kind=Security.Kind.STOCK)
    rows = {
        "deposit": deposit(joint, "2024-01-02", "10000.00"),
        "buy": buy(joint, "2024-01-03", xyz, 10, "1000.00", fees=D("5.00")),
        "sell": sell(joint, "2024-02-01", xyz, 4, "480.00", fees=D("2.50")),
        "dividend": TransactionFactory(
            account=joint,
            trade_date=date(2024, 3, 15),
            type=Transaction.Type.DIVIDEND,
            security=xyz,
            amount=D("12.34"),
        ),
        "fee": TransactionFactory(
            account=joint, trade_date=date(2024, 4, 1), type=Transaction.Type.FEE, amount=D("25")
        ),
        "transfer": TransactionFactory(
            account=joint,
            to_account=ira,
            trade_date=date(2024, 5, 1),
            type=Transaction.Type.TRANSFER,
            amount=D("500.00"),
        ),
    }
    return {"joint": joint, "ira": ira, "xyz": xyz, **rows}


def _stored(household) -> dict | None:
    """Return the stored balances as Decimals (their text is the sums' own, whose scale
    depends on the database: compared exactly with ``_as_text``)."""
    cash = LedgerState.objects.get(household=household).cash
    return None if cash is None else {pk: D(text) for pk, text in cash.items()}


def _as_text(balances: dict) -> dict:
    return {pk: str(balance) for pk, balance in balances.items()}


def test_a_rebuild_stores_the_cash_worked_by_hand_and_reads_it_in_two_queries(
    cast, history, django_assert_num_queries
):
    joint, ira = history["joint"], history["ira"]
    # when
    ledger_rebuild(household=cast.household_a)

    # then Joint: 10,000 - (1,000 + 5) + (480 - 2.50) + 12.34 - 25 - 500 = 8,959.84;
    # IRA: the 500 transferred in
    assert _stored(cast.household_a) == {str(joint.pk): D("8959.84"), str(ira.pk): D("500")}
    with django_assert_num_queries(2):  # the state row, the household's accounts
        balances = account_cash_balances(household=cast.household_a)
    assert balances == {joint.pk: D("8959.84"), ira.pk: D("500")}
    # and equal to the sums over every transaction, to the last digit and in their order
    summed = account_cash_balances_summed(household=cast.household_a)
    assert list(balances) == list(summed)
    assert _as_text(balances) == _as_text(summed)


def test_edits_deletes_and_imports_read_the_sums_while_pending_and_equal_them_after_rebuild(
    cast, history
):
    joint, ira = history["joint"], history["ira"]
    ledger_rebuild(household=cast.household_a)

    # when the dividend becomes 20.00, the fee is deleted and a file deposits 1,000 in IRA
    transaction_update(txn=history["dividend"], fields={"amount": "20.00"})
    transaction_delete(txn=history["fee"])
    result = transactions_import(
        household=cast.household_a,
        content=b"id,date,account,type,symbol,quantity,price,amount,fees\n"
        b"IMP-1,2024-06-01,IRA,DEPOSIT,,,,1000.00,0\n",
        filename="deposit.csv",
    )
    assert (result.added, result.errors) == (1, [])

    # then while the recompute is pending the balances are the sums, not the stored ones:
    # Joint 8,959.84 + (20.00 - 12.34) + 25 = 8,992.50; IRA 500 + 1,000 = 1,500
    expected = {joint.pk: D("8992.50"), ira.pk: D("1500")}
    assert LedgerState.objects.get(household=cast.household_a).dirty_from == date(2024, 3, 15)
    assert _stored(cast.household_a) == {str(joint.pk): D("8959.84"), str(ira.pk): D("500")}
    assert account_cash_balances(household=cast.household_a) == expected

    # and once rebuilt, the stored balances are the sums again
    ledger_rebuild(household=cast.household_a)
    assert _stored(cast.household_a) == {str(joint.pk): D("8992.50"), str(ira.pk): D("1500")}
    balances = account_cash_balances(household=cast.household_a)
    assert balances == expected
    assert _as_text(balances) == _as_text(account_cash_balances_summed(household=cast.household_a))


def test_a_failed_rebuild_sets_the_stored_cash_aside(cast, history):
    joint = history["joint"]
    ledger_rebuild(household=cast.household_a)
    # given a sale of 100 XYZ when 6 are held (written without a mark, as a shell would)
    sell(joint, "2024-07-01", history["xyz"], 100, "9000.00")

    # when
    with pytest.raises(LedgerRebuildError):
        ledger_rebuild(household=cast.household_a)

    # then the balances are the sums, the bad sale's 9,000 in: 8,959.84 + 9,000
    assert _stored(cast.household_a) is None
    assert account_cash_balances(household=cast.household_a)[joint.pk] == D("17959.84")


def test_an_account_opened_after_the_rebuild_reads_zero_in_the_sums_order(cast, history):
    ledger_rebuild(household=cast.household_a)
    # when an account is opened (no transaction: nothing to mark)
    brokerage = AccountFactory(household=cast.household_a, name="Brokerage")

    # then it reads 0, where the sums put it
    balances = account_cash_balances(household=cast.household_a)
    summed = account_cash_balances_summed(household=cast.household_a)
    assert balances[brokerage.pk] == 0
    assert list(balances) == list(summed)
    assert _as_text(balances) == _as_text(summed)


def test_a_balance_of_a_day_is_always_summed(cast, history):
    joint = history["joint"]
    ledger_rebuild(household=cast.household_a)
    # then on 2024-02-01: 10,000 - 1,005 + 477.50 = 9,472.50
    on_day = account_cash_balances(household=cast.household_a, as_of=date(2024, 2, 1))
    assert on_day[joint.pk] == D("9472.50")


def test_deleting_a_transaction_in_the_admin_marks_the_ledger(cast, history):
    joint = history["joint"]
    ledger_rebuild(household=cast.household_a)
    transaction_admin = admin.site._registry[Transaction]

    # when the 10,000 deposit is deleted in the admin
    transaction_admin.delete_model(None, history["deposit"])

    # then the ledger is marked from its day and the cash is summed: 8,959.84 - 10,000
    assert LedgerState.objects.get(household=cast.household_a).dirty_from == date(2024, 1, 2)
    assert account_cash_balances(household=cast.household_a)[joint.pk] == D("-1040.16")


def test_a_mark_moves_the_ledger_earlier_never_later(cast, history):
    ledger_rebuild(household=cast.household_a)
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 5, 1))
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 3, 1))
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 6, 1))
    assert LedgerState.objects.get(household=cast.household_a).dirty_from == date(2024, 3, 1)
