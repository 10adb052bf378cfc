"""Importing transaction files (DESIGN §3, §4): the command and the service behind it.

Row counts come from the sample files in ``import_files/``; the parsers' own tests pin
what each row of them means, so here only the counts and the household effects are
worked out: what is added, what is a duplicate, what is rejected and why.
"""

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from portfolios.models import ImportBatch, LedgerState, LotRelief, Security, TaxLot, Transaction
from portfolios.services.imports import transactions as import_module
from portfolios.services.imports import transactions_import
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "import_files"
D = Decimal


@pytest.fixture
def accounts(cast):
    """Household Alpha's taxable account and Roth IRA; VTI is a known security."""
    SecurityFactory(symbol="VTI")
    return {
        "taxable": AccountFactory(household=cast.household_a, name="Taxable"),
        "roth": AccountFactory(
            household=cast.household_a, name="Roth IRA", type="roth_ira", institution="Schwab"
        ),
    }


def run_import(path, *options) -> str:
    out = StringIO()
    call_command("import_transactions", str(path), "--household", "Alpha", *options, stdout=out)
    return out.getvalue()


def write_file(tmp_path, text: str, name: str = "file.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def buy(account, symbol: str, quantity: str, price: str, day: date, **extra) -> Transaction:
    quantity_d, price_d = D(quantity), D(price)
    return TransactionFactory(
        account=account,
        trade_date=day,
        type=Transaction.Type.BUY,
        security=SecurityFactory(symbol=symbol),
        quantity=quantity_d,
        price=price_d,
        amount=quantity_d * price_d,
        **extra,
    )


# name, --account, position to hold first (symbol, quantity), added, skipped, new symbols
SAMPLES = [
    ("hearth_import.csv", None, None, 9, 0, ["SCHD"]),
    ("fidelity.csv", "Taxable", None, 9, 2, ["SPAXX", "VNQ", "VXUS"]),
    # The journal names a second Schwab account (...456), created for the transfer; the
    # written call's expiry is dropped (its premium is the OPTION_PREMIUM row).
    ("schwab.csv", "Taxable", None, 13, 1,
     ["AAPL 06/28/2024 220.00 C", "NVDA", "SCHD", "TSM", "VIG"]),
    ("vanguard.csv", "Taxable", None, 9, 3, ["VMFXX", "VNQ"]),
    # The Flex file sells 4 SAP it never bought: the account holds them from before.
    ("ibkr_flex.csv", "Taxable", ("SAP", "4"), 10, 1, ["AAPL", "AAPL  240621C00200000", "MSFT"]),
    ("sample.ofx", "Taxable", None, 12, 1, ["922908553", "NVDA", "VTSAX", "VXUS"]),
    # The QFX statement sells 3.5 FXAIX bought before it starts.
    ("sample_v2.qfx", "Roth IRA", ("FXAIX", "5"), 7, 1, ["912828YK0", "O", "T"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "account", "held", "added", "skipped", "symbols"), SAMPLES)
def test_command_imports_each_sample_format(accounts, name, account, held, added, skipped, symbols):
    # given
    if held:
        target = accounts["roth"] if account == "Roth IRA" else accounts["taxable"]
        buy(target, held[0], held[1], "100", date(2023, 1, 3))
    before = Transaction.objects.count()
    options = ["--account", account, "--create-accounts"] if account else []
    # when
    output = run_import(FILES / name, *options)
    # then
    assert f"added {added}, duplicates 0, skipped {skipped}, new symbols {len(symbols)}" in output
    if symbols:
        assert f"new symbols to review: {', '.join(symbols)}" in output
    assert Transaction.objects.count() - before == added
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows_added, batch.file_name) == ("imported", added, name)
    assert batch.new_symbols == symbols
    assert batch.transactions.count() == added
    assert len(batch.sha256) == 64


def test_reimporting_the_same_file_adds_nothing(accounts):
    # given the 9 rows of hearth_import.csv are stored
    run_import(FILES / "hearth_import.csv")
    # when
    output = run_import(FILES / "hearth_import.csv")
    # then all 9 are duplicates: same account and id (given, or the content hash)
    assert "added 0, duplicates 9" in output
    assert Transaction.objects.count() == 9
    assert ImportBatch.objects.filter(status="imported").count() == 2


def test_overlapping_file_adds_only_the_new_rows(accounts):
    # given the first file is stored
    run_import(FILES / "hearth_import.csv")
    # when a file repeating its last 3 rows (lines 8-10) and adding 2 more is imported
    output = run_import(FILES / "hearth_import_overlap.csv")
    # then 3 duplicates, 2 added: 9 + 2 = 11 rows
    assert "added 2, duplicates 3" in output
    assert Transaction.objects.count() == 11
    assert Transaction.objects.filter(external_id="s2", type="SELL").exists()


def test_file_with_bad_rows_is_rejected_whole_naming_every_row(accounts):
    # when: hearth_errors.csv has 15 bad lines (line 10 twice wrong) and one good row
    with pytest.raises(CommandError) as raised:
        run_import(FILES / "hearth_errors.csv")
    # then nothing is written, not even the good row on line 13
    message = str(raised.value)
    assert "hearth_errors.csv rejected, nothing imported (16 problems)" in message
    for expected in [
        "line 2, column quantity: must be a positive number, got '-3'",
        "line 3, column date: must be a date YYYY-MM-DD, got '2024/01/03'",
        "line 4, column account: is required",
        "line 7, column ratio: must be new:old",
        "line 8, column to_account: is required for TRANSFER rows",
        "line 9, column amount: SELL rows need a price or an amount",
        "line 10, column income_class: must be one of",
        "line 10, column symbol: is required for DIVIDEND rows",
        "line 11, column fees: must be a positive number, got '-1'",
        "line 12, column amount: must be a positive number, got '0'",
        "line 14, column id: 'a1' is already used on line 13",
        "line 15: has 14 fields but the header has 13",
        "line 16, column date: is not a real date, got '2024-02-30'",
        "line 17, column lots: lot quantities add up to 4, but quantity is 5",
        "line 18, column ratio: only applies to SPLIT rows",
    ]:
        assert expected in message
    assert Transaction.objects.count() == 0
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows_added, batch.rows_rejected) == ("rejected", 0, 15)
    assert len(batch.errors) == 16
    assert batch.content is None


def test_rows_naming_what_the_household_lacks_are_rejected_by_line(cast, accounts, tmp_path):
    # given a file whose every row is well formed, but lines 3-5 name things that do not exist
    path = write_file(
        tmp_path,
        "date,account,type,symbol,quantity,price,to_account,lots\n"
        "2024-01-02,Taxable,BUY,VTI,10,100,,\n"
        "2024-01-03,Brokerage,BUY,VTI,1,100,,\n"
        "2024-01-04,Taxable,TRANSFER,VTI,1,,Bravo Brokerage,\n"
        "2024-01-05,Taxable,SELL,VTI,2,110,,x9:2\n"
        "2024-01-06,Taxable,BUY,VTI,-1,100,,\n",
    )
    AccountFactory(household=cast.household_b, name="Bravo Brokerage")
    # when
    with pytest.raises(CommandError) as raised:
        run_import(path)
    # then each bad row is named, the parser's (line 6) with the household's (lines 3-5)
    assert str(raised.value).splitlines()[1:] == [
        "line 3, column account: no account 'Brokerage' in this household",
        "line 4, column to_account: no account 'Bravo Brokerage' in this household",
        "line 5, column lots: no transaction 'x9' in account 'Taxable' or in this file",
        "line 6, column quantity: must be a positive number, got '-1'",
    ]
    assert Transaction.objects.count() == 0


def test_unknown_symbols_are_created_for_review_and_listed(accounts):
    # when
    output = run_import(FILES / "hearth_import.csv")
    # then
    assert "new symbols to review: SCHD" in output
    schd = Security.objects.get(symbol="SCHD")
    assert (schd.kind, schd.asset_class, schd.needs_review) == ("unknown", "unknown", True)
    assert Security.objects.get(symbol="VTI").needs_review is False


def test_broker_names_become_the_new_securitys_name(accounts):
    run_import(FILES / "fidelity.csv", "--account", "Taxable")
    assert Security.objects.get(symbol="VNQ").name == "VANGUARD SPECIALIZED FDS REAL ESTATE ETF"


def test_selling_more_than_held_is_rejected_naming_the_line(accounts, tmp_path):
    # given 5 VTI already held, and a file buying 10 more and selling 16 on line 3
    buy(accounts["taxable"], "VTI", "5", "200", date(2023, 6, 1))
    path = write_file(
        tmp_path,
        "date,account,type,symbol,quantity,price\n"
        "2024-01-02,Taxable,BUY,VTI,10,100\n"
        "2024-01-03,Taxable,SELL,VTI,16,110\n",
    )
    # when
    with pytest.raises(CommandError) as raised:
        run_import(path)
    # then 5 + 10 = 15 are held on line 3's date: 1 short, with an OPENING row to fill in
    # dated the day before the file's first VTI row (2024-01-02)
    message = str(raised.value)
    assert (
        "line 3, column quantity: sells 16 VTI but the account holds 15 then, 1 short"
    ) in message
    assert "2024-01-01,Taxable,OPENING,VTI,1,," in message
    assert Transaction.objects.count() == 1


def test_sample_sale_without_its_purchase_is_rejected(accounts):
    # when the Flex file's SAP sale (line 7) meets an account that never held SAP
    with pytest.raises(CommandError) as raised:
        run_import(FILES / "ibkr_flex.csv", "--account", "Taxable")
    # then the sale is named with its shortfall, and the OPENING rows are ready to fill in
    lines = str(raised.value).splitlines()
    assert lines[1].startswith("sales exceed the shares Hearth knows the account held (SAP in ")
    assert lines[2].startswith("line 7, column quantity: sells 4 SAP but the account holds 0")
    assert "date,account,type,symbol,quantity,amount,memo" in lines
    assert not Security.objects.filter(symbol="MSFT").exists()


def test_rows_breaking_a_stored_sale_are_rejected(accounts, tmp_path):
    # given 10 bought and 10 sold in June
    vti = buy(accounts["taxable"], "VTI", "10", "100", date(2024, 1, 2))
    TransactionFactory(
        account=accounts["taxable"], trade_date=date(2024, 6, 3), type="SELL",
        security=vti.security, quantity=D(10), price=D(120), amount=D(1200),
        external_id="june-sale",
    )  # fmt: skip
    # when a file moves 4 of them to the Roth in March
    path = write_file(
        tmp_path,
        "date,account,type,symbol,quantity,to_account\n"
        "2024-03-01,Taxable,TRANSFER,VTI,4,Roth IRA\n",
    )
    with pytest.raises(CommandError) as raised:
        run_import(path)
    # then the stored sale of 10 would find 6: the file is refused, naming that sale
    message = str(raised.value)
    assert "the new rows would break transaction 'june-sale'" in message
    assert "SELL of 10 exceeds the 6 shares held" in message


def test_dry_run_writes_nothing(accounts):
    # when
    output = run_import(FILES / "hearth_import.csv", "--dry-run")
    # then
    assert "would add 9, duplicates 0" in output
    assert "dry run: nothing was written" in output
    assert Transaction.objects.count() == 0
    assert ImportBatch.objects.count() == 0
    assert not Security.objects.filter(symbol="SCHD").exists()
    assert not LedgerState.objects.filter(dirty_from__isnull=False).exists()


def test_dry_run_of_a_bad_file_reports_and_keeps_nothing(accounts):
    with pytest.raises(CommandError, match="line 2, column quantity"):
        run_import(FILES / "hearth_errors.csv", "--dry-run")
    assert ImportBatch.objects.count() == 0


def test_lots_naming_rows_of_the_file_store_their_transaction_ids(accounts):
    # when
    run_import(FILES / "hearth_import.csv")
    # then the sale "b1:3;b2:2" names the stored buys by their ids
    b1, b2 = (Transaction.objects.get(external_id=ext) for ext in ("b1", "b2"))
    sale = Transaction.objects.get(external_id="s1")
    assert sale.lot_selection == f"{b1.pk}:3;{b2.pk}:2"


def test_lots_may_name_rows_of_an_earlier_import(accounts, tmp_path):
    # given b1 and b2 stored by the first file (13 VTI left after it)
    run_import(FILES / "hearth_import.csv")
    b2 = Transaction.objects.get(external_id="b2")
    path = write_file(
        tmp_path,
        "date,account,type,symbol,quantity,price,lots,id\n2024-10-01,Taxable,SELL,VTI,8,260,b2,s3\n",
    )
    # when: b2 has 10 - 2 = 8 shares open
    run_import(path)
    # then
    assert Transaction.objects.get(external_id="s3").lot_selection == str(b2.pk)


def test_a_chosen_account_must_match_the_accounts_the_file_names(accounts):
    with pytest.raises(CommandError) as raised:
        run_import(FILES / "hearth_import.csv", "--account", "Roth IRA")
    assert (
        "line 2, column account: 'Taxable' is not the account chosen for this import "
        "('Roth IRA')" in str(raised.value)
    )


def test_a_broker_export_needs_an_account(accounts):
    with pytest.raises(CommandError) as raised:
        run_import(FILES / "fidelity.csv")
    assert str(raised.value).splitlines()[1:] == [
        "the file names no account: choose the account to import it into (--account, or the "
        "upload form), or let Hearth create one (--create-accounts)"
    ]


def test_command_refuses_unknown_household_account_and_missing_file(accounts, tmp_path):
    with pytest.raises(CommandError, match="no household named 'Nobody'"):
        call_command("import_transactions", str(FILES / "fidelity.csv"), household="Nobody")
    with pytest.raises(CommandError, match="no account named 'Nope' in Alpha"):
        run_import(FILES / "fidelity.csv", "--account", "Nope")
    with pytest.raises(CommandError, match="cannot read"):
        run_import(tmp_path / "missing.csv")


def test_explicit_format_that_does_not_fit_is_a_file_error(accounts):
    with pytest.raises(CommandError) as raised:
        run_import(FILES / "hearth_import.csv", "--format", "fidelity", "--account", "Taxable")
    assert "rejected, nothing imported (1 problems)" in str(raised.value)
    assert ImportBatch.objects.get().status == "rejected"


def test_files_over_20_mb_or_not_text_are_refused(cast, accounts):
    # given
    too_big = b"date,account,type\n" + b"x" * (20 * 1024 * 1024)
    spreadsheet = b"PK\x03\x04\x00\x00binary"
    # when
    big = transactions_import(household=cast.household_a, content=too_big, filename="big.csv")
    binary = transactions_import(household=cast.household_a, content=spreadsheet, filename="x.xlsx")
    # then
    assert big.errors == ["the file is too big (20.0 MB); the limit is 20 MB"]
    assert binary.errors == [
        "the file is a spreadsheet or a zip archive; open it and save it as CSV"
    ]
    assert ImportBatch.objects.filter(status="rejected").count() == 2
    assert Transaction.objects.count() == 0


def test_import_marks_the_ledger_changed_from_the_earliest_new_date(cast, accounts, monkeypatch):
    # given
    calls = []
    monkeypatch.setattr(import_module, "ledger_mark_changed", lambda **kw: calls.append(kw))
    # when
    transactions_import(
        household=cast.household_a,
        content=(FILES / "hearth_import.csv").read_bytes(),
        filename="hearth_import.csv",
    )
    run_import(FILES / "hearth_import_overlap.csv")
    # then the first import's earliest row is 2024-01-02; the second adds 09-03 and 09-30
    assert calls == [
        {"household": cast.household_a, "from_date": date(2024, 1, 2)},
        {"household": cast.household_a, "from_date": date(2024, 9, 3)},
    ]


def test_reimport_of_duplicates_only_does_not_mark_the_ledger(cast, accounts, monkeypatch):
    run_import(FILES / "hearth_import.csv")
    calls = []
    monkeypatch.setattr(import_module, "ledger_mark_changed", lambda **kw: calls.append(kw))
    run_import(FILES / "hearth_import.csv")
    assert calls == []


def test_import_then_rebuild_gives_the_lots_the_file_describes(
    cast, accounts, django_capture_on_commit_callbacks
):
    # when the import commits, the worker (eager in tests) rebuilds the ledger
    with django_capture_on_commit_callbacks(execute=True):
        run_import(FILES / "hearth_import.csv")
    # then, worked by hand:
    #   b1 10 VTI cost 10 x 230.50 + 1 = 2306.00; b2 10 VTI cost 10 x 235 + 1 = 2351.00
    #   s1 sells b1:3 and b2:2 for 5 x 240 - 0.50 = 1199.50, shared by quantity:
    #     b1 3/5 -> 719.70, basis 2306 x 3/10 = 691.80, gain 27.90
    #     b2 2/5 -> 479.80, basis 2351 x 2/10 = 470.20, gain 9.60
    #   open: b1 7 at 1614.20, b2 8 at 1880.80
    #   the in-kind transfer of 2 takes FIFO from b1: 1614.20 x 2/7 = 461.20 moves to the Roth,
    #   leaving b1 5 at 1153.00; SCHD reinvested 0.5 x 80 = 40.00
    lots = sorted(
        (lot.account.name, lot.security.symbol, lot.quantity, lot.cost_basis)
        for lot in TaxLot.objects.filter(household=cast.household_a)
    )
    assert lots == [
        ("Roth IRA", "VTI", D(2), D("461.20")),
        ("Taxable", "SCHD", D("0.5"), D(40)),
        ("Taxable", "VTI", D(5), D("1153.00")),
        ("Taxable", "VTI", D(8), D("1880.80")),
    ]
    gains = sorted(
        (relief.quantity, relief.proceeds, relief.cost_basis, relief.gain)
        for relief in LotRelief.objects.filter(household=cast.household_a)
    )
    assert gains == [
        (D(2), D("479.80"), D("470.20"), D("9.60")),
        (D(3), D("719.70"), D("691.80"), D("27.90")),
    ]


def test_a_concurrent_import_of_the_same_rows_rejects_this_one(cast, accounts, monkeypatch):
    # given another import stores line 2's deposit after this one read the household
    real_stored_ledger = import_module.stored_ledger

    def ledger_then_concurrent_insert(*, household):
        ledger = real_stored_ledger(household=household)
        TransactionFactory(account=accounts["taxable"], amount=D(10000), external_id="dep-1")
        return ledger

    monkeypatch.setattr(import_module, "stored_ledger", ledger_then_concurrent_insert)
    # when
    result = transactions_import(
        household=cast.household_a,
        content=(FILES / "hearth_import.csv").read_bytes(),
        filename="hearth_import.csv",
    )
    # then the unique (account, external_id) constraint stops it and none of its rows is
    # kept (the stand-in for the other import ran inside this transaction, so it goes too)
    assert result.errors == [import_module.RACE_MESSAGE]
    assert result.batch.status == "rejected"
    assert list(Transaction.objects.values_list("external_id", flat=True)) == []
