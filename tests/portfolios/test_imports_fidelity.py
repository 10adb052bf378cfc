"""Fidelity's history exports, every layout and action (``portfolios.imports.fidelity``).

The expected rows were worked out by hand from the fixture files in
``import_files/brokers/fidelity/``; the arithmetic is in the comments.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from portfolios.models import Account, LotRelief, TaxLot
from portfolios.services.ledger import ledger_rebuild
from tests.portfolios.import_summaries import BROKERS, parse, summaries
from tests.portfolios.test_imports_every_broker_file import run_import


def test_single_account_history_with_cash_balance_names_its_account_in_the_file_name():
    result = parse("fidelity", "History_for_Account_Z12345678.csv")

    assert result.errors == []
    assert [(a.number, a.institution) for a in result.accounts] == [("Z12345678", "Fidelity")]
    assert summaries(result) == [
        # a tax withheld abroad is TAX_WITHHELD, never a FEE
        "4 2024-03-28 @Z12345678 TAX_WITHHELD VXUS a=2.10",
        "5 2024-03-28 @Z12345678 DIVIDEND VXUS a=14.00",
        "6 2024-03-15 @Z12345678 FEE a=25.00",
        # Amount 3281.95 + Fees 0.05 = 3282.00 = 8 x 410.25
        "7 2024-03-01 @Z12345678 SELL MSFT q=8 p=410.25 a=3282.00 f=0.05",
        "8 2024-02-15 @Z12345678 RETURN_OF_CAPITAL O a=3.50",
        "9 2024-02-15 @Z12345678 DIVIDEND FCNTX a=6.20 class=capital_gain",
        "10 2024-01-31 @Z12345678 INTEREST a=1.75",
        "11 2024-01-10 @Z12345678 BUY O q=20 p=52.30 a=1046.00",
        "12 2024-01-02 @Z12345678 DEPOSIT a=2897.00",
    ]


def test_current_layout_in_any_column_order_maps_every_option_action():
    result = parse("fidelity", "fidelity_current_layout_options.csv")

    assert result.errors == []
    assert [(a.number, a.label, a.type) for a in result.accounts] == [
        ("X98765432", "Individual - TOD", "taxable")
    ]
    assert summaries(result) == [
        "3 2024-01-02 @X98765432 DEPOSIT a=150000.00",
        "4 2024-01-05 @X98765432 BUY AAPL q=100 p=180.00 a=18000.00",
        # written call: 249.32 + 0.65 + 0.03 = 250.00 premium
        "5 2024-01-08 @X98765432 OPTION_PREMIUM -AAPL240216C190 q=1 p=2.50 a=250.00 f=0.68",
        # bought back: 120.67 - 0.67 = 120.00, then closed at 0: a loss of 120.67
        "6 2024-02-01 @X98765432 BUY -AAPL240216C190 q=1 p=1.20 a=120.00 f=0.67",
        "6 2024-02-01 @X98765432 SELL -AAPL240216C190 q=1 p=0 a=0",
        # bought put: 621.34 - 1.34 = 620.00 = 2 x 3.10 x 100
        "7 2024-02-05 @X98765432 BUY -SPY240315P470 q=2 p=3.10 a=620.00 f=1.34",
        # expired: a SELL at 0 of what is held (the import keeps it: 2 are held)
        "8 2024-03-15 @X98765432 SELL -SPY240315P470 q=2 p=0 a=0 only_if_held",
        "9 2024-03-01 @X98765432 OPTION_PREMIUM -MSFT240315P400 q=1 p=4.00 a=400.00 f=0.67",
        # the written put's assignment (line 10) is skipped; its shares are line 11
        "11 2024-03-15 @X98765432 BUY MSFT q=100 p=400.00 a=40000.00",
        "12 2024-03-20 @X98765432 BUY -NVDA240419C800 q=1 p=25.00 a=2500.00 f=0.67",
        # exercised: the option closes at its basis, which the shares take
        "13 2024-04-19 @X98765432 SELL -NVDA240419C800 q=1 p=0 a=0 basis_proceeds",
        "14 2024-04-19 @X98765432 BUY NVDA q=100 p=800.00 a=80000.00 carry=-NVDA240419C800",
    ]
    assert [skip.line for skip in result.skipped] == [10]


def test_all_accounts_download_files_rows_by_account_and_joins_both_sides_of_a_transfer():
    result = parse("fidelity", "Accounts_History.csv")

    assert [(a.number, a.type) for a in result.accounts] == [
        ("Z11111111", "taxable"),
        ("222222222", "roth_ira"),
    ]
    assert summaries(result) == [
        "4 2024-03-15 @Z11111111 DIVIDEND VTI a=4.50",
        "5 2024-03-01 @222222222 BUY SCHD q=20 p=76.00 a=1520.00",
        # "TRANSFERRED TO VS 222-222222-1": shares and cash move to the Roth; the Roth's own
        # lines 6 and 8 are the same moves seen from the other side
        "7 2024-02-10 @Z11111111 TRANSFER VTI q=10 a=0 to=222-222222",
        "9 2024-02-01 @Z11111111 TRANSFER a=6500.00 to=222-222222",
        "10 2024-01-03 @Z11111111 BUY VTI q=15 p=240.00 a=3600.00",
        "11 2024-01-02 @Z11111111 DEPOSIT a=11100.00",
    ]
    assert [skip.line for skip in result.skipped] == [6, 8]


def test_corporate_actions_splits_mergers_spin_off_and_cash_in_lieu():
    result = parse("fidelity", "History_for_Account_X55555555_corporate_actions.csv")

    assert result.errors == []
    assert summaries(result) == [
        "2 2024-10-01 @X55555555 SELL SPLT a=10.50 sell_fraction",
        "3 2024-10-01 @X55555555 SPLIT SPLT a=0 ratio=3:2",
        "4 2024-09-01 @X55555555 BUY SPNC q=10 a=0 basis_unknown",
        "5 2024-08-01 @X55555555 BUY NEWC q=50 a=0 carry=OLDC",
        "6 2024-08-01 @X55555555 SELL OLDC q=100 a=0 basis_proceeds",
        "7 2024-07-01 @X55555555 SELL ACME q=50 a=2500.00",
        # a DISTRIBUTION of 90 shares: a split whose ratio the import works out
        "8 2024-06-10 @X55555555 SPLIT NVDA a=0 adds=90",
        # the reverse split's two lines (-100 old, +10 new) are one split removing 90
        "9 2024-05-01 @X55555555 SPLIT XYZ a=0 adds=-90",
        "11 2024-01-07 @X55555555 BUY SPLT q=15 p=20.00 a=300.00",
        "12 2024-01-06 @X55555555 BUY PRNT q=30 p=100.00 a=3000.00",
        "13 2024-01-05 @X55555555 BUY OLDC q=100 p=30.00 a=3000.00",
        "14 2024-01-04 @X55555555 BUY ACME q=50 p=40.00 a=2000.00",
        "15 2024-01-03 @X55555555 BUY XYZ q=100 p=2.00 a=200.00",
        "16 2024-01-02 @X55555555 BUY NVDA q=10 p=500.00 a=5000.00",
        "17 2024-01-02 @X55555555 DEPOSIT a=15000.00",
    ]


def test_stock_plan_deposits_acat_and_a_short_sale():
    result = parse("fidelity", "History_for_Account_X77777777_stock_plan_and_shorts.csv")

    assert result.errors == []
    assert summaries(result) == [
        # the short sale of 04/01 is recorded at its cover: bought back at 1500, sold for
        # 1999.95 + 0.05 = 2000.00 gross
        "2 2024-04-20 @X77777777 BUY TSLA q=10 p=150.00 a=1500.00",
        "2 2024-04-20 @X77777777 SELL TSLA q=10 p=200.00 a=2000.00 f=0.05",
        "4 2024-03-05 @X77777777 OPENING VTI q=50 a=0 basis_unknown",
        "5 2024-03-01 @X77777777 OPENING ACME q=20 a=0 basis_unknown",
        # the ESPP purchase paid from payroll: the pay comes in (10 x 85.00), then the buy
        "6 2024-02-15 @X77777777 DEPOSIT a=850.00",
        "6 2024-02-15 @X77777777 BUY ACME q=10 p=85.00 a=850.00",
        "7 2024-01-02 @X77777777 DEPOSIT a=20000.00",
    ]


@pytest.mark.django_db
def test_importing_the_corporate_actions_gives_the_lots_and_gains_worked_by_hand(cast):
    # when
    run_import(
        BROKERS / "fidelity" / "History_for_Account_X55555555_corporate_actions.csv",
        "--create-accounts",
    )
    ledger_rebuild(household=cast.household_a)

    # then the account is created from the file, named after its institution and number
    account = Account.objects.get(household=cast.household_a)
    assert (account.name, account.number, account.type) == (
        "Fidelity …5555",
        "X55555555",
        "taxable",
    )
    lots = {
        lot.security.symbol: (lot.quantity, lot.cost_basis, lot.basis_unknown)
        for lot in TaxLot.objects.filter(household=cast.household_a).select_related("security")
    }
    assert lots == {
        # 10 held on 06/10 + 90 added: 100:10, the basis unchanged
        "NVDA": (D("100"), D("5000"), False),
        # 100 - 90 = 10 (1:10), basis 200 unchanged
        "XYZ": (D("10"), D("200"), False),
        # 15 x 3/2 = 22.5, the 0.5 sold for the cash in lieu: basis 300 - 6.67
        "SPLT": (D("22"), D("293.33"), False),
        # the merger carries OLDC's 3000 into the 50 NEWC
        "NEWC": (D("50"), D("3000"), False),
        "PRNT": (D("30"), D("3000"), False),
        "SPNC": (D("10"), D("0"), True),
    }
    gains = {
        relief.security.symbol: (relief.quantity, relief.proceeds, relief.cost_basis, relief.gain)
        for relief in LotRelief.objects.filter(household=cast.household_a).select_related(
            "security"
        )
    }
    assert gains == {
        # 2500 cash for 50 bought at 2000
        "ACME": (D("50"), D("2500"), D("2000"), D("500")),
        # exchanged at basis: no gain
        "OLDC": (D("100"), D("3000"), D("3000"), D("0")),
        # 0.5 of 22.5 shares costing 300: 6.67; 10.50 - 6.67 = 3.83
        "SPLT": (D("0.5"), D("10.5"), D("6.67"), D("3.83")),
    }
