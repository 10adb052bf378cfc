"""Files that are wrong in the ways real files are: every one a clear error naming its
line, never a server error or a partial import."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from portfolios.imports import ImportFileError, parse_file
from portfolios.models import ImportBatch, Transaction
from portfolios.services.imports import transactions_import
from tests.portfolios.factories import AccountFactory

HEADER = "date,account,type,symbol,quantity,price,amount\n"


def errors_of(text: str, **kwargs) -> list[str]:
    return [str(error) for error in parse_file(text.encode(), filename="x.csv", **kwargs).errors]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("NaN", "must be a number, got 'NaN'"),
        ("Infinity", "must be a number, got 'Infinity'"),
        ("1e400", "must be a number, got '1e400'"),
        ('"1,234.5.6"', "must be a number, got '1,234.5.6'"),
        ("99999999999999999999", "is too large, got '99999999999999999999'"),
    ],
)
def test_numbers_that_are_not_numbers_are_refused_naming_line_and_column(cell, message):
    text = HEADER + f"2024-01-02,A,BUY,VTI,{cell},1,\n"
    assert errors_of(text) == [f"line 2, column quantity: {message}"]


@pytest.mark.parametrize(
    ("text", "format"),
    [
        (HEADER + "2025-02-30,A,DEPOSIT,,,,5\n", None),
        (
            "Run Date,Action,Symbol,Quantity,Price ($),Amount ($)\n"
            "02/30/2025,DIVIDEND RECEIVED (VTI),VTI,,,5\n",
            "fidelity",
        ),
    ],
)
def test_impossible_dates_are_refused(text, format):
    [error] = errors_of(text, format=format)
    assert "is not a real date" in error and error.startswith("line 2, column")


def test_a_10000_character_field_is_cut_in_the_message():
    text = "Run Date,Action,Symbol,Amount ($)\n01/02/2024," + "X" * 10_000 + ",VTI,5\n"
    [error] = errors_of(text, format="fidelity")
    assert error.startswith("line 2, column Action: unrecognised action 'XXXX")
    assert len(error) < 200


def test_a_quoted_field_cut_off_at_the_end_of_the_file_is_refused_naming_its_line():
    text = HEADER + '2024-01-02,A,DEPOSIT,,,,5\n2024-01-03,"A,DEPOSIT,,,,5\n'
    with pytest.raises(ImportFileError, match=r"line 3: a quoted field starts here and is never"):
        parse_file(text.encode(), filename="x.csv")


def test_a_quoted_field_spanning_lines_is_still_fine():
    text = HEADER.rstrip("\n") + ",memo\n" + '2024-01-02,A,DEPOSIT,,,,5,"two\nlines"\n'
    result = parse_file(text.encode(), filename="x.csv")
    assert result.rows[0].memo == "two\nlines"


def test_latin_1_and_bom_files_are_decoded():
    text = "\ufeff" + HEADER.rstrip("\n") + ",memo\n2024-01-02,A,DEPOSIT,,,,5,Crédit\n"
    for content in (text.encode("utf-8"), text[1:].encode("latin-1")):
        assert parse_file(content, filename="x.csv").rows[0].memo == "Crédit"


def test_a_tab_separated_export_is_read():
    text = "date\taccount\ttype\tamount\n2024-01-02\tA\tDEPOSIT\t5\n"
    assert [row.amount for row in parse_file(text.encode("utf-16"), filename="x.txt").rows] == [5]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "the file is a PDF"),
        (b"\x00\x01\x02\x03binary\xff\xfe\x00", "not a text file"),
    ],
)
def test_binary_files_are_refused_saying_what_to_download(content, message):
    with pytest.raises(ImportFileError, match=message):
        parse_file(content, filename="statement.csv")


def test_a_repeated_column_a_broker_file_does_not_read_is_harmless_and_one_it_reads_is_refused():
    unused = (
        "Run Date,Action,Symbol,Type,Type,Amount ($)\n"
        "01/02/2024,DIVIDEND RECEIVED (VTI),VTI,Cash,Cash,5\n"
    )
    assert [row.amount for row in parse_file(unused.encode(), filename="x.csv").rows] == [5]
    used = "Run Date,Action,Symbol,Amount ($),Amount ($)\n01/02/2024,DIVIDEND RECEIVED,VTI,5,6\n"
    with pytest.raises(ImportFileError, match=r"line 1: column 'Amount \(\$\)' appears more"):
        parse_file(used.encode(), filename="x.csv")


@pytest.mark.django_db
def test_trades_dated_after_tomorrow_household_time_are_refused_naming_the_line(cast):
    AccountFactory(household=cast.household_a, name="A")
    # 23:30 on June 30 in New York (the household's zone) is July 1 in UTC: tomorrow is
    # July 1 there, so July 2 is the first refused day
    text = HEADER + "2024-07-01,A,DEPOSIT,,,,5\n2024-07-02,A,DEPOSIT,,,,6\n"
    with time_machine.travel("2024-07-01 03:30:00+00:00", tick=False):
        result = transactions_import(
            household=cast.household_a, content=text.encode(), filename="x.csv"
        )
    assert result.errors == [
        "line 3, column date: 2024-07-02 is in the future (after 2024-07-01); check the date, "
        "or import the file once the trade has happened"
    ]
    assert Transaction.objects.count() == 0


@pytest.mark.django_db
def test_a_file_of_garbage_uploaded_gets_an_answer_never_a_server_error(cast):
    client = Client()
    client.force_login(cast.member)
    garbage = bytes(range(256)) * 100
    response = client.post(
        "/portfolio/imports/", {"file": SimpleUploadedFile("x.csv", garbage, "text/csv")}
    )
    assert response.status_code == 200
    assert "not a text file" in response.content.decode()
    assert ImportBatch.objects.get().status == "rejected"


@pytest.mark.django_db
def test_the_error_page_shows_the_first_200_bad_rows_and_the_count(cast, tmp_path: Path):
    client = Client()
    client.force_login(cast.member)
    bad = HEADER + "".join("2024-01-02,A,BOUGHT,VTI,1,1,\n" for _ in range(5000))
    response = client.post(
        "/portfolio/imports/",
        {"file": SimpleUploadedFile("bad.csv", bad.encode(), "text/csv")},
    )
    html = response.content.decode()
    assert "Problems (5,000)" in html
    assert html.count("column type: must be one of") == 200
    assert "…and 4,800 more, not shown" in html
    assert len(html) < 200_000
    # the batch keeps the first 1000 messages and the count of bad rows
    batch = ImportBatch.objects.get()
    assert (len(batch.errors), batch.rows_rejected) == (1001, 5000)


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        (
            "Account Number,Account Name,Symbol,Description,Quantity,Last Price,Current Value\n"
            "Z12345678,Individual,VTI,VANGUARD TOTAL STOCK MARKET ETF,10,250.00,2500.00\n",
            "Fidelity's Positions download (holdings, no transactions); download "
            "Activity & Orders > History as CSV instead",
        ),
        (
            '"Positions for account Individual ...789 as of 09:00 AM ET, 2024/04/01"\n'
            '"Symbol","Description","Quantity","Price"\n'
            '"KO","COCA-COLA CO","40","60.00"\n',
            "Schwab's Positions export (holdings, no transactions); export the account's "
            "History (Transactions) as CSV instead",
        ),
    ],
)
def test_a_positions_export_is_refused_saying_which_history_to_download(text, advice):
    with pytest.raises(ImportFileError) as refused:
        parse_file(text.encode(), filename="Portfolio_Positions.csv")
    assert advice in str(refused.value)


@pytest.mark.django_db
@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_a_carriage_return_inside_a_memo_does_not_split_its_row(cast, tmp_path: Path, ending):
    # given a Hearth CSV of two deposits whose first memo holds a carriage return, unquoted
    # (pasted from another program) in a file of LF or CRLF lines
    AccountFactory(household=cast.household_a, name="Taxable")
    lines = [
        "date,account,type,amount,id,memo",
        "2024-01-02,Taxable,DEPOSIT,100,d1,paycheck\rJanuary",
        '2024-01-03,Taxable,DEPOSIT,5,d2,"quoted\rtoo"',
    ]
    path = tmp_path / "memo.csv"
    path.write_bytes(ending.join(lines).encode() + ending.encode())
    # when imported with the command
    out = StringIO()
    call_command("import_transactions", str(path), household="Alpha", stdout=out)
    # then two rows went in, each memo whole, carriage return and all
    assert out.getvalue().startswith("memo.csv (hearth): added 2, duplicates 0")
    assert list(Transaction.objects.order_by("trade_date").values_list("memo", "amount")) == [
        ("paycheck\rJanuary", Decimal(100)),
        ("quoted\rtoo", Decimal(5)),
    ]


def test_a_file_of_carriage_return_line_ends_is_still_read_line_by_line():
    # given a classic-Mac file: lines end in CR alone, so a CR there does end a line
    text = HEADER.rstrip("\n") + "\r2024-01-02,A,BUY,VTI,NaN,1,\r2024-01-03,A,BUY,VTI,1,1,\r"
    # then the bad row is line 2, the good row after it is read as a row of its own
    assert errors_of(text) == ["line 2, column quantity: must be a number, got 'NaN'"]


SAMPLES = Path(__file__).with_name("import_files")


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        # an SGML (v1) file: 9 header lines and a blank one, then a declaration (line 11)
        (
            '<!DOCTYPE OFX [<!ENTITY org "Example">]>\n',
            "line 11: not a safe OFX file: it declares the entity 'org' (<!ENTITY>).",
        ),
        # an entity declared on the line after <OFX> (line 12), where no XML parser looks
        (None, "line 12: not a safe OFX file: it declares an entity (<!ENTITY>)."),
    ],
)
def test_ofx_entity_declarations_are_refused_wherever_they_are(declaration, message):
    v1 = (SAMPLES / "sample.ofx").read_text()
    head, body = v1.split("<OFX>", 1)
    if declaration is None:
        text = head + "<OFX>\n" + '<!ENTITY x "y">' + body
    else:
        text = head + declaration + "<OFX>" + body
    with pytest.raises(ImportFileError) as refused:
        parse_file(text.encode(), filename="x.ofx")
    assert str(refused.value).startswith(message)


def test_a_plain_doctype_declares_nothing_and_the_ofx_is_read():
    v2 = (SAMPLES / "sample_v2.qfx").read_text()
    head, body = v2.split("<OFX>", 1)
    plain = parse_file(v2.encode(), filename="x.qfx")
    declared = parse_file((head + "<!DOCTYPE OFX>\n<OFX>" + body).encode(), filename="x.qfx")
    assert len(declared.rows) == len(plain.rows) > 0
