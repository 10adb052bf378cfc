"""Vanguard's OfxDownload.csv and Interactive Brokers' four exports.

Expected rows were worked out by hand from ``import_files/brokers/{vanguard,ibkr}/``.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.management import CommandError

from portfolios.imports import ImportFileError, parse_file
from portfolios.models import Account, LotRelief, TaxLot
from portfolios.services.ledger import ledger_rebuild
from tests.portfolios.import_summaries import BROKERS, parse, summaries
from tests.portfolios.test_imports_every_broker_file import run_import

# Vanguard ----------------------------------------------------------------------------------


def test_vanguard_sections_of_two_accounts_and_an_empty_trailing_section():
    result = parse("vanguard", "OfxDownload.csv")

    assert result.errors == []
    # the empty section at the end is no account of its own
    assert [a.number for a in result.accounts] == ["11111940", "22222941"]
    assert summaries(result) == [
        # a reinvestment is the buy; its dividend is its own line
        "13 2024-06-27 @11111940 BUY VTI q=0.3699 p=263.07 a=97.31",
        "14 2024-06-27 @11111940 DIVIDEND VTI a=97.31",
        "15 2024-06-14 @11111940 SELL VTI q=5.0 p=262.50 a=1312.50",
        "16 2024-03-26 @11111940 DIVIDEND VNQ a=12.00 class=capital_gain",
        "17 2024-03-25 @11111940 DIVIDEND VNQ a=3.00 class=capital_gain",
        "18 2024-02-15 @11111940 BUY VTI q=30.0 p=240.00 a=7200.00",
        "20 2024-02-01 @11111940 DEPOSIT a=7500.00",
        # a conversion between share classes carries the basis across
        "25 2024-05-01 @22222941 SELL VFINX q=50.0 a=0 basis_proceeds",
        "26 2024-05-01 @22222941 BUY VFIAX q=12.5 a=0 carry=VFINX",
        "27 2024-04-15 @22222941 FEE a=20.00",
        "28 2024-03-01 @22222941 OPENING VFINX q=50.0 a=0 basis_unknown",
        "29 2024-03-01 @22222941 DEPOSIT a=1000.00",
    ]
    # holdings, the settlement fund left out (it is the account's cash)
    assert [(p.account_number, p.symbol, p.quantity) for p in result.positions] == [
        ("11111940", "VTI", D("125.3699")),
        ("22222941", "VFIAX", D("12.5")),
    ]


@pytest.mark.django_db
def test_vanguard_statement_positions_are_reconciled_and_opened_on_request(cast):
    path = BROKERS / "vanguard" / "OfxDownload.csv"
    # when imported without --open-missing
    output = run_import(path, "--create-accounts", "--dry-run")
    # then the difference is shown: 30 bought - 5 sold + 0.3699 reinvested = 25.3699
    assert "VTI in Vanguard …1940: statement 125.3699, Hearth 25.3699" in output

    # when imported with it, the 100 shares held before are opened at unknown basis
    output = run_import(path, "--create-accounts", "--open-missing")
    assert (
        "opened at unknown basis (enter the cost basis): VTI in Vanguard …1940: 100 shares "
        "held before 2024-02-01, basis unknown" in output
    )
    assert "differ" not in output
    ledger_rebuild(household=cast.household_a)
    vfiax = TaxLot.objects.get(household=cast.household_a, security__symbol="VFIAX")
    # transferred in at unknown basis, converted: still unknown, never zero
    assert (vfiax.quantity, vfiax.basis_unknown) == (D("12.5"), True)


# Interactive Brokers -----------------------------------------------------------------------


def test_ibkr_flex_xml_maps_trades_cash_corporate_actions_and_transfers():
    result = parse("ibkr", "flex_statement.xml")

    assert result.format == "ibkr"
    assert result.errors == []
    assert [(a.number, a.label, a.type) for a in result.accounts] == [
        ("U7654321", "Individual", "taxable")
    ]
    assert summaries(result) == [
        "7 2024-01-10 @U7654321 BUY MSFT q=20 p=375 a=7500 f=1",
        "8 2024-03-01 @U7654321 SELL MSFT q=5 p=410 a=2050 f=1.02",
        # short sale (SELL O) covered (BUY C): both on the cover date
        "10 2024-04-15 @U7654321 BUY GME q=30 p=10 a=300 f=1",
        "10 2024-04-15 @U7654321 SELL GME q=30 p=12 a=360 f=1",
        "11 2024-04-02 @U7654321 OPTION_PREMIUM MSFT  240517C00430000 q=1 p=5 a=500 f=0.70",
        "13 2024-05-20 @U7654321 OPTION_PREMIUM MSFT  240621P00400000 q=1 p=6 a=600 f=0.70",
        # the assigned put's shares (code A) are an ordinary buy
        "15 2024-06-21 @U7654321 BUY MSFT q=100 p=400 a=40000",
        "16 2024-06-10 @U7654321 BUY AAPL  240719C00200000 q=2 p=4.5 a=900 f=1.40",
        "17 2024-07-19 @U7654321 SELL AAPL  240719C00200000 q=2 p=0 a=0 basis_proceeds",
        "18 2024-07-19 @U7654321 BUY AAPL q=200 p=200 a=40000 carry=AAPL  240719C00200000",
        # EUR.USD: a conversion, only its commission is a row
        "19 2024-08-01 @U7654321 FEE a=2",
        "22 2024-01-05 @U7654321 DEPOSIT a=100000",
        # 15 shares x 0.75
        "23 2024-03-14 @U7654321 DIVIDEND MSFT a=11.25",
        # 1.69 withheld, refunded, then 1.13 withheld: only the last stands
        "26 2024-03-20 @U7654321 TAX_WITHHELD MSFT a=1.13",
        "27 2024-04-03 @U7654321 INTEREST a=12.34",
        "28 2024-05-03 @U7654321 FEE a=2.10",
        "29 2024-06-03 @U7654321 FEE a=10",
        "30 2024-06-04 @U7654321 FEE a=50",
        "31 2024-06-12 @U7654321 DIVIDEND XOM a=9.50 class=ordinary",
        "34 2024-06-07 @U7654321 SPLIT NVDA a=0 ratio=10:1",
        "35 2024-04-01 @U7654321 BUY SOLV q=2 a=0 basis_unknown",
        "38 2024-01-15 @U7654321 OPENING NVDA q=5 a=0 basis_unknown",
        "39 2024-01-15 @U7654321 OPENING MMM q=8 a=800",
        "40 2024-09-01 @U7654321 TRANSFER MSFT q=10 a=0 to=U1111111",
    ]
    assert [skip.line for skip in result.skipped] == [12, 14, 19, 24, 25]


def test_ibkr_flex_csv_with_isin_but_no_symbol_uses_the_isin():
    result = parse("ibkr", "flex_isin_without_symbol.csv")
    assert summaries(result) == [
        "2 2024-02-05 @U2222222 BUY IE00B4L5Y983 q=10 p=80.50 a=805 f=1.25",
        "3 2024-06-05 @U2222222 SELL IE00B4L5Y983 q=4 p=88.00 a=352 f=1.25",
        "5 2024-02-01 @U2222222 DEPOSIT a=2000",
    ]
    assert {row.currency for row in result.rows} == {"EUR"}


def test_ibkr_activity_statement_reads_its_sections_and_skips_totals():
    result = parse("ibkr", "U3333333_activity_2024.csv")

    assert result.errors == []
    assert [(a.number, a.label, a.type) for a in result.accounts] == [
        ("U3333333", "IRA Roth", "roth_ira")
    ]
    assert summaries(result) == [
        # the Trade line; its Order line (14) repeats it; proceeds -4300, comm -1
        "15 2024-01-10 @U3333333 BUY VOO q=10 p=430.00 a=4300 f=1",
        "17 2024-06-03 @U3333333 SELL VOO q=4 p=520.00 a=2080 f=1.02",
        "20 2024-02-01 @U3333333 FEE a=2",
        "22 2024-01-05 @U3333333 DEPOSIT a=7000",
        "25 2024-03-27 @U3333333 DIVIDEND VOO a=15.43",
        "30 2024-02-05 @U3333333 INTEREST a=3.21",
        "31 2024-03-05 @U3333333 FEE a=0.45",
        "34 2024-04-03 @U3333333 FEE a=4.50",
        "36 2024-06-07 @U3333333 SPLIT NVDA a=0 ratio=10:1",
    ]
    assert [skip.line for skip in result.skipped] == [14, 20, 28]


def test_ibkr_transaction_history_is_recognised_and_read():
    result = parse("ibkr", "U4444444.TRANSACTIONS.1Y.csv")

    assert result.format == "ibkr"
    assert result.errors == []
    # the masked "U***4444" on each line is the account the file name spells out
    assert summaries(result) == [
        "7 2024-06-20 @U4444444 FEE a=2.0",
        # 50 shares x 0.61
        "9 2024-05-15 @U4444444 DIVIDEND SCHD a=30.50",
        "10 2024-05-15 @U4444444 TAX_WITHHELD SCHD a=3.05",
        "11 2024-04-01 @U4444444 SELL SCHD q=10.0 p=78.00 a=780.0 f=1.0",
        "12 2024-03-01 @U4444444 INTEREST a=1.25",
        "13 2024-02-01 @U4444444 FEE a=1.50",
        "14 2024-01-10 @U4444444 BUY SCHD q=60.0 p=75.00 a=4500.0 f=1.0",
        "15 2024-01-05 @U4444444 DEPOSIT a=5000.0",
    ]


def test_ibkr_statement_of_funds_alone_is_refused_saying_what_to_run():
    with pytest.raises(ImportFileError, match=r"Statement of Funds .* run the Activity statement"):
        parse("ibkr", "statement_of_funds_only.csv")


def test_ibkr_flex_xml_refuses_entities_and_doctypes():
    # a "billion laughs" document: defusedxml refuses it rather than expanding it
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<FlexQueryResponse><FlexStatements><FlexStatement accountId="U1">'
        b'<Trades><Trade symbol="&b;"/></Trades></FlexStatement></FlexStatements>'
        b"</FlexQueryResponse>"
    )
    with pytest.raises(ImportFileError, match="not a readable Flex Query XML file"):
        parse_file(bomb, filename="flex.xml")


@pytest.mark.django_db
def test_ibkr_flex_xml_import_gives_the_lots_and_gains_worked_by_hand(cast):
    run_import(BROKERS / "ibkr" / "flex_statement.xml", "--create-accounts")
    ledger_rebuild(household=cast.household_a)

    # the transfer names U1111111, created for it
    assert sorted(Account.objects.values_list("number", flat=True)) == ["U1111111", "U7654321"]
    gains = [
        (relief.security.symbol.strip(), relief.proceeds, relief.cost_basis, relief.gain)
        for relief in LotRelief.objects.filter(household=cast.household_a)
        .select_related("security")
        .order_by("sold", "id")
    ]
    assert gains == [
        # 2050 - 1.02 = 2048.98; 5 of 20 bought for 7501: 1875.25
        ("MSFT", D("2048.98"), D("1875.25"), D("173.73")),
        # short: 360 - 1 = 359 in, 300 + 1 = 301 out
        ("GME", D("359"), D("301"), D("58")),
        # exercised call at its basis 901.40
        ("AAPL  240719C00200000", D("901.40"), D("901.40"), D("0")),
    ]
    aapl = TaxLot.objects.get(household=cast.household_a, security__symbol="AAPL")
    assert aapl.cost_basis == D("40901.40")  # 40,000 + 901.40
    moved = TaxLot.objects.get(account__number="U1111111")
    # 10 of the 15 MSFT left from the January buy keep its date and basis: 7501 x 10/20
    assert (moved.quantity, moved.acquired.isoformat(), moved.cost_basis) == (
        D("10"),
        "2024-01-10",
        D("3750.50"),
    )


@pytest.mark.django_db
def test_ibkr_activity_statement_opens_the_shares_its_positions_list(cast):
    output = run_import(
        BROKERS / "ibkr" / "U3333333_activity_2024.csv", "--create-accounts", "--open-missing"
    )
    # 100 NVDA at year end after a 10:1 split in June: 10 held before the statement
    assert "NVDA in Interactive Brokers …3333: 10 shares held before 2024-01-05" in output
    ledger_rebuild(household=cast.household_a)
    nvda = TaxLot.objects.get(household=cast.household_a, security__symbol="NVDA")
    assert (nvda.quantity, nvda.basis_unknown) == (D("100"), True)


@pytest.mark.django_db
def test_ibkr_statement_of_funds_is_refused_by_the_command(cast):
    with pytest.raises(CommandError, match="Transaction History"):
        run_import(BROKERS / "ibkr" / "statement_of_funds_only.csv")


def test_vanguard_529_contributions_buy_at_once_and_withdrawals_pay_out():
    result = parse("vanguard", "ofxdownload_529_plan.csv")

    assert result.errors == []
    # no Symbol column: the fund's name (cut to 32 characters) is its symbol
    fund = "VANGUARD TARGET ENROLLMENT 2036/"
    assert summaries(result) == [
        # 20 sold at 10.00, the 200.00 paid out of the account
        f"5 2024-08-15 @77700123-04 SELL {fund} q=20.0 p=10.00 a=200",
        "5 2024-08-15 @77700123-04 WITHDRAWAL a=200",
        # contributions: the money comes in and buys at once (25 x 9.60 = 240)
        "6 2024-06-28 @77700123-04 DEPOSIT a=240.00",
        f"6 2024-06-28 @77700123-04 BUY {fund} q=25.0 p=9.60 a=240.00",
        "7 2024-05-31 @77700123-04 DEPOSIT a=380.00",
        f"7 2024-05-31 @77700123-04 BUY {fund} q=40.0 p=9.50 a=380.00",
    ]
    # the "Fund Account Number" holdings section is the statement's position
    assert [(p.account_number, p.quantity) for p in result.positions] == [
        ("77700123-04", D("150.0"))
    ]


@pytest.mark.django_db
def test_vanguard_529_shares_held_before_the_file_are_opened_from_its_holdings(cast):
    output = run_import(
        BROKERS / "vanguard" / "ofxdownload_529_plan.csv", "--create-accounts", "--open-missing"
    )
    # 150 held at the end; the file adds 25 + 40 - 20 = 45: 105 held before 2024-05-31
    assert "105 shares held before 2024-05-31, basis unknown" in output
    assert "differ" not in output
