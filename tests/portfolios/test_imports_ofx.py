"""OFX/QFX statements of every kind and quirk (``portfolios.imports.ofx``, ``ofx_tree``).

Expected rows were worked out by hand from ``import_files/brokers/ofx/``.
"""

from __future__ import annotations

import time
from decimal import Decimal as D

import pytest

from portfolios.imports import ImportFileError, parse_file
from portfolios.imports.ofx import ofx_date
from portfolios.imports.ofx_tree import ofx_tree
from portfolios.models import Account, LotRelief, TaxLot
from portfolios.services.ledger import ledger_rebuild
from tests.portfolios.import_summaries import BROKERS, parse, summaries
from tests.portfolios.test_imports_every_broker_file import run_import


def test_401k_statement_without_header_and_with_missing_end_tags():
    result = parse("ofx", "fidelity_401k_no_header.ofx")

    assert result.errors == []
    assert [(a.number, a.institution, a.type) for a in result.accounts] == [
        ("55501", "Fidelity", "401k")
    ]
    assert summaries(result) == [
        # SUBACCTFUND OTHER: the money came from payroll, so it comes in with the buy
        "7 2024-01-15 @55501 DEPOSIT a=500.00",
        "7 2024-01-15 @55501 BUY FFFFX q=10.000 p=50.00 a=500.00",
        "10 2024-01-15 @55501 DEPOSIT a=250.00",
        "10 2024-01-15 @55501 BUY FFFFX q=5.000 p=50.00 a=250.00",
        # "Investment Expense" paid in units: 0.1 x 52.00 sold, and the fee
        "17 2024-03-31 @55501 SELL FFFFX q=0.100 p=52.00 a=5.20",
        "17 2024-03-31 @55501 FEE a=5.20",
        # <INVTRAN> left open: its siblings are still read
        "21 2024-06-28 @55501 REINVEST FFFFX q=0.240 p=52.00 a=12.48",
        # TRNTYPE OTHER, "RECORDKEEPING FEE": a fee
        "23 2024-06-30 @55501 FEE a=0.97",
    ]
    # the PRETAX -> ROLLOVER source move (13, 15) and the transfer of 0 units (19)
    assert [skip.line for skip in result.skipped] == [13, 15, 19]
    # 10 + 5 - 0.1 + 0.24 = 15.14: the position list agrees
    assert [(p.symbol, p.quantity, p.as_of.isoformat()) for p in result.positions] == [
        ("FFFFX", D("15.140"), "2024-06-30")
    ]


def test_two_accounts_options_short_sale_and_transfers_in_ofx_2():
    result = parse("ofx", "two_accounts_options_v2.qfx")

    assert result.errors == []
    assert [(a.number, a.institution) for a in result.accounts] == [
        ("11112222", "Schwab"),
        ("33334444", "Schwab"),
    ]
    assert summaries(result) == [
        "10 2024-01-02 @11112222 DEPOSIT a=30000.00",
        "11 2024-01-03 @11112222 BUY KO q=100 p=60.00 a=6000.00",
        # 99.35 + 0.65 = 100.00 premium
        "12 2024-01-10 @11112222 OPTION_PREMIUM KO240216C62.5 q=1 p=1.00 a=100.00 f=0.65",
        "13 2024-02-16 @11112222 SELL KO240216C62.5 q=1 p=0 a=0 only_if_held",
        "14 2024-03-20 @11112222 BUY AAPL240419C170 q=1 p=3.00 a=300.00 f=0.65",
        "15 2024-04-19 @11112222 SELL AAPL240419C170 q=1 p=0 a=0 basis_proceeds",
        # RELFITID A7 names the exercise's stock purchase
        "16 2024-04-19 @11112222 BUY AAPL q=100 p=170.00 a=17000.00 carry=AAPL240419C170",
        "18 2024-05-20 @11112222 BUY GME q=20 p=20.00 a=400.00",
        # 499.90 + 0.10 = 500.00, the short sale's proceeds, recorded at the cover
        "18 2024-05-20 @11112222 SELL GME q=20 p=25.00 a=500.00 f=0.10",
        "19 2024-06-01 @11112222 TRANSFER KO q=40 a=0 to=33334444",
        # ACAT in: AVGCOSTBASIS 6000 is the total (30 x 250 = 7500 is nearer than 250),
        # acquired on DTPURCHASE
        "32 2018-03-12 @33334444 OPENING VTI q=30 a=6000.00",
        "33 2024-08-01 @33334444 SELL VTI q=35 p=260.00 a=9100.00",
    ]
    # the receiving side of the KO transfer (line 31) is the same move
    assert [skip.line for skip in result.skipped] == [31]


def test_bank_and_credit_card_statements_go_into_cash_accounts():
    result = parse("ofx", "checking_and_card.qfx")

    assert result.errors == []
    assert [(a.number, a.type) for a in result.accounts] == [
        ("9876543210", "cash"),
        ("4111111111111111", "cash"),
    ]
    assert summaries(result) == [
        "16 2024-01-02 @9876543210 DEPOSIT a=3000.00",
        "17 2024-01-03 @9876543210 WITHDRAWAL a=1200.00",
        "18 2024-01-31 @9876543210 INTEREST a=0.42",
        "19 2024-01-31 @9876543210 FEE a=5.00",
        "20 2024-01-15 @9876543210 WITHDRAWAL a=500.00",
        # TRNTYPE OTHER, "ATM WITHDRAWAL ...": money out
        "21 2024-01-20 @9876543210 WITHDRAWAL a=60.00",
        "26 2024-01-05 @4111111111111111 WITHDRAWAL a=45.67",
        "27 2024-01-25 @4111111111111111 DEPOSIT a=100.00",
        # interest charged on the card is a cost
        "28 2024-01-31 @4111111111111111 FEE a=1.23",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20240103", "2024-01-03"),
        ("20240103200000.000[-5:EST]", "2024-01-03"),
        ("20240103200000[+9.00:JST]", "2024-01-03"),
        ("20240103120000.123", "2024-01-03"),
        ("2024-01-03T12:00:00", "2024-01-03"),
    ],
)
def test_ofx_dates_keep_the_statements_own_day_whatever_follows(raw, expected):
    assert ofx_date(raw).isoformat() == expected


def test_impossible_ofx_date_names_the_transaction():
    text = (BROKERS / "ofx" / "checking_and_card.qfx").read_text().replace("20240103", "20250230")
    result = parse_file(text.encode(), filename="x.qfx")
    assert [str(error) for error in result.errors] == [
        "line 17, column DTPOSTED: is not a real date, got '20250230' (FITID C2, 'CHECK 1001')"
    ]


def test_repeated_unclosed_cdata_is_read_in_linear_time():
    # "<A><![CDATA[x" repeated: a regex-based reader goes quadratic on it
    body = "<OFX><BANKMSGSRSV1>" + "<A><![CDATA[x" * 200_000
    started = time.monotonic()
    with pytest.raises(ImportFileError):
        parse_file(body.encode(), filename="x.ofx")
    assert time.monotonic() - started < 5


def test_many_stray_angle_brackets_are_read_in_linear_time():
    body = "<OFX>" + "<" * 2_000_000
    started = time.monotonic()
    root = ofx_tree(body)
    assert root.tag == "OFX"
    assert time.monotonic() - started < 5


def test_a_file_without_any_statement_says_what_the_server_answered():
    text = (
        "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>15500<SEVERITY>ERROR"
        "<MESSAGE>Invalid user ID or password</STATUS></SONRS></SIGNONMSGSRSV1></OFX>"
    )
    with pytest.raises(ImportFileError, match="Invalid user ID or password"):
        parse_file(text.encode(), filename="x.ofx")


@pytest.mark.django_db
def test_two_account_ofx_goes_in_whole_each_row_to_its_account(cast):
    output = run_import(
        BROKERS / "ofx" / "two_accounts_options_v2.qfx", "--create-accounts", "--open-missing"
    )
    # 35 VTI sold, 30 transferred in: 5 held before; MSFT 10 listed, never traded
    assert "VTI in Schwab …4444: 5 shares held before 2024-08-01, basis unknown" in output
    assert "MSFT in Schwab …4444: 10 shares held before 2024-06-01, basis unknown" in output
    ledger_rebuild(household=cast.household_a)
    a, b = (Account.objects.get(number=number) for number in ("11112222", "33334444"))
    held = {
        (lot.account_id, lot.security.symbol): lot.quantity
        for lot in TaxLot.objects.filter(household=cast.household_a).select_related("security")
    }
    # 100 - 40 moved; the moved 40 keep their January date in B
    assert held == {
        (a.pk, "KO"): D("60"),
        (a.pk, "AAPL"): D("100"),
        (b.pk, "KO"): D("40"),
        (b.pk, "MSFT"): D("10"),
    }
    vti = {
        (relief.acquired.isoformat(), relief.basis_unknown): (relief.quantity, relief.gain)
        for relief in LotRelief.objects.filter(security__symbol="VTI")
    }
    # 9100 / 35 = 260 a share: 30 x 260 - 6000 = 1800 long term; 5 x 260 of unknown basis
    assert vti == {
        ("2018-03-12", False): (D("30"), D("1800")),
        ("2024-07-31", True): (D("5"), D("1300")),
    }


def test_foreign_tax_is_a_tax_whether_an_expense_or_a_debit():
    text = (
        "<OFX><INVSTMTMSGSRSV1><INVSTMTTRNRS><INVSTMTRS><CURDEF>USD<INVACCTFROM><BROKERID>etrade"
        "<ACCTID>9999</INVACCTFROM><INVTRANLIST>"
        "<INVEXPENSE><INVTRAN><FITID>E1<DTTRADE>20240315<MEMO>FOREIGN WITHHOLDING</INVTRAN>"
        "<SECID><UNIQUEID>NSRGY<UNIQUEIDTYPE>TICKER</SECID><TOTAL>-4.20<SUBACCTSEC>CASH"
        "</INVEXPENSE>"
        "<INVBANKTRAN><STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240316<TRNAMT>-1.10<FITID>E2"
        "<NAME>FOREIGN TAX WITHHELD</STMTTRN><SUBACCTFUND>CASH</INVBANKTRAN>"
        "<INVBANKTRAN><STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240317<TRNAMT>-500<FITID>E3"
        "<NAME>ACH WITHDRAWAL</STMTTRN><SUBACCTFUND>CASH</INVBANKTRAN>"
        "</INVTRANLIST></INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1></OFX>"
    )
    result = parse_file(text.encode(), filename="etrade.qfx")
    assert [(row.type, row.amount) for row in result.rows] == [
        ("TAX_WITHHELD", D("4.20")),
        ("TAX_WITHHELD", D("1.10")),
        ("WITHDRAWAL", D("500")),
    ]


def test_a_bill_bought_at_a_price_per_100_of_face_is_stored_per_unit():
    text = (
        "<OFX><INVSTMTMSGSRSV1><INVSTMTTRNRS><INVSTMTRS><CURDEF>USD<INVACCTFROM><BROKERID>x"
        "<ACCTID>1</INVACCTFROM><INVTRANLIST>"
        "<BUYDEBT><INVBUY><INVTRAN><FITID>T1<DTTRADE>20240102</INVTRAN><SECID><UNIQUEID>"
        "912797GK7<UNIQUEIDTYPE>CUSIP</SECID><UNITS>10000<UNITPRICE>98.75<TOTAL>-9875.00"
        "<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INVBUY></BUYDEBT>"
        "</INVTRANLIST></INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1></OFX>"
    )
    [row] = parse_file(text.encode(), filename="bill.ofx").rows
    # 10,000 face at 98.75 per 100: 9,875.00, so 0.9875 a unit
    assert (row.quantity, row.price, row.amount) == (D("10000"), D("0.9875"), D("9875.00"))
