"""manage.py import_prices / import_dividends (DESIGN §3, §4): counts, errors, all or nothing."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from portfolios.models import DividendEvent, Price, Security
from tests.portfolios.factories import SecurityFactory

pytestmark = pytest.mark.django_db


def run(command: str, path) -> str:
    out = StringIO()
    call_command(command, str(path), stdout=out)
    return out.getvalue()


def write(tmp_path, text: str):
    path = tmp_path / "market.csv"
    path.write_text(text)
    return path


def test_import_prices_counts_added_and_updated_closes(tmp_path):
    # given VTI is known and already has the 2024-01-02 close
    vti = SecurityFactory(symbol="VTI")
    Price.objects.create(security=vti, date=date(2024, 1, 2), close=Decimal("99"))
    path = write(
        tmp_path,
        "symbol,date,close\n"
        "VTI,2024-01-02,100.50\n"
        "VTI,2024-01-03,101.25\n"
        "newco,2024-01-03,12\n",
    )  # fmt: skip
    # when
    output = run("import_prices", path)
    # then 3 rows for 2 symbols: VTI 01-02 replaces the stored close, the other 2 are new
    assert "market.csv: 3 prices for 2 symbols (2 added, 1 updated), new symbols 1" in output
    assert "new symbols to review: NEWCO" in output
    assert Price.objects.get(security=vti, date=date(2024, 1, 2)).close == Decimal("100.5")
    newco = Security.objects.get(symbol="NEWCO")
    assert (newco.kind, newco.asset_class, newco.needs_review) == ("unknown", "unknown", True)
    assert Price.objects.count() == 3


def test_import_prices_rejects_the_file_naming_every_bad_row(tmp_path):
    # given lines 3 and 4 are bad, line 2 is good
    path = write(
        tmp_path,
        "symbol,date,close\nVTI,2024-01-02,100.50\nVTI,2024-13-01,101\nBND,2024-01-03,-5\n",
    )
    # when
    with pytest.raises(CommandError) as raised:
        run("import_prices", path)
    # then nothing is written, not even line 2, and no symbol is created
    assert str(raised.value).splitlines() == [
        "market.csv rejected, nothing imported (2 problems):",
        "line 3, column date: is not a real date, got '2024-13-01'",
        "line 4, column close: must be a positive number, got '-5'",
    ]
    assert Price.objects.count() == 0
    assert Security.objects.count() == 0


def test_import_prices_refuses_a_file_without_its_columns(tmp_path):
    with pytest.raises(CommandError, match="rejected, nothing imported"):
        run("import_prices", write(tmp_path, "ticker,day,price\nVTI,2024-01-02,1\n"))


def test_import_dividends_counts_and_replaces_by_ex_date(tmp_path):
    # given SCHD's March event is stored with last year's amount
    schd = SecurityFactory(symbol="SCHD")
    DividendEvent.objects.create(
        security=schd, ex_date=date(2024, 3, 20), pay_date=date(2024, 3, 25), amount=Decimal("0.6")
    )
    path = write(
        tmp_path,
        "symbol,ex_date,pay_date,amount\n"
        "SCHD,2024-03-20,2024-03-25,0.6113\n"
        "SCHD,2024-06-26,2024-07-01,0.8241\n",
    )
    # when
    output = run("import_dividends", path)
    # then
    assert "market.csv: 2 dividends for 1 symbols (1 added, 1 updated), new symbols 0" in output
    assert DividendEvent.objects.get(ex_date=date(2024, 3, 20)).amount == Decimal("0.6113")
    assert DividendEvent.objects.count() == 2


def test_import_dividends_rejects_bad_rows(tmp_path):
    path = write(
        tmp_path,
        "symbol,ex_date,pay_date,amount\n"
        "SCHD,2024-03-20,,0.61\n"
        "SCHD,2024-03-20,2024-03-25,0.61\n"
        "SCHD,2024-03-20,2024-03-25,0.62\n",
    )
    with pytest.raises(CommandError) as raised:
        run("import_dividends", path)
    assert str(raised.value).splitlines()[1:] == [
        "line 2, column pay_date: is required",
        "line 4, column ex_date: SCHD ex 2024-03-20 (paid 2024-03-25) is already on line 3",
    ]
    assert DividendEvent.objects.count() == 0


def test_commands_stream_files_past_the_upload_limit(tmp_path, monkeypatch):
    # given an upload limit of 200 bytes and a 30-row prices file (about 600 bytes)
    monkeypatch.setattr("portfolios.imports.decoding.MAX_FILE_BYTES", 200)
    lines = [f"VTI,2024-01-{day:02d},{100 + day}.25" for day in range(1, 31)]
    path = write(tmp_path, "symbol,date,close\n" + "\n".join(lines) + "\n")
    assert path.stat().st_size > 200
    # when the command reads it
    output = run("import_prices", path)
    # then every close is stored: 30 added; the last is 100 + 30 + 0.25 = 130.25
    assert "market.csv: 30 prices for 1 symbols (30 added, 0 updated)" in output
    assert Price.objects.get(date=date(2024, 1, 30)).close == Decimal("130.25")
    # and the same bytes uploaded through a browser are refused for their size
    from portfolios.services.imports import prices_import

    refused = prices_import(content=path.read_bytes())
    assert refused.errors == ["the file is too big (0.0 MB); the limit is 0 MB"]


def test_import_prices_names_every_repeated_close(tmp_path):
    # given VTI 2024-01-02 on lines 2 and 4, and again on line 5
    path = write(
        tmp_path,
        "symbol,date,close\n"
        "VTI,2024-01-02,100\n"
        "VTI,2024-01-03,101\n"
        "vti,2024-01-02,100.5\n"
        "VTI,2024-01-02,99\n",
    )
    with pytest.raises(CommandError) as raised:
        run("import_prices", path)
    # then both repeats name the first line, and nothing is written
    assert str(raised.value).splitlines()[1:] == [
        "line 4, column date: VTI on 2024-01-02 is already on line 2",
        "line 5, column date: VTI on 2024-01-02 is already on line 2",
    ]
    assert Price.objects.count() == 0


def test_import_dividends_keeps_a_dividend_and_a_capital_gain_on_one_ex_date(tmp_path):
    # given a fund's December dividend and capital-gain distribution share the ex-date
    path = write(
        tmp_path,
        "symbol,ex_date,pay_date,amount,income_class\n"
        "ITOHX,1997-12-15,1997-12-18,0.12,ordinary\n"
        "ITOHX,1997-12-15,1997-12-18,0.85,capital_gain\n"
        "ITOHX,1997-12-15,1997-12-19,0.05,\n",
    )
    # when imported, then again
    first = run("import_dividends", path)
    again = run("import_dividends", path)
    # then three events are stored once: the second run only replaces them
    assert "3 dividends for 1 symbols (3 added, 0 updated)" in first
    assert "3 dividends for 1 symbols (0 added, 3 updated)" in again
    stored = {(e.pay_date.day, e.income_class): e.amount for e in DividendEvent.objects.all()}
    assert stored == {
        (18, "ordinary"): Decimal("0.12"),
        (18, "capital_gain"): Decimal("0.85"),
        (19, ""): Decimal("0.05"),
    }


def test_new_closes_mark_the_households_holding_the_security(tmp_path, cast):
    # given Alpha bought VTI in 2023 and nobody holds BND
    from portfolios.models import PendingRecompute
    from tests.portfolios.factories import AccountFactory
    from tests.portfolios.ledger_builders import buy

    vti = SecurityFactory(symbol="VTI")
    buy(AccountFactory(household=cast.household_a), "2023-05-01", vti, 10, 1000)
    path = write(
        tmp_path,
        "symbol,date,close\nVTI,2024-02-01,101\nVTI,2024-01-02,100\nBND,2020-01-02,70\n",
    )
    # when
    run("import_prices", path)
    # then Alpha owes a recompute from VTI's earliest new close; Bravo owes nothing
    assert list(PendingRecompute.objects.values_list("household__name", "from_date")) == [
        ("Alpha", date(2024, 1, 2))
    ]


def test_a_bulk_load_checks_the_foreign_key_once_and_keeps_it(tmp_path, monkeypatch):
    from django.db import connection

    # given a load counted as bulk from its first close
    monkeypatch.setattr("portfolios.services.imports.market_data.BULK_ROWS", 1)
    path = write(tmp_path, "symbol,date,close\nVTI,2024-01-02,100\nBND,2024-01-02,70\n")
    # when
    output = run("import_prices", path)
    # then both closes are stored
    assert "2 prices for 2 symbols (2 added, 0 updated)" in output
    # and the price table still refers to its securities (PostgreSQL drops and re-adds it)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_constraint "
                "WHERE conrelid = 'portfolios_price'::regclass AND contype = 'f'"
            )
            assert cursor.fetchone()[0] == 1


def _price_table_keys() -> list[tuple[str, str]]:
    """Return the price table's constraints and indexes, by name (PostgreSQL)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, contype FROM pg_constraint "
            "WHERE conrelid = 'portfolios_price'::regclass "
            "UNION ALL SELECT indexrelid::regclass::text, 'i' FROM pg_index "
            "WHERE indrelid = 'portfolios_price'::regclass ORDER BY 1"
        )
        return cursor.fetchall()


def test_a_bulk_load_beside_stored_closes_adds_updates_and_keeps_the_keys(tmp_path, monkeypatch):
    from django.db import connection

    # given VTI has closes on 2024-01-02 and 2024-01-05 and the load is bulk from its first
    # batch of two rows
    monkeypatch.setattr("portfolios.services.imports.market_data.BULK_ROWS", 1)
    monkeypatch.setattr("portfolios.services.imports.market_data.STAGE_BATCH", 2)
    vti = SecurityFactory(symbol="VTI")
    Price.objects.create(security=vti, date=date(2024, 1, 2), close=Decimal("99"))
    Price.objects.create(security=vti, date=date(2024, 1, 5), close=Decimal("98"))
    keys = _price_table_keys() if connection.vendor == "postgresql" else None
    path = write(
        tmp_path,
        "symbol,date,close\n"
        "VTI,2023-12-29,97\n"  # before VTI's stored days: new
        "BND,2024-01-02,70\n"  # a new symbol: new
        "VTI,2024-01-02,100\n"  # stored: replaced
        "VTI,2024-01-03,101\n"  # between stored days: new
        "VTI,2024-01-08,102\n"  # after them: new
        "BND,2024-01-03,71\n"
        "NEWCO,2024-01-03,5\n",  # a new symbol while closes are being copied: new
    )  # fmt: skip
    # when
    output = run("import_prices", path)
    # then 7 closes for 3 symbols: 6 new, VTI 2024-01-02 replaced; 01-05 is kept
    assert "7 prices for 3 symbols (6 added, 1 updated), new symbols 2" in output
    stored = {
        (p.security.symbol, p.date.isoformat()): p.close
        for p in Price.objects.select_related("security")
    }
    assert stored == {
        ("VTI", "2023-12-29"): Decimal("97"),
        ("VTI", "2024-01-02"): Decimal("100"),
        ("VTI", "2024-01-03"): Decimal("101"),
        ("VTI", "2024-01-05"): Decimal("98"),
        ("VTI", "2024-01-08"): Decimal("102"),
        ("BND", "2024-01-02"): Decimal("70"),
        ("BND", "2024-01-03"): Decimal("71"),
        ("NEWCO", "2024-01-03"): Decimal("5"),
    }
    # and the table has its keys and indexes back, by the same names
    if keys is not None:
        assert _price_table_keys() == keys
        with pytest.raises(Exception, match="unique"):
            Price.objects.create(security=vti, date=date(2024, 1, 3), close=Decimal("1"))


def test_a_bulk_load_names_every_repeated_close(tmp_path, monkeypatch):
    from django.db import connection

    # given a bulk load (from its first batch) in which VTI 2024-01-03 comes on lines 3 and
    # 6, after VTI's only stored close, and BND 2024-01-02 on lines 2 and 5
    monkeypatch.setattr("portfolios.services.imports.market_data.BULK_ROWS", 1)
    monkeypatch.setattr("portfolios.services.imports.market_data.STAGE_BATCH", 2)
    vti = SecurityFactory(symbol="VTI")
    Price.objects.create(security=vti, date=date(2024, 1, 2), close=Decimal("99"))
    keys = _price_table_keys() if connection.vendor == "postgresql" else None
    path = write(
        tmp_path,
        "symbol,date,close\n"
        "BND,2024-01-02,70\n"
        "VTI,2024-01-03,101\n"
        "VTI,2024-01-04,102\n"
        "bnd,2024-01-02,70.5\n"
        "VTI,2024-01-03,100\n",
    )  # fmt: skip
    # when
    with pytest.raises(CommandError) as raised:
        run("import_prices", path)
    # then each repeat names its first line, and nothing is written: not BND, not a close
    assert str(raised.value).splitlines()[1:] == [
        "line 5, column date: BND on 2024-01-02 is already on line 2",
        "line 6, column date: VTI on 2024-01-03 is already on line 3",
    ]
    assert list(Price.objects.values_list("date", "close")) == [(date(2024, 1, 2), Decimal("99"))]
    assert not Security.objects.filter(symbol="BND").exists()
    if keys is not None:
        assert _price_table_keys() == keys


def test_a_large_load_that_cannot_go_bulk_checks_the_foreign_key_once_and_keeps_it(
    tmp_path, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # given a load large enough to go bulk, whose price table may not be set aside (as
    # when another table refers to it)
    module = "portfolios.services.imports.market_data"
    monkeypatch.setattr(f"{module}.BULK_ROWS", 1)
    monkeypatch.setattr(f"{module}._PriceStage._go_bulk", _refused_bulk)
    keys = _price_table_keys() if connection.vendor == "postgresql" else None
    path = write(tmp_path, "symbol,date,close\nVTI,2024-01-02,100\nBND,2024-01-02,70\n")
    # when
    with CaptureQueriesContext(connection) as queries:
        output = run("import_prices", path)
    # then both closes are stored through the merge
    assert "2 prices for 2 symbols (2 added, 0 updated)" in output
    if connection.vendor == "postgresql":
        # with the foreign key dropped for the merge and added back, as it was
        statements = [query["sql"] for query in queries.captured_queries]
        assert sum("DROP CONSTRAINT" in sql for sql in statements) == 1
        assert sum("ADD CONSTRAINT" in sql for sql in statements) == 1
        assert _price_table_keys() == keys


def _refused_bulk(stage, cursor) -> None:
    stage.bulk_allowed = False
