"""Schwab's brokerage and Equity Awards exports (``portfolios.imports.schwab``).

Expected rows were worked out by hand from ``import_files/brokers/schwab/``.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from portfolios.models import Account, LotRelief, TaxLot, Transaction
from portfolios.services.ledger import ledger_rebuild
from tests.portfolios.import_summaries import BROKERS, parse, summaries
from tests.portfolios.test_imports_every_broker_file import run_import


def test_brokerage_with_title_and_total_rows_maps_income_fees_and_flows():
    result = parse("schwab", "Individual_XXX789_Transactions_20240401-101500.csv")

    assert result.errors == []
    # the title names the account: "Individual ...789"
    assert [(a.number, a.label, a.type) for a in result.accounts] == [
        ("...789", "Individual", "taxable")
    ]
    assert summaries(result) == [
        "3 2024-03-29 @...789 FEE a=125.00",
        "4 2024-03-28 @...789 TAX_WITHHELD NSRGY a=4.20",
        "5 2024-03-28 @...789 DIVIDEND NSRGY a=28.00",
        # a prior-year special dividend is still a dividend, income class by security
        "6 2024-03-15 @...789 DIVIDEND COST a=150.00",
        "7 2024-03-15 @...789 DIVIDEND KO a=20.00 class=qualified",
        "8 2024-03-14 @...789 DIVIDEND O a=5.13 class=ordinary",
        "9 2024-03-14 @...789 DIVIDEND KO a=9.70 class=qualified",
        "10 2024-03-13 @...789 DIVIDEND VIG a=3.40 class=capital_gain",
        "11 2024-03-12 @...789 DIVIDEND VIG a=1.10 class=capital_gain",
        "12 2024-03-11 @...789 RETURN_OF_CAPITAL O a=2.00",
        "13 2024-03-01 @...789 INTEREST a=1.05",
        # interest paid on margin is a cost
        "14 2024-03-01 @...789 FEE a=3.33",
        # $599.99 + $0.01 = 600.00 = 10 x 60.00
        "15 2024-02-20 @...789 SELL KO q=10 p=60.00 a=600.00 f=0.01",
        # "02/15/2024 as of 02/14/2024": the as-of date
        "16 2024-02-14 @...789 WITHDRAWAL a=1000.00",
        "17 2024-02-01 @...789 DEPOSIT a=2000.00",
        "18 2024-01-05 @...789 BUY KO q=50 p=59.00 a=2950.00",
        "19 2024-01-02 @...789 DEPOSIT a=10000.00",
    ]


def test_brokerage_without_title_in_another_column_order_maps_corporate_actions():
    result = parse("schwab", "XXXX4321_Transactions_20241231-090000.csv")

    assert result.errors == []
    # no title: the number comes from the file name
    assert [a.number for a in result.accounts] == ["XXXX4321"]
    assert summaries(result) == [
        # shares landing from the equity award account, price not in this file
        "2 2024-11-15 @XXXX4321 OPENING GOOG q=12 a=0 basis_unknown",
        # shares transferred in from another firm (ACAT)
        "3 2024-10-15 @XXXX4321 OPENING AMZN q=25 a=0 basis_unknown",
        # journaled to the account the description names
        "4 2024-10-01 @XXXX4321 TRANSFER NVDA q=20 a=0 to=...8765",
        # short sale covered: bought back at 1050.00, sold for 1199.96 + 0.04 = 1200.00
        "5 2024-09-20 @XXXX4321 BUY SHOP q=15 p=70.00 a=1050.00",
        "5 2024-09-20 @XXXX4321 SELL SHOP q=15 p=80.00 a=1200.00 f=0.04",
        # reverse split: -1000 and +50 on one day, one split removing 950
        "7 2024-08-01 @XXXX4321 SPLIT PENNY a=0 adds=-950",
        # Cash Merger Adj (40 shares) and Cash Merger ($1,200.00): one SELL, 30 a share
        "9 2024-07-01 @XXXX4321 SELL ACQ q=40 p=30.00 a=1200.00",
        "11 2024-06-03 @XXXX4321 BUY NEWB q=26 a=0 carry=OLDB",
        "12 2024-06-03 @XXXX4321 SELL OLDB q=20 a=0 basis_proceeds",
        "13 2024-06-10 @XXXX4321 SPLIT NVDA a=0 adds=90",
        "14 2024-04-02 @XXXX4321 SELL GEV a=15.75 sell_fraction",
        "15 2024-04-02 @XXXX4321 BUY GEV q=7 a=0 basis_unknown",
        "16 2024-01-07 @XXXX4321 BUY PENNY q=1000 p=0.50 a=500.00",
        "17 2024-01-06 @XXXX4321 BUY ACQ q=40 p=25.00 a=1000.00",
        "18 2024-01-05 @XXXX4321 BUY OLDB q=20 p=70.00 a=1400.00",
        "19 2024-01-04 @XXXX4321 BUY GE q=30 p=100.00 a=3000.00",
        "20 2024-01-03 @XXXX4321 BUY NVDA q=10 p=500.00 a=5000.00",
        "21 2024-01-02 @XXXX4321 DEPOSIT a=20000.00",
    ]


def test_options_open_close_expire_assign_and_exercise_in_a_roth():
    result = parse("schwab", "Roth_Contributory_IRA_XXX321_Transactions.csv")

    assert result.errors == []
    assert [(a.number, a.type) for a in result.accounts] == [("...321", "roth_ira")]
    assert summaries(result) == [
        "3 2024-06-21 @...321 SELL KO 06/21/2024 70.00 C q=1 p=0 a=0 only_if_held",
        "4 2024-05-20 @...321 OPTION_PREMIUM KO 06/21/2024 70.00 C q=1 p=0.40 a=40.00 f=0.66",
        "5 2024-05-17 @...321 SELL SPY 05/17/2024 450.00 P q=2 p=0 a=0 only_if_held",
        "6 2024-04-22 @...321 BUY SPY 05/17/2024 450.00 P q=2 p=1.50 a=300.00 f=1.32",
        # the exercise's stock line takes the call's basis
        "7 2024-04-19 @...321 BUY AAPL q=100 p=170.00 a=17000.00 carry=AAPL 04/19/2024 170.00 C",
        "8 2024-04-19 @...321 SELL AAPL 04/19/2024 170.00 C q=1 p=0 a=0 basis_proceeds",
        "9 2024-03-20 @...321 BUY AAPL 04/19/2024 170.00 C q=1 p=4.00 a=400.00 f=0.66",
        "10 2024-03-15 @...321 BUY KO q=100 p=60.00 a=6000.00",
        "12 2024-03-01 @...321 OPTION_PREMIUM KO 03/15/2024 60.00 P q=1 p=1.00 a=100.00 f=0.66",
        # 699.33 + 0.67 = 700.00
        "13 2024-02-20 @...321 SELL SPY 03/15/2024 480.00 P q=1 p=7.00 a=700.00 f=0.67",
        "14 2024-02-05 @...321 BUY SPY 03/15/2024 480.00 P q=1 p=5.00 a=500.00 f=0.66",
        "15 2024-02-01 @...321 BUY KO 02/16/2024 62.50 C q=1 p=0.30 a=30.00 f=0.66",
        "15 2024-02-01 @...321 SELL KO 02/16/2024 62.50 C q=1 p=0 a=0",
        "16 2024-01-10 @...321 OPTION_PREMIUM KO 02/16/2024 62.50 C q=1 p=0.85 a=85.00 f=0.66",
        "17 2024-01-03 @...321 BUY KO q=100 p=60.00 a=6000.00",
        "18 2024-01-02 @...321 DEPOSIT a=30000.00",
    ]


def test_equity_awards_deposits_are_pay_and_a_buy_at_the_vest_or_purchase_price():
    result = parse("schwab", "EquityAwardsCenter_Transactions_20241231.csv")

    assert result.errors == []
    assert summaries(result) == [
        "2 2024-12-10 WITHDRAWAL a=5000.00",
        # $1,949.88 + $0.12 = 1950.00
        "3 2024-11-20 SELL ACME q=15 a=1950.00 f=0.12",
        "5 2024-11-01 TAX_WITHHELD ACME a=6.00",
        "6 2024-11-01 DIVIDEND ACME a=24.00",
        # ESPP: 25 x 85.00 purchase price = 2125.00, dated the purchase date
        "7 2024-09-30 DEPOSIT a=2125.00",
        "7 2024-09-30 BUY ACME q=25 p=85.00 a=2125.00",
        # RSU: 30 net shares x 120.00 vest value = 3600.00
        "9 2024-09-15 DEPOSIT a=3600.00",
        "9 2024-09-15 BUY ACME q=30 p=120.00 a=3600.00",
    ]
    # the Lapse (line 11) is the vest whose net shares are the Deposit of line 9
    assert [skip.line for skip in result.skipped] == [11]


def test_schwab_bank_checking_goes_into_a_cash_account_and_pending_rows_wait():
    result = parse("schwab", "Checking_XXX789_Checking_Transactions_20240131.csv")

    assert result.errors == []
    assert [(a.number, a.institution, a.type) for a in result.accounts] == [
        ("...789", "Schwab", "cash")
    ]
    assert summaries(result) == [
        "7 2024-01-31 @...789 INTEREST a=2.17",
        "8 2024-01-25 @...789 DEPOSIT a=3.00",
        "9 2024-01-20 @...789 WITHDRAWAL a=1200.00",
        # money to another household account is a withdrawal here and a deposit there
        "10 2024-01-15 @...789 WITHDRAWAL a=500.00",
        "11 2024-01-05 @...789 DEPOSIT a=3042.50",
        "12 2024-01-03 @...789 WITHDRAWAL a=85.00",
    ]
    # a pending card payment may still change; it comes in once posted
    assert [skip.line for skip in result.skipped] == [5]


@pytest.mark.django_db
def test_importing_the_options_gives_the_gains_worked_by_hand(cast):
    run_import(
        BROKERS / "schwab" / "Roth_Contributory_IRA_XXX321_Transactions.csv", "--create-accounts"
    )
    ledger_rebuild(household=cast.household_a)

    account = Account.objects.get(household=cast.household_a)
    assert (account.name, account.type) == ("Schwab …321", "roth_ira")
    # the written call that expired (line 3) was not held: dropped, premium kept (line 4)
    assert not Transaction.objects.filter(trade_date="2024-06-21").exists()
    gains = [
        (relief.security.symbol, relief.cost_basis, relief.gain)
        for relief in LotRelief.objects.filter(household=cast.household_a)
        .select_related("security")
        .order_by("sold", "id")
    ]
    assert gains == [
        # bought back for 30.00 + 0.66: a loss against the 85.00 premium
        ("KO 02/16/2024 62.50 C", D("30.66"), D("-30.66")),
        # 700.00 - 0.67 - (500.00 + 0.66) = 198.67
        ("SPY 03/15/2024 480.00 P", D("500.66"), D("198.67")),
        # exercised at its basis 400.66: no gain, the basis moves into the shares
        ("AAPL 04/19/2024 170.00 C", D("400.66"), D("0")),
        # expired bought puts: 300.00 + 1.32 lost
        ("SPY 05/17/2024 450.00 P", D("301.32"), D("-301.32")),
    ]
    aapl = TaxLot.objects.get(household=cast.household_a, security__symbol="AAPL")
    # 17,000.00 + 400.66
    assert (aapl.quantity, aapl.cost_basis) == (D("100"), D("17400.66"))
