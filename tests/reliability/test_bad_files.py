"""The bad-input corpus: every file refused whole, each refusal pointing at the problem.

Each file of ``bad_files/`` (made by ``bad_files/make_corpus.py``; ``MANIFEST.csv`` says how
each is imported and what its refusal must name) goes through the real interfaces:

- transactions files through ``manage.py import_transactions`` and the browser upload page,
- closes and dividends through ``manage.py import_prices`` / ``import_dividends``;

and for each: no server error (the page answers, the command exits with its message), no
partial import (not one row of any table written), the refusal names the line (or, for a
file with no line to name, the file-level reason), and the time and memory stay bounded.
Then hypothesis writes Hearth CSV rows of its own from hostile values.
"""

from __future__ import annotations

import csv
import re
import time
import tracemalloc
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolios.models import Transaction
from portfolios.services.imports.transactions import transactions_import
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(600)]

CORPUS = Path(__file__).with_name("bad_files")
SECONDS_PER_FILE = 30  # generous: the 2-core machine is shared
PEAK_MEMORY_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class BadFile:
    file: str
    kind: str
    format: str
    account: str
    held: str
    expect: str
    what: str

    @property
    def path(self) -> Path:
        return CORPUS / self.file


def _corpus() -> list[BadFile]:
    with (CORPUS / "MANIFEST.csv").open(newline="") as handle:
        return [BadFile(**row) for row in csv.DictReader(handle)]


def _params():
    for bad in _corpus():
        yield pytest.param(bad, id=bad.file)


HEARTH_APPS = {"portfolios", "income", "alerts", "reporting"}
# The record of a refused import (status "rejected", its errors) is kept on purpose.
BOOKKEEPING = {"portfolios.ImportBatch", "portfolios.AuditEvent"}


def _row_counts() -> dict[str, int]:
    """Return the row count of every table Hearth writes to (a partial import shows here)."""
    counts = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label in HEARTH_APPS and not meta.proxy and meta.label not in BOOKKEEPING:
            counts[meta.label] = model._default_manager.count()
    return counts


@pytest.fixture
def household(cast):
    """Household Alpha's taxable account and Roth IRA, both empty; VTI a known security."""
    SecurityFactory(symbol="VTI")
    return {
        "Taxable": AccountFactory(household=cast.household_a, name="Taxable"),
        "Roth IRA": AccountFactory(
            household=cast.household_a, name="Roth IRA", type="roth_ira", institution="Schwab"
        ),
    }


def _hold(household, bad: BadFile) -> None:
    if not bad.held:
        return
    symbol, quantity = bad.held.split(":")
    TransactionFactory(
        account=household[bad.account],
        trade_date="2023-01-03",
        type=Transaction.Type.BUY,
        security=SecurityFactory(symbol=symbol),
        quantity=Decimal(quantity),
        price=Decimal(100),
        amount=Decimal(quantity) * 100,
    )


def _through_command(bad: BadFile) -> str:
    """Import through the command; return its refusal (it must refuse)."""
    if bad.kind == "transactions":
        args = ["import_transactions", str(bad.path), "--household", "Alpha"]
        args += ["--format", bad.format] if bad.format else []
        args += ["--account", bad.account] if bad.account else []
    else:
        args = [f"import_{bad.kind}", str(bad.path)]
    with pytest.raises(CommandError) as refused:
        call_command(*args, stdout=StringIO(), stderr=StringIO())
    return str(refused.value)


def _through_upload_page(client: Client, bad: BadFile) -> tuple[int, bytes]:
    with bad.path.open("rb") as handle:
        response = client.post(
            "/portfolio/imports/",
            {"file": handle, "format": bad.format, "account": bad.account},
        )
    return response.status_code, response.content


@pytest.mark.parametrize("bad", _params())
def test_bad_file_is_refused_whole_naming_the_problem(household, cast, bad, reliability):
    # given the household, holding what the file's good rows need
    _hold(household, bad)
    before = _row_counts()
    browser = Client(raise_request_exception=False)
    browser.force_login(cast.owner)
    # when the file goes through the command (and, for transactions, the upload page)
    tracemalloc.start()
    started = time.monotonic()
    server_error = accepted = False
    try:
        try:
            message = _through_command(bad)
        except pytest.fail.Exception:
            accepted = True
            raise
        if bad.kind == "transactions":
            status, page = _through_upload_page(browser, bad)
            server_error = status >= 500
    except Exception:
        server_error = True
        raise
    finally:
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        after = _row_counts()
        reliability.bad_file(
            partial=after != before and not accepted, server_error=server_error, accepted=accepted
        )
    # then nothing of it was stored, anywhere
    assert {k: (before[k], after[k]) for k in before if before[k] != after[k]} == {}
    # and the refusal names the line (or the file-level reason), on the page too
    assert re.search(bad.expect, message, re.S), message[:2000]
    if bad.kind == "transactions":
        assert status == 200, status
        assert (
            b"nothing was imported" in page.lower()
            or b"rejected" in page.lower()
            or (b"error" in page.lower())
        )
    # and it took bounded time and memory
    assert elapsed < SECONDS_PER_FILE, f"{elapsed:.1f} s"
    assert peak < PEAK_MEMORY_BYTES, f"{peak / 2**20:.0f} MiB"


def test_a_file_over_the_upload_limit_is_refused_by_the_page(household, cast, reliability):
    # given a Hearth CSV of 20 MB and one byte: good rows, all of them
    from portfolios.imports import MAX_FILE_BYTES

    row = b"2024-01-03,Taxable,DEPOSIT,,,,100,,dNNNNNNN,padding padding padding padding\n"
    body = b"date,account,type,symbol,quantity,price,amount,fees,id,memo\n"
    body += row * (MAX_FILE_BYTES // len(row) + 1)
    assert len(body) > MAX_FILE_BYTES
    before = _row_counts()
    browser = Client(raise_request_exception=False)
    browser.force_login(cast.owner)
    # when uploaded
    from django.core.files.uploadedfile import SimpleUploadedFile

    started = time.monotonic()
    response = browser.post(
        "/portfolio/imports/", {"file": SimpleUploadedFile("big.csv", body), "format": ""}
    )
    elapsed = time.monotonic() - started
    after = _row_counts()
    reliability.bad_file(partial=after != before, server_error=response.status_code >= 500)
    # then refused, saying why, nothing stored, quickly
    assert response.status_code == 200
    assert b"too big" in response.content
    assert after == before
    assert elapsed < SECONDS_PER_FILE


def test_the_corpus_covers_every_import_format():
    # given the manifest / then at least 40 files, every kind and format among them
    corpus = _corpus()
    assert len(corpus) >= 40
    formats = {bad.format or bad.path.suffix for bad in corpus if bad.kind == "transactions"}
    assert formats >= {".csv", ".ofx", ".qfx", "fidelity", "schwab", "vanguard", "ibkr"}
    assert {bad.kind for bad in corpus} == {"transactions", "prices", "dividends"}


# --- Fuzzed rows -----------------------------------------------------------------------------

HOSTILE_NUMBERS = st.sampled_from(
    ["", "0", "-1", "NaN", "nan", "Infinity", "-inf", "1e400", "1e-400", "1,234.5.6",
     "1_000", "0x10", "١٢٣", "12 345", "(5)", "5-", "$-", "9" * 40, "1e9999999999", " "]
)  # fmt: skip
HOSTILE_DATES = st.sampled_from(
    ["2025-02-30", "2024-13-01", "0000-01-01", "9999-12-31", "2099-01-01", "24-01-02",
     "2024/01/02", "", "2024-01-02T00:00", "２０２４-01-02"]
)  # fmt: skip
TYPES = st.sampled_from(
    ["BUY", "SELL", "DIVIDEND", "SPLIT", "TRANSFER", "DEPOSIT", "FEE", "buy", "BUYX", ""]
)
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


@st.composite
def hostile_row(draw) -> list[str]:
    """One Hearth CSV row with at least one hostile value."""
    row = [
        draw(HOSTILE_DATES),
        draw(st.sampled_from(["Taxable", "Nowhere", "", "taxable "])),
        draw(TYPES),
        draw(st.one_of(st.sampled_from(["VTI", "", "X" * 40]), TEXT)),
        draw(HOSTILE_NUMBERS),
        draw(HOSTILE_NUMBERS),
        draw(HOSTILE_NUMBERS),
        draw(HOSTILE_NUMBERS),
        draw(st.one_of(st.just(""), TEXT)),
        draw(TEXT),
    ]
    return row


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(hostile_row(), min_size=1, max_size=5), good_first=st.booleans())
def test_fuzzed_rows_are_refused_whole_or_stored_whole(
    household, cast, reliability, rows, good_first
):
    # given a file of a good deposit (maybe) then hostile rows
    out = StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "account", "type", "symbol", "quantity", "price", "amount", "fees",
                     "id", "memo"])  # fmt: skip
    if good_first:
        writer.writerow(["2024-01-02", "Taxable", "DEPOSIT", "", "", "", "100", "", "", ""])
    writer.writerows(rows)
    content = out.getvalue().encode()
    with transaction.atomic():
        before = Transaction.objects.count()
        # when imported
        started = time.monotonic()
        server_error = False
        try:
            result = transactions_import(
                household=cast.household_a, content=content, filename="fuzz.csv"
            )
        except Exception:
            server_error = True
            reliability.bad_file(partial=False, server_error=True)
            raise
        added = Transaction.objects.count() - before
        partial = (not result.ok and added != 0) or (result.ok and added != result.added)
        reliability.bad_file(partial=partial, server_error=server_error)
        # then all or nothing, and every refusal names its line
        assert not partial, (result.errors, added)
        if not result.ok:
            assert result.errors
            for error in result.errors:
                assert re.match(r"line \d+\b", error) or "file" in error, error
        assert time.monotonic() - started < SECONDS_PER_FILE
        transaction.set_rollback(True)
