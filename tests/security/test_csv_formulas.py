"""Formula cells round-trip through CSV: imported exactly as written, stored exactly, and
written to every CSV route with a leading ' so no spreadsheet runs them; numbers, negative
ones included, stay numbers."""

import csv
import io
from datetime import date

import pytest
from django.core.management import call_command

from alerts.services.recompute import household_recompute
from portfolios.api.renderers import neutralise
from portfolios.models import Transaction
from tests.conftest import token_client
from tests.portfolios.factories import AccountFactory
from tests.portfolios.ledger_builders import close
from tests.security_report import count
from tests.test_api_isolation_sweep import ROUTES, body_of

pytestmark = [pytest.mark.django_db, pytest.mark.api]

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "@SUM(1)",
    "+1+1",
    "=cmd|' /C calc'!A0",
    "\t=1+1",
    "-2+3",
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _write(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def formula_household(cast, tmp_path):
    AccountFactory(household=cast.household_a, name="Taxable")
    header = ["date", "account", "type", "symbol", "quantity", "price", "amount", "memo", "id"]
    rows = [header, ["2025-01-02", "Taxable", "DEPOSIT", "", "", "", "10000", "start", "d0"]]
    for index, memo in enumerate(FORMULAS):
        rows.append(["2025-01-03", "Taxable", "DEPOSIT", "", "", "", "1", memo, f"f{index}"])
    rows.append(["2025-01-06", "Taxable", "BUY", "=EVIL", "10", "5", "", "@buy", "b1"])
    path = tmp_path / "formulas.csv"
    path.write_text(_write(rows))
    call_command("import_transactions", str(path), "--household", "Alpha")
    evil = Transaction.objects.get(external_id="b1").security
    close(evil, "2025-01-06", 4)
    close(evil, date.today().isoformat(), 3)  # a loss: negative gains in the CSVs
    household_recompute(household=cast.household_a)
    return cast


def test_the_importer_keeps_free_text_exactly(formula_household):
    memos = dict(Transaction.objects.values_list("external_id", "memo"))
    for index, memo in enumerate(FORMULAS):
        assert memos[f"f{index}"] == memo, index


def test_no_csv_route_writes_a_formula_cell(formula_household):
    client, _ = token_client(formula_household.owner, formula_household.household_a)
    seen_formulas = seen_negative = 0
    for route in ROUTES:
        response = client.get(f"/api/v1/{route}?format=csv")
        assert response.status_code in (200, 400), route
        for row in csv.reader(io.StringIO(body_of(response).decode())):
            for cell in row:
                count("CSV cells checked for formulas")
                if cell.startswith("'") and cell[1:].startswith(DANGEROUS):
                    seen_formulas += 1
                elif cell.startswith("-") and neutralise(cell) == cell:
                    seen_negative += 1  # a plain negative number, left as a number
                if cell.startswith(DANGEROUS) and neutralise(cell) != cell:
                    count("formula cells written to CSV")
                    pytest.fail(f"{route}: formula cell {cell!r}")
    assert seen_formulas >= len(FORMULAS) + 1  # every memo, the symbol at least once
    assert seen_negative >= 1


def test_each_formula_comes_back_quoted_and_numbers_stay_numbers(formula_household):
    client, _ = token_client(formula_household.owner, formula_household.household_a)
    text = body_of(client.get("/api/v1/transactions/?format=csv")).decode()
    table = list(csv.DictReader(io.StringIO(text)))
    memos = {row["external_id"]: row["memo"] for row in table}
    for index, memo in enumerate(FORMULAS):
        assert memos[f"f{index}"] == "'" + memo
    buy = next(row for row in table if row["external_id"] == "b1")
    assert buy["symbol"] == "'=EVIL"
    assert buy["amount"] == "50"  # 10 x 5: a number, not text
    lots = list(csv.DictReader(io.StringIO(client.get("/api/v1/lots/?format=csv").text)))
    # 10 shares bought at 5 (50) now worth 3 each (30): unrealized -20, a plain number
    assert [(row["symbol"], row["unrealized_gain"]) for row in lots] == [("'=EVIL", "-20")]
    # JSON is not a spreadsheet: it keeps the exact value
    as_json = client.get("/api/v1/transactions/?symbol==EVIL").json()["results"]
    assert [row["symbol"] for row in as_json] == ["=EVIL"]


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("-12.5", "-12.5"),
        ("-3", "-3"),
        ("-1+1", "'-1+1"),
        ("+15551234567", "'+15551234567"),
        ("@x", "'@x"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals sign
        ("Joint brokerage", "Joint brokerage"),
        ("", ""),
    ],
)
def test_neutralise(text, written):
    assert neutralise(text) == written
