"""Pure import parsers (DESIGN §3): every format, every error path, no database.

Expected rows were worked out by hand from the files in ``import_files/``; a comment next to
each derived number shows the arithmetic.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from portfolios.imports import (
    MAX_FILE_BYTES,
    ImportFileError,
    ParsedRow,
    RowError,
    SkippedRow,
    content_hash,
    detect_format,
    parse_dividends_csv,
    parse_file,
    parse_hearth_csv,
    parse_ibkr_flex_csv,
    parse_ofx,
    parse_prices_csv,
    parse_schwab_csv,
    parse_vanguard_csv,
)

FILES = Path(__file__).parent / "import_files"
HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def read(name: str) -> bytes:
    return (FILES / name).read_bytes()


def summary(parsed: ParsedRow) -> str:
    """Return a row as one line: every field that is not a default, ids and free text aside.

    "6 2024-02-15 SELL VTI q=5 p=240 a=1200 f=0.50 acct=Taxable lots=b1:3;b2" reads: line 6,
    trade date, type, symbol, quantity, price, amount, fees, account, lot selection. Other
    labels: cur (currency), class (income class), to (to_account), ratio (new:old).
    """
    parts = [str(parsed.line), parsed.trade_date.isoformat(), parsed.type]
    if parsed.symbol:
        parts.append(parsed.symbol)
    labels = (
        ("quantity", "q"),
        ("price", "p"),
        ("amount", "a"),
        ("fees", "f"),
        ("currency", "cur"),
        ("income_class", "class"),
        ("account", "acct"),
        ("to_account", "to"),
    )
    for name, label in labels:
        value = getattr(parsed, name)
        if value is None or (name == "fees" and value == 0):
            continue
        parts.append(f"{label}={value}")
    if parsed.split_new is not None:
        parts.append(f"ratio={parsed.split_new}:{parsed.split_old}")
    if parsed.lots:
        lots = (lot if quantity is None else f"{lot}:{quantity}" for lot, quantity in parsed.lots)
        parts.append("lots=" + ";".join(lots))
    return " ".join(parts)


def summaries(rows: list[ParsedRow]) -> list[str]:
    return [summary(parsed) for parsed in rows]


# Hearth CSV ------------------------------------------------------------------------------


def test_hearth_csv_reads_every_type_with_header_in_any_case_and_order():
    # given a file whose header is mixed-case, padded, and has an unknown column
    content = read("hearth_valid.csv")

    # when
    result = parse_file(content, filename="hearth_valid.csv")

    # then
    assert result.format == "hearth"
    assert result.errors == []
    assert summaries(result.rows) == [
        "2 2024-01-02 DEPOSIT a=10000.00 cur=USD acct=Taxable",
        # amount = 10 x 230.50
        "3 2024-01-03 BUY VTI q=10 p=230.50 a=2305.00 f=1.00 acct=Taxable",
        "4 2024-01-03 BUY VTI q=10 p=230.5 a=2305.0 f=1 acct=Taxable",
        # line 5 is blank; amount = 5 x 240
        "6 2024-02-15 SELL VTI q=5 p=240 a=1200 f=0.50 acct=Taxable lots=b1:3;b2",
        "7 2024-03-28 DIVIDEND VTI a=12.34 class=qualified acct=Taxable",
        "8 2024-03-28 TAX_WITHHELD VTI a=1.85 acct=Taxable",
        # amount = 0.5 x 80
        "9 2024-04-01 REINVEST SCHD q=0.5 p=80 a=40.0 class=ordinary acct=Taxable",
        "10 2024-06-10 SPLIT NVDA a=0 acct=Taxable ratio=10:1",
        "11 2024-07-01 TRANSFER a=500 acct=Taxable to=Roth IRA",
        "12 2024-07-02 TRANSFER VTI q=2 a=0 acct=Taxable to=Roth IRA",
        # the memo's quoted newline makes this record lines 13-14
        "13 2024-08-01 INTEREST a=3.21 acct=Taxable",
        "15 2024-09-01 FEE a=25 acct=Taxable",
    ]
    assert result.rows[0].external_id == "dep-1"
    assert result.rows[0].memo == "Opening deposit"
    assert result.rows[10].memo == "interest for\nJuly"


def test_hearth_csv_gives_identical_rows_distinct_ids_and_others_their_content_hash():
    # given lines 3 and 4, the same buy written two ways
    result = parse_hearth_csv(read("hearth_valid.csv").decode())

    # then the first has the content hash, the repeat the same hash with "#2"
    first, second = result.rows[1], result.rows[2]
    assert HEX_ID.match(first.external_id)
    assert first.external_id == content_hash(first)
    assert second.external_id == f"{first.external_id}#2"
    ids = [parsed.external_id for parsed in result.rows]
    assert len(set(ids)) == len(ids)


def test_hearth_csv_content_hash_is_stable_across_files_lines_and_memos():
    # given the same deposit in two files, on different lines, with different memos
    one = parse_hearth_csv("date,account,type,amount,memo\n2024-01-02,Taxable,DEPOSIT,100,first\n")
    other = parse_hearth_csv(
        "memo,amount,type,account,date\n\n\nagain,100.00,deposit,Taxable,2024-01-02\n"
    )

    # then both rows get the same id, so importing the second adds nothing
    assert one.rows[0].external_id == other.rows[0].external_id
    assert other.rows[0].line == 4


def test_hearth_csv_content_hash_changes_with_the_economics():
    base = "date,account,type,amount\n2024-01-02,Taxable,DEPOSIT,{}\n"
    assert parse_hearth_csv(base.format("100")).rows[0].external_id != (
        parse_hearth_csv(base.format("101")).rows[0].external_id
    )


def test_hearth_csv_reports_every_bad_row_with_line_and_column():
    # when
    result = parse_file(read("hearth_errors.csv"), filename="hearth_errors.csv")

    # then every bad row is named (line 6 is blank but still counted)
    assert [str(error) for error in result.errors] == [
        "line 2, column quantity: must be a positive number, got '-3'",
        "line 3, column date: must be a date YYYY-MM-DD, got '2024/01/03'",
        "line 4, column account: is required",
        "line 5, column type: must be one of BUY, SELL, DIVIDEND, REINVEST, INTEREST, "
        "OPTION_PREMIUM, FEE, TAX_WITHHELD, DEPOSIT, WITHDRAWAL, TRANSFER, SPLIT, "
        "RETURN_OF_CAPITAL, OPENING, got 'BOUGHT'",
        "line 7, column ratio: must be new:old, e.g. 2:1 or 1:10, got '2/1'",
        "line 8, column to_account: is required for TRANSFER rows",
        "line 9, column amount: SELL rows need a price or an amount",
        "line 10, column income_class: must be one of qualified, ordinary, "
        "return_of_capital, capital_gain, got 'special'",
        "line 10, column symbol: is required for DIVIDEND rows",
        "line 11, column fees: must be a positive number, got '-1'",
        "line 12, column amount: must be a positive number, got '0'",
        "line 14, column id: 'a1' is already used on line 13 for account 'Taxable'",
        "line 15: has 14 fields but the header has 13; a number with a thousands "
        'separator must be quoted, e.g. "1,234.50"',
        "line 16, column date: is not a real date, got '2024-02-30'",
        "line 17, column lots: lot quantities add up to 4, but quantity is 5",
        "line 18, column ratio: only applies to SPLIT rows",
    ]
    # and the one good row (a quoted thousands separator) is still read
    assert summaries(result.rows) == ["13 2024-01-12 BUY VTI q=1 p=1234.50 a=1234.50 acct=Taxable"]
    assert result.rows[0].external_id == "a1"
    assert not result.ok


def test_row_error_reads_as_a_sentence():
    assert str(RowError(7, "quantity", "must be a positive number, got '-3'")) == (
        "line 7, column quantity: must be a positive number, got '-3'"
    )
    assert str(RowError(3, None, "has 14 fields")) == "line 3: has 14 fields"


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("2024-01-02,A,BUY,VTI,,10,,", "quantity", "is required for BUY rows"),
        ("2024-01-02,A,REINVEST,VTI,1,,,", "amount", "REINVEST rows need a price or an amount"),
        ("2024-01-02,A,DIVIDEND,VTI,,,,", "amount", "is required for DIVIDEND rows"),
        (
            "2024-01-02,A,SPLIT,VTI,,,,",
            "ratio",
            "is required for SPLIT rows, as new:old (e.g. 2:1)",
        ),
        ("2024-01-02,A,SPLIT,VTI,,,,0:1", "ratio", "both sides must be positive, got '0:1'"),
        ("2024-01-02,A,BUY,,1,10,,", "symbol", "is required for BUY rows"),
        ("2024-01-02,A,BUY,VTI,0,10,,", "quantity", "must be a positive number, got '0'"),
        ("2024-01-02,A,BUY,VTI,1e3,10,,", "quantity", "must be a number, got '1e3'"),
        ("2024-01-02,A,BUY,VTI,NaN,10,,", "quantity", "must be a number, got 'NaN'"),
        ("2024-01-02,A,DEPOSIT,,,,-5,", "amount", "must be a positive number, got '-5'"),
        ('2024-01-02,A,DEPOSIT,,,,"1,23",', "amount", "must be a number, got '1,23'"),
        ("20240102,A,DEPOSIT,,,,5,", "date", "must be a date YYYY-MM-DD, got '20240102'"),
        ("2024-01-02,A,REINVEST,VTI,1,0,,", "amount", "must be above zero for REINVEST rows"),
    ],
)
def test_hearth_csv_type_rules(line, column, message):
    result = parse_hearth_csv(f"date,account,type,symbol,quantity,price,amount,ratio\n{line}\n")
    assert result.errors == [RowError(2, column, message)]
    assert result.rows == []


def test_hearth_csv_checks_columns_that_belong_to_other_types():
    result = parse_hearth_csv(
        "date,account,type,symbol,amount,to_account,lots,income_class,currency\n"
        "2024-01-02,A,DEPOSIT,,5,B,x1,qualified,usd\n"
        "2024-01-02,A,TRANSFER,,5,a,,,US$\n"
        "2024-01-02,A,TRANSFER,VTI,,B,,,\n"
    )
    assert [str(error) for error in result.errors] == [
        "line 2, column to_account: only applies to TRANSFER rows",
        "line 2, column lots: only applies to SELL rows",
        "line 2, column income_class: only applies to DIVIDEND and REINVEST rows",
        "line 3, column currency: must be a 3-letter ISO 4217 code such as USD, got 'US$'",
        "line 3, column to_account: must be a different account than account",
        "line 4, column quantity: is required for a TRANSFER of shares (symbol is set)",
    ]


def test_hearth_csv_lot_selection_is_validated():
    result = parse_hearth_csv(
        "date,account,type,symbol,quantity,price,lots\n"
        "2024-01-02,A,SELL,VTI,5,10,a:2;a:3\n"
        "2024-01-02,A,SELL,VTI,5,10,:2\n"
        "2024-01-02,A,SELL,VTI,5,10,a:x\n"
        "2024-01-02,A,SELL,VTI,5,10,a:5;b\n"
        "2024-01-02,A,SELL,VTI,5,10, a:2 ; b:3 ;\n"
    )
    assert [str(error) for error in result.errors] == [
        "line 2, column lots: lot 'a' is listed twice",
        "line 3, column lots: ':2' has no lot id; write ID or ID:QTY",
        "line 4, column lots: the quantity after ':' in 'a:x' must be a positive number",
        "line 5, column lots: lot quantities already add up to 5 of 5, leaving nothing for "
        "the lots without a quantity",
    ]
    assert [parsed.lots for parsed in result.rows] == [(("a", D(2)), ("b", D(3)))]


def test_hearth_csv_line_numbers_count_blank_lines_and_quoted_newlines():
    # given a BOM, blank lines, a CRLF file and a memo spanning three lines
    text = (
        "\ufeffdate,account,type,amount,memo\r\n"
        "\r\n"
        '2024-01-02,A,DEPOSIT,5,"one\r\ntwo\r\nthree"\r\n'
        "\r\n"
        "2024-01-03,A,DEPOSIT,x,\r\n"
    )

    # when
    result = parse_file(text.encode("utf-8"), filename="h.csv")

    # then the second row is on physical line 7
    assert [parsed.line for parsed in result.rows] == [3]
    assert [str(error) for error in result.errors] == [
        "line 7, column amount: must be a number, got 'x'"
    ]


def test_hearth_csv_missing_required_column_is_refused_naming_it():
    with pytest.raises(ImportFileError, match=r"missing required column 'account'"):
        parse_file(b"Date,Type,Symbol\n2024-01-02,BUY,VTI\n", filename="x.csv", format="hearth")
    with pytest.raises(ImportFileError, match=r"missing required columns 'date', 'type'"):
        parse_hearth_csv("account,symbol\nA,VTI\n")


def test_hearth_csv_duplicate_column_and_empty_file_are_refused():
    with pytest.raises(ImportFileError, match="column 'Amount' appears more than once"):
        parse_hearth_csv("date,account,type,amount,Amount\n")
    with pytest.raises(ImportFileError, match="the file is empty"):
        parse_hearth_csv("\n\n")


def test_hearth_csv_same_id_in_two_accounts_is_allowed():
    result = parse_hearth_csv(
        "date,account,type,amount,id\n2024-01-02,A,DEPOSIT,5,x\n2024-01-02,B,DEPOSIT,5,x\n"
    )
    assert result.errors == []
    assert [parsed.external_id for parsed in result.rows] == ["x", "x"]


# Whole-file checks -----------------------------------------------------------------------


def test_file_over_20_mb_is_refused():
    content = b"date,account,type\n" + b"x" * (21 * 1024 * 1024)
    assert len(content) > MAX_FILE_BYTES
    with pytest.raises(ImportFileError, match=r"too big \(21\.0 MB\); the limit is 20 MB"):
        parse_file(content, filename="big.csv")
    with pytest.raises(ImportFileError, match="too big"):
        parse_prices_csv(content)


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # an .xlsx is a zip
        bytes(range(1, 32)) * 50,
    ],
)
def test_binary_file_is_refused(content):
    with pytest.raises(ImportFileError, match=r"not a text file|spreadsheet"):
        parse_file(content, filename="statement.csv")


def test_utf16_file_is_decoded_with_or_without_its_byte_order_mark():
    # Excel's "Unicode text" is UTF-16; the rows read as if the file were UTF-8.
    text = "date,account,type,amount\n2024-01-02,A,DEPOSIT,5\n"
    for content in (text.encode("utf-16"), text.encode("utf-16-le")):
        result = parse_file(content, filename="x.csv")
        assert summaries(result.rows) == ["2 2024-01-02 DEPOSIT a=5 acct=A"]


def test_windows_1252_file_is_decoded():
    content = "date,account,type,amount,memo\n2024-01-02,A,DEPOSIT,5,Café €\n".encode("cp1252")
    result = parse_file(content, filename="x.csv")
    assert result.rows[0].memo == "Café €"


def test_unknown_and_unrecognised_formats_are_refused():
    with pytest.raises(ImportFileError, match="unknown format 'quicken'"):
        parse_file(b"date,account,type\n", filename="x.csv", format="quicken")
    with pytest.raises(ImportFileError, match="format was not recognised"):
        parse_file(b"a,b,c\n1,2,3\n", filename="x.csv")
    with pytest.raises(ImportFileError, match="the file is empty"):
        parse_file(b"", filename="x.csv")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hearth_valid.csv", "hearth"),
        ("sample.ofx", "ofx"),
        ("sample_v2.qfx", "ofx"),
        ("fidelity.csv", "fidelity"),
        ("schwab.csv", "schwab"),
        ("vanguard.csv", "vanguard"),
        ("ibkr_flex.csv", "ibkr"),
    ],
)
def test_format_is_detected_from_content(name, expected):
    text = read(name).decode("utf-8")
    assert detect_format(text, filename="upload.dat") == expected
    assert parse_file(read(name), filename=name).format == expected


def test_explicit_format_wins_over_detection():
    # a Hearth file read as Schwab has no Schwab header
    with pytest.raises(ImportFileError, match="no Schwab header row"):
        parse_file(read("hearth_valid.csv"), filename="x.csv", format="schwab")


# OFX -------------------------------------------------------------------------------------


def test_ofx_v1_sgml_statement_maps_every_transaction():
    # when
    result = parse_file(read("sample.ofx"), filename="sample.ofx")

    # then: each row's line is the line of the file where its transaction starts
    assert result.format == "ofx"
    assert result.errors == []
    assert summaries(result.rows) == [
        "43 2024-01-02 DEPOSIT a=5000.00 cur=USD",
        # DTTRADE is 20:00 EST on Jan 3 (Jan 4 in UTC): the statement's own date is kept.
        # TOTAL -2361.18 includes FEES 0.03: gross 2361.15 (= 10 x 236.115)
        "53 2024-01-03 BUY VTI q=10 p=236.115 a=2361.15 f=0.03 cur=USD",
        "75 2024-01-10 BUY VTSAX q=8.5 p=117.64 a=999.94 cur=USD",
        "93 2024-03-27 DIVIDEND VTI a=9.12 cur=USD",
        "108 2024-03-28 DIVIDEND VXUS a=20.00 cur=USD",
        "108 2024-03-28 TAX_WITHHELD VXUS a=3.00 cur=USD",
        # not in SECLIST: the CUSIP is the symbol
        "124 2024-03-29 DIVIDEND 922908553 a=4.50 cur=USD class=capital_gain",
        "138 2024-03-28 REINVEST VTSAX q=0.13 p=117.69 a=15.30 cur=USD",
        # TOTAL 1040.38 + FEES 0.02 = 1040.40 (= 4 x 260.10)
        "153 2024-05-15 SELL VTI q=4 p=260.10 a=1040.40 f=0.02 cur=USD",
        "173 2024-06-10 SPLIT NVDA a=0 cur=USD ratio=10:1",
        "188 2024-06-28 INTEREST a=1.11 cur=USD",
        "198 2024-06-29 WITHDRAWAL a=250.00 cur=USD",
    ]
    assert [parsed.external_id for parsed in result.rows] == [
        "T0001",
        "T0002",
        "T0003",
        "T0004",
        "T0005",
        "T0005:withholding",
        "T0006",
        "T0007",
        "T0008",
        "T0009",
        "T0010",
        "T0011",
    ]
    # Rows go to the statement's account by its number; none is named by a Hearth name.
    assert all(parsed.account is None for parsed in result.rows)
    assert {parsed.account_number for parsed in result.rows} == {"X12345678"}
    assert [(a.number, a.institution) for a in result.accounts] == [
        ("X12345678", "Example Brokerage")
    ]
    assert result.rows[1].security_name == "VANGUARD TOTAL STOCK MARKET ETF"
    assert result.skipped == [
        SkippedRow(208, "moves cash or shares between sub-accounts of the same account")
    ]


def test_ofx_v2_xml_statement_maps_every_transaction():
    result = parse_ofx(read("sample_v2.qfx"))

    assert result.errors == []
    assert summaries(result.rows) == [
        # |TOTAL| 1729.95 - COMMISSION 4.95 = 1725.00 (= 100 x 17.25)
        "23 2024-02-12 BUY T q=100 p=17.25 a=1725.00 f=4.95 cur=USD",
        "40 2024-03-15 DIVIDEND FXAIX a=5.43 cur=USD class=capital_gain",
        # the transaction's own CURRENCY overrides CURDEF
        "48 2024-04-01 RETURN_OF_CAPITAL O a=2.10 cur=EUR",
        # TOTAL 567.00 + WITHHOLDING 63.00 = 630.00 (= 3.5 x 180), the tax its own row
        "56 2024-05-02 SELL FXAIX q=3.5 p=180.00 a=630.00 cur=USD",
        "56 2024-05-02 TAX_WITHHELD FXAIX a=63.00 cur=USD",
        # an option expiring: a SELL at 0 if the account holds it (the import decides)
        "69 2024-05-17 SELL T240517C00018000 q=1 p=0 a=0 cur=USD",
        "77 2024-06-01 FEE a=25.00 cur=USD",
        # a bond without a TICKER keeps its CUSIP as the symbol
        "87 2024-06-15 INTEREST 912828YK0 a=21.88 cur=USD",
    ]
    assert result.rows[5].only_if_held
    assert result.rows[0].memo == "BUY AT&T"
    assert result.rows[0].security_name == "AT&T INC"
    assert result.skipped == []


def test_ofx_transaction_problems_are_row_errors_naming_line_fitid_date_and_memo():
    # given the v1 sample with a unit count garbled and a buy without its date
    text = read("sample.ofx").decode("ascii")
    text = text.replace("<UNITS>8.5", "<UNITS>eight")
    text = text.replace("<DTTRADE>20240103200000.000[-5:EST]", "")

    # when
    result = parse_ofx(text.encode("ascii"))

    # then
    assert [str(error) for error in result.errors] == [
        "line 53, column DTTRADE: is required (FITID T0002, 'BOUGHT VTI')",
        "line 75, column UNITS: must be a number, got 'eight' (FITID T0003, 2024-01-10)",
    ]
    assert len(result.rows) == 10


def test_ofx_file_that_cannot_be_read_is_refused():
    with pytest.raises(ImportFileError, match="not a readable OFX file"):
        parse_file(b"OFXHEADER:100\nDATA:OFXSGML\ngarbage", filename="x.ofx")
    with pytest.raises(ImportFileError, match="not a readable OFX file"):
        parse_file(b"date,account,type\n", filename="x.csv", format="ofx")


def test_ofx_file_with_two_accounts_files_each_statement_under_its_number():
    text = read("sample_v2.qfx").decode()
    start = text.index("<INVSTMTTRNRS>")
    end = text.index("</INVSTMTTRNRS>") + len("</INVSTMTTRNRS>")
    statement = text[start:end]
    doubled = text[:end] + statement.replace("R98765432", "R11112222") + text[end:]
    result = parse_ofx(doubled.encode())
    # 8 rows per statement, each under its own account
    assert [row.account_number for row in result.rows] == ["R98765432"] * 8 + ["R11112222"] * 8
    assert [account.number for account in result.accounts] == ["R98765432", "R11112222"]


# Fidelity ----------------------------------------------------------------------------------


def test_fidelity_history_skips_preamble_footer_and_core_sweeps():
    result = parse_file(read("fidelity.csv"), filename="History_for_Account_X1.csv")

    assert result.format == "fidelity"
    assert result.errors == []
    assert summaries(result.rows) == [
        "4 2024-01-02 DEPOSIT a=10000",
        # Amount -2361.18 less Fees 0.03: gross 2361.15 (= 10 x 236.115)
        "5 2024-01-03 BUY VTI q=10 p=236.115 a=2361.15 f=0.03",
        "7 2024-03-27 DIVIDEND VTI a=9.12",
        # the reinvestment buys shares with the dividend of line 7
        "8 2024-03-27 BUY VTI q=0.036 p=253.33 a=9.12",
        "9 2024-03-28 TAX_WITHHELD VXUS a=1.25",
        "10 2024-03-29 DIVIDEND VNQ a=4.50 class=capital_gain",
        "11 2024-03-29 DIVIDEND SPAXX a=1.23",
        # Amount 1040.38 plus Fees 0.02: gross 1040.40 (= 4 x 260.10)
        "13 2024-05-15 SELL VTI q=4 p=260.10 a=1040.40 f=0.02",
        "14 2024-06-03 WITHDRAWAL a=500",
    ]
    assert [skip.line for skip in result.skipped] == [6, 12]
    assert all(HEX_ID.match(parsed.external_id) for parsed in result.rows)
    assert result.rows[1].security_name == "VANGUARD INDEX FDS VANGUARD TOTAL STK MKT ETF"
    assert result.rows[0].security_name is None


def test_fidelity_unrecognised_action_is_an_error_naming_line_and_text():
    text = (
        "Run Date,Action,Symbol,Description,Type,Quantity,Price ($),Commission ($),Fees ($),"
        "Accrued Interest ($),Amount ($),Settlement Date\n"
        "01/02/2024, SOMETHING NEW HAPPENED (XYZ) (Cash),XYZ,XYZ CORP,Shares,10,,,,,,\n"
        "13/45/2024, DIVIDEND RECEIVED (VTI),VTI,VTI,Cash,,,,,,1.00,\n"
    )
    result = parse_file(text.encode(), filename="x.csv", format="fidelity")
    assert [str(error) for error in result.errors] == [
        "line 2, column Action: unrecognised action 'SOMETHING NEW HAPPENED (XYZ) (Cash)'; "
        "enter this line by hand in a Hearth CSV",
        "line 3, column Run Date: is not a real date, got '13/45/2024'",
    ]


def test_fidelity_all_accounts_export_files_each_row_under_its_account():
    text = (
        "Run Date,Account,Account Number,Action,Symbol,Description,Type,Quantity,Price,"
        "Amount,Settlement Date\n"
        '12/03/2025,"IRA","111111111","DIVIDEND RECEIVED BND (BND) (Cash)",BND,BND,Cash,0,,7.08,\n'
        '12/03/2025,"HSA","222222222","DIVIDEND RECEIVED BND (BND) (Cash)",BND,BND,Cash,0,,0.66,\n'
    )
    result = parse_file(text.encode(), filename="x.csv")
    assert [(row.account_number, row.amount) for row in result.rows] == [
        ("111111111", D("7.08")),
        ("222222222", D("0.66")),
    ]
    assert [(a.number, a.institution, a.type) for a in result.accounts] == [
        ("111111111", "Fidelity", "traditional_ira"),
        ("222222222", "Fidelity", "hsa"),
    ]


# Schwab ------------------------------------------------------------------------------------


def test_schwab_transactions_map_every_action():
    result = parse_file(read("schwab.csv"), filename="Individual_XXX123_Transactions.csv")

    assert result.format == "schwab"
    assert result.errors == []
    assert summaries(result.rows) == [
        "3 2024-01-02 DEPOSIT a=5000.00",
        # 50 x 76.1234 = 3806.17, no fees
        "4 2024-01-03 BUY SCHD q=50 p=76.1234 a=3806.17",
        "5 2024-03-25 DIVIDEND SCHD a=30.55 class=qualified",
        # "03/28/2024 as of 03/25/2024": the as-of date is the trade date
        "6 2024-03-25 DIVIDEND VIG a=12.10",
        "7 2024-03-25 BUY VIG q=0.0683 p=177.16 a=12.10",
        "8 2024-04-01 INTEREST a=0.42",
        "9 2024-04-15 FEE TSM a=0.65",
        "10 2024-04-15 TAX_WITHHELD TSM a=1.10",
        # $1,569.98 + $0.02 = 1570.00 (= 20 x 78.50)
        "11 2024-05-20 SELL SCHD q=20 p=78.50 a=1570.00 f=0.02",
        "12 2024-06-10 SPLIT NVDA a=0 ratio=10:1",
        "13 2024-06-12 DIVIDEND VIG a=3.00 class=capital_gain",
        # $124.34 + $0.66 = 125.00 (= 1 contract x 1.25 x 100)
        "14 2024-06-20 OPTION_PREMIUM AAPL 06/28/2024 220.00 C q=1 p=1.25 a=125.00 f=0.66",
        # expired: a SELL at 0 of what the account holds; the import drops it when the
        # option was written (its premium is line 14)
        "15 2024-06-28 SELL AAPL 06/28/2024 220.00 C q=1 p=0 a=0",
        # a journal naming the other account is a TRANSFER between the two
        "16 2024-06-30 TRANSFER a=250.00",
    ]
    assert result.rows[-2].only_if_held
    assert (result.rows[-1].account_number, result.rows[-1].to_account_number) == (
        "...123",
        "...456",
    )
    assert [(a.number, a.label, a.type) for a in result.accounts] == [
        ("...123", "Individual", "taxable")
    ]
    assert result.skipped == []


def test_schwab_refund_split_without_ratio_and_spin_off():
    text = (
        '"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"\n'
        '"04/15/2024","NRA Tax Adj","TSM","TAIWAN SEMICONDUCTOR","","","","$1.10"\n'
        '"06/10/2024","Stock Split","NVDA","NVIDIA CORP","90","","",""\n'
        '"06/11/2024","Spin-off","XYZ","XYZ CORP","5","","",""\n'
        '"06/12/2024","Buy","VTI","VTI","10","$1.00","","oops"\n'
    )
    result = parse_schwab_csv(text)
    # a split without a ratio carries the shares it added (the import works out 10:1 from
    # the position); spun-off shares come in at unknown basis
    assert [
        (row.type, row.symbol, row.split_shares, row.quantity, row.basis_unknown)
        for row in result.rows
    ] == [
        ("SPLIT", "NVDA", D("90"), None, False),
        ("BUY", "XYZ", None, D("5"), True),
    ]
    assert [str(error) for error in result.errors] == [
        "line 2: is a TAX_WITHHELD, which should take cash out, but its cash goes the other "
        "way (1.1) and it reverses nothing in this file; Hearth has no type for a reversal or "
        "refund, so enter it by hand",
        "line 5, column Amount: must be a number, got 'oops'",
    ]


def test_schwab_money_formats():
    text = (
        '"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"\n'
        '"01/03/2024","Buy","VTI","VTI","1,000","$1.50","$0.01","($1,500.01)"\n'
    )
    result = parse_schwab_csv(text)
    assert summaries(result.rows) == ["2 2024-01-03 BUY VTI q=1000 p=1.50 a=1500.00 f=0.01"]


# Vanguard ----------------------------------------------------------------------------------


def test_vanguard_download_skips_holdings_and_settlement_fund_sweeps():
    result = parse_file(read("vanguard.csv"), filename="OfxDownload.csv")

    assert result.format == "vanguard"
    assert result.errors == []
    assert summaries(result.rows) == [
        "9 2024-06-28 DIVIDEND VMFXX a=6.21",
        "11 2024-06-27 DIVIDEND VTI a=97.31",
        "12 2024-06-27 BUY VTI q=0.3699 p=263.07 a=97.31",
        "13 2024-06-14 SELL VTI q=5.0 p=262.50 a=1312.50",
        "14 2024-06-04 BUY VTI q=7.0 p=259.99 a=1819.93",
        "16 2024-06-03 DEPOSIT a=2000.00",
        "17 2024-03-26 DIVIDEND VNQ a=12.00 class=capital_gain",
        "18 2024-03-01 WITHDRAWAL a=300.00",
        # Principal -851.20 is the gross; Net -852.20 includes the 1.00 commission
        "19 2024-02-15 BUY VNQ q=10.0 p=85.12 a=851.20 f=1.00",
    ]
    assert [skip.line for skip in result.skipped] == [8, 10, 15]
    assert result.rows[1].security_name == "VANGUARD TOTAL STOCK MARKET ETF"


def test_vanguard_multi_account_download_files_each_row_under_its_account():
    text = read("vanguard.csv").decode() + (
        "87654321,2024-06-04,2024-06-05,Buy,Buy,VANGUARD TOTAL STOCK MARKET ETF,VTI,1.0,"
        "259.99,-259.99,0.0,-259.99,0.0,CASH,\n"
    )
    result = parse_vanguard_csv(text)
    assert [row.account_number for row in result.rows] == ["12345678"] * 9 + ["87654321"]
    assert [a.number for a in result.accounts] == ["12345678", "87654321"]


def test_vanguard_without_transactions_section_is_refused():
    holdings_only = read("vanguard.csv").decode().split("\n\n\n\n")[0]
    with pytest.raises(ImportFileError, match="no Vanguard transactions header"):
        parse_vanguard_csv(holdings_only)


# Interactive Brokers -------------------------------------------------------------------------


def test_ibkr_flex_query_reads_trades_and_cash_transactions():
    result = parse_file(read("ibkr_flex.csv"), filename="flex.csv")

    assert result.format == "ibkr"
    assert result.errors == []
    assert summaries(result.rows) == [
        "5 2024-01-16 BUY AAPL q=10 p=182.50 a=1825 f=1 cur=USD",
        "7 2024-02-20 SELL SAP q=4 p=185.20 a=740.8 f=1.25 cur=EUR",
        "8 2024-03-15 OPTION_PREMIUM AAPL  240621C00200000 q=1 p=2.35 a=235 f=0.65 cur=USD",
        "12 2024-01-05 DEPOSIT a=10000 cur=USD",
        "13 2024-02-15 DIVIDEND AAPL a=2.4 cur=USD",
        "14 2024-02-15 TAX_WITHHELD AAPL a=0.36 cur=USD",
        "15 2024-04-03 INTEREST a=4.17 cur=USD",
        "16 2024-05-03 FEE a=4.5 cur=USD",
        "17 2024-06-13 DIVIDEND MSFT a=0.75 cur=USD class=ordinary",
        "18 2024-06-20 WITHDRAWAL a=500 cur=USD",
    ]
    assert [parsed.external_id for parsed in result.rows] == [
        "2411122334",
        "2411122400",
        "2411122500",
        "2411100001",
        "2411100002",
        "2411100003",
        "2411100004",
        "2411100005",
        "2411100006",
        "2411100007",
    ]
    # the ORDER line repeats the execution on line 5
    assert [skip.line for skip in result.skipped] == [6]
    assert result.rows[0].security_name == "APPLE INC"
    assert result.rows[4].security_name is None


def test_ibkr_plain_csv_with_line_descriptors_conversions_and_reversals():
    text = (
        '"HEADER","TRNT","ClientAccountID","CurrencyPrimary","AssetClass","Symbol",'
        '"TradeDate","Quantity","TradePrice","IBCommission","Buy/Sell","TransactionID"\n'
        '"DATA","TRNT","U1","USD","STK","VTI","2024-01-16","3","250","-0.35","BUY","9001"\n'
        '"DATA","TRNT","U1","USD","CASH","EUR.USD","2024-01-16","1000","1.09","-2","BUY","9002"\n'
        '"DATA","TRNT","U1","USD","STK","VTI","2024-01-17","-3","250","0","SELL (Ca.)","9003"\n'
        '"HEADER","CTRN","ClientAccountID","CurrencyPrimary","Symbol","Date/Time","Amount",'
        '"Type","TransactionID"\n'
        '"DATA","CTRN","U1","USD","VTI","2024-03-20, 20:20:00","-0.50","Withholding Tax","9004"\n'
        '"DATA","CTRN","U1","USD","VTI","2024-03-21","0.50","Withholding Tax","9005"\n'
        '"DATA","CTRN","U1","USD","","2024-03-22","1.00","Price Adjustments","9006"\n'
    )
    result = parse_ibkr_flex_csv(text)
    assert summaries(result.rows) == [
        # no TradeMoney or Proceeds: gross is 3 x 250
        "2 2024-01-16 BUY VTI q=3 p=250 a=750 f=0.35 cur=USD",
        # the currency conversion is no flow; only its commission is a cost
        "3 2024-01-16 FEE a=2 cur=USD",
    ]
    assert [str(error) for error in result.errors] == [
        "line 4, column Buy/Sell: 'SELL (CA.)': a cancelled trade; run the Flex Query with "
        "'Include Canceled Trades' set to No",
        "line 8, column Type: unrecognised cash transaction type 'Price Adjustments'; enter "
        "this line by hand in a Hearth CSV",
    ]
    # the tax withheld on line 6 is refunded on line 7: they cancel out
    assert [skip.line for skip in result.skipped] == [3, 6, 7]


def test_ibkr_file_without_importable_sections_is_refused_saying_what_to_tick():
    text = (
        '"ClientAccountID","CurrencyPrimary","Symbol","Quantity","MarkPrice"\n'
        '"U1","USD","VTI","3","250"\n'
    )
    with pytest.raises(ImportFileError, match="tick the sections Trades"):
        parse_ibkr_flex_csv(text)


def test_ibkr_file_with_two_accounts_files_each_row_under_its_account():
    text = (
        read("ibkr_flex.csv")
        .decode()
        .replace('"U1234567","USD","","","USD CREDIT', '"U7654321","USD","","","USD CREDIT')
    )
    result = parse_ibkr_flex_csv(text)
    assert {row.account_number for row in result.rows} == {"U1234567", "U7654321"}
    assert [row.account_number for row in result.rows if row.type == "INTEREST"] == ["U7654321"]


# Re-import idempotency ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["hearth_valid.csv", "sample.ofx", "fidelity.csv", "schwab.csv", "vanguard.csv"]
)
def test_parsing_the_same_file_twice_gives_the_same_ids(name):
    first = parse_file(read(name), filename=name)
    again = parse_file(read(name), filename=name)
    assert [parsed.external_id for parsed in first.rows] == [
        parsed.external_id for parsed in again.rows
    ]


def test_overlapping_broker_export_repeats_the_same_ids():
    # given a Schwab export and a later one that starts in the middle of it
    full = read("schwab.csv").decode()
    lines = full.splitlines(keepends=True)
    overlap = "".join(lines[1:2] + lines[8:])

    # when
    first = parse_schwab_csv(full)
    second = parse_schwab_csv(overlap)

    # then every row of the overlap is already known
    assert {parsed.external_id for parsed in second.rows} <= {
        parsed.external_id for parsed in first.rows
    }


# Market data -------------------------------------------------------------------------------


def test_prices_csv_reads_closes_in_any_column_order():
    content = b'Date,Symbol,Close,Volume\n2024-01-02,vti,236.11,123\n\n2024-01-03,VTI,"1,236.5",9\n'
    rows, errors = parse_prices_csv(content)
    assert errors == []
    assert rows == [
        (2, "VTI", date(2024, 1, 2), D("236.11")),
        (4, "VTI", date(2024, 1, 3), D("1236.5")),
    ]
    assert rows[0].close == D("236.11")


def test_prices_csv_reports_every_bad_row():
    content = (
        "symbol,date,close\n"
        "VTI,2024-01-02,-1\n"
        ",2024-01-02,1\n"
        "VTI,01/02/2024,1\n"
        "VTI,2024-01-03,0\n"
        "VTI,2024-01-04,10\n"
        "VTI,2024-01-04,11\n"
    )
    rows, errors = parse_prices_csv(content)
    assert [str(error) for error in errors] == [
        "line 2, column close: must be a positive number, got '-1'",
        "line 3, column symbol: is required",
        "line 4, column date: must be a date YYYY-MM-DD, got '01/02/2024'",
        "line 5, column close: must be a positive number, got '0'",
        "line 7, column date: VTI on 2024-01-04 is already on line 6",
    ]
    assert [price.line for price in rows] == [6]


def test_prices_csv_missing_column_is_refused():
    with pytest.raises(ImportFileError, match="missing required column 'close'"):
        parse_prices_csv(b"symbol,date\nVTI,2024-01-02\n")


def test_dividends_csv_reads_events_and_reports_bad_rows():
    content = (
        b"symbol,ex_date,pay_date,amount\n"
        b"SCHD,2024-03-20,2024-03-25,0.6099\n"
        b"SCHD,2024-06-26,,0.8241\n"
        b"VTI,2024-03-21,2024-03-26,abc\n"
        b"SCHD,2024-03-20,2024-03-25,0.61\n"
    )
    rows, errors = parse_dividends_csv(content)
    assert rows == [(2, "SCHD", date(2024, 3, 20), date(2024, 3, 25), D("0.6099"))]
    assert [str(error) for error in errors] == [
        "line 3, column pay_date: is required",
        "line 4, column amount: must be a number, got 'abc'",
        "line 5, column ex_date: SCHD ex 2024-03-20 is already on line 2",
    ]


def test_dividends_csv_missing_columns_are_refused():
    with pytest.raises(ImportFileError, match="missing required columns 'pay_date', 'amount'"):
        parse_dividends_csv("symbol,ex_date\n")


BANK_OFX = (
    "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n"
    "CHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"
    "<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>"
    "<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>5555<ACCTTYPE>SAVINGS"
    "</BANKACCTFROM><BANKTRANLIST><DTSTART>20240101<DTEND>20240131"
    "<STMTTRN><TRNTYPE>DEP<DTPOSTED>20240105<TRNAMT>100.00<FITID>B1<NAME>Caf\xe9 refund"
    "</STMTTRN>"
    "<STMTTRN><TRNTYPE>OTHER<DTPOSTED>20240106<TRNAMT>-5.00<FITID>B2</STMTTRN>"
    "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240107<TRNAMT>-7.00<FITID>B3"
    "<CORRECTFITID>B1<CORRECTACTION>REPLACE</STMTTRN>"
    "<STMTTRN><TRNTYPE>SRVCHG<DTPOSTED>20240131<TRNAMT>-2.50<FITID>B4</STMTTRN>"
    "</BANKTRANLIST><LEDGERBAL><BALAMT>1<DTASOF>20240131</LEDGERBAL></STMTRS>"
    "</STMTTRNRS></BANKMSGSRSV1></OFX>"
)


def test_ofx_bank_statement_on_one_line_in_windows_1252():
    # given an OFX v1 file with no line breaks in its body and a cp1252 character
    content = BANK_OFX.encode("cp1252")

    # when
    result = parse_file(content, filename="checking.qfx")

    # then every transaction is on line 11 (after the 10 header lines): the messages tell
    # them apart by FITID, date and memo
    assert summaries(result.rows) == [
        "11 2024-01-05 DEPOSIT a=100.00 cur=USD",
        "11 2024-01-31 FEE a=2.50 cur=USD",
    ]
    assert result.rows[0].memo == "Café refund"
    assert result.accounts[0].type == "cash"
    assert [str(error) for error in result.errors] == [
        "line 11, column TRNTYPE: 'OTHER' does not say what the transaction is, and neither "
        "does its description; enter it by hand in a Hearth CSV (FITID B2, 2024-01-06)",
        "line 11, column CORRECTFITID: reverses or corrects an earlier transaction; Hearth "
        "cannot import corrections, so correct the original by hand (FITID B3, 2024-01-07)",
    ]


def test_ofx_reversal_is_an_error():
    text = (
        read("sample_v2.qfx")
        .decode()
        .replace(
            "<FITID>Q-1002</FITID>", "<FITID>Q-1002</FITID><REVERSALFITID>Q-0999</REVERSALFITID>"
        )
    )
    result = parse_ofx(text.encode())
    assert [str(error) for error in result.errors] == [
        "line 40, column REVERSALFITID: reverses or corrects an earlier transaction; Hearth "
        "cannot import corrections, so correct the original by hand (FITID Q-1002, 2024-03-15)"
    ]
