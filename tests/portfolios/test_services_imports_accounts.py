"""Which account each row of a file goes to (``services.imports.accounts``), through the
command as a household runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError

from portfolios.models import Account, ImportBatch, Transaction
from tests.portfolios.factories import AccountFactory
from tests.portfolios.import_summaries import BROKERS
from tests.portfolios.test_imports_every_broker_file import run_import

pytestmark = pytest.mark.django_db

FIDELITY = BROKERS / "fidelity" / "History_for_Account_Z12345678.csv"
ALL_ACCOUNTS = BROKERS / "fidelity" / "Accounts_History.csv"


def test_rows_go_to_the_account_with_the_files_number(cast):
    # given an account numbered as in the file (Fidelity prints it in the file name)
    account = AccountFactory(household=cast.household_a, name="Brokerage", number="Z12345678")
    # when
    output = run_import(FIDELITY, "--open-missing")
    # then all 9 rows (and the MSFT opening) are in it, no account is created
    assert "added 10," in output
    assert Transaction.objects.filter(account=account).count() == 10
    assert Account.objects.filter(household=cast.household_a).count() == 1


def test_a_masked_number_matches_an_account_by_its_last_digits(cast):
    # Schwab's title says "...789"; the account holds the full number
    account = AccountFactory(household=cast.household_a, name="Individual", number="4444-5789")
    run_import(BROKERS / "schwab" / "Individual_XXX789_Transactions_20240401-101500.csv")
    assert Transaction.objects.filter(account=account).count() == 17


def test_a_chosen_account_with_another_number_is_refused_naming_both(cast):
    # given the account the user picks is numbered ...6771, the file is ...5678
    AccountFactory(household=cast.household_a, name="Taxable", number="Z25686771")
    # when
    with pytest.raises(CommandError) as raised:
        run_import(FIDELITY, "--account", "Taxable")
    # then nothing is imported and the message says what to do
    assert str(raised.value).splitlines()[1] == (
        "the file is for account …5678, but 'Taxable' is numbered …6771; choose the account "
        "numbered …5678, or leave the choice out"
    )
    assert Transaction.objects.count() == 0


def test_a_chosen_account_without_a_number_takes_the_files(cast):
    account = AccountFactory(household=cast.household_a, name="Taxable", number="")
    output = run_import(FIDELITY, "--account", "Taxable", "--open-missing")
    assert "'Taxable' takes the account number the file names" in output
    account.refresh_from_db()
    assert account.number == "Z12345678"
    # a second import of it finds the account by number alone; the 9 rows are known, and
    # with the MSFT opening stored no sale falls short any more
    assert "added 0, duplicates 9" in run_import(FIDELITY, "--open-missing")


def test_a_file_of_several_accounts_is_refused_with_a_chosen_account(cast):
    AccountFactory(household=cast.household_a, name="Taxable")
    with pytest.raises(CommandError) as raised:
        run_import(ALL_ACCOUNTS, "--account", "Taxable")
    assert "the file holds the transactions of 2 accounts (…1111, …2222)" in str(raised.value)


def test_an_unknown_number_is_refused_saying_how_to_map_it(cast):
    with pytest.raises(CommandError) as raised:
        run_import(FIDELITY)
    assert str(raised.value).splitlines()[1] == (
        "the file names account …5678 (Fidelity) which no account of this household has: give "
        "an account that number (its settings page), choose the account for a one-account file, "
        "or let Hearth create it (--create-accounts, or 'Create missing accounts' when uploading)"
    )
    assert ImportBatch.objects.get().status == "rejected"


def test_create_accounts_names_them_after_the_institution_and_types_them_from_the_file(cast):
    output = run_import(ALL_ACCOUNTS, "--create-accounts")
    assert (
        "created accounts (review them): Fidelity …1111 (Taxable brokerage), "
        "Fidelity …2222 (Roth IRA)" in output
    )
    created = Account.objects.filter(household=cast.household_a).order_by("name")
    assert [(a.name, a.number, a.type, a.institution) for a in created] == [
        ("Fidelity …1111", "Z11111111", "taxable", "Fidelity"),
        ("Fidelity …2222", "222222222", "roth_ira", "Fidelity"),
    ]
    # both sides of the transfers are one TRANSFER each, from the taxable to the Roth
    transfers = Transaction.objects.filter(type="TRANSFER").order_by("trade_date")
    assert [(t.account.number, t.to_account.number, t.amount) for t in transfers] == [
        ("Z11111111", "222222222", 6500),
        ("Z11111111", "222222222", 0),
    ]


def test_a_multi_account_file_goes_in_all_or_nothing(cast):
    # given only the taxable account exists: the Roth's rows cannot go anywhere
    AccountFactory(household=cast.household_a, name="Taxable", number="Z11111111")
    with pytest.raises(CommandError) as raised:
        run_import(ALL_ACCOUNTS)
    assert "account …2222 (Fidelity) which no account" in str(raised.value)
    # then not even the taxable account's rows are stored
    assert Transaction.objects.count() == 0


def test_a_dry_run_creates_no_account(cast):
    output = run_import(ALL_ACCOUNTS, "--create-accounts", "--dry-run")
    assert "would create accounts (review them): Fidelity …1111" in output
    assert not Account.objects.filter(household=cast.household_a).exists()


def test_hearth_csv_keeps_naming_accounts_by_name(cast, tmp_path: Path):
    AccountFactory(household=cast.household_a, name="Joint")
    path = tmp_path / "rows.csv"
    path.write_text("date,account,type,amount\n2024-01-02,Joint,DEPOSIT,100\n")
    assert "added 1," in run_import(path)
