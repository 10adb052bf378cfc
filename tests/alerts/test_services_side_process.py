"""A full recompute values the household in a second process beside the ledger
(``alerts.services.side_process``, PostgreSQL only): the rows one process would write, and
none at all when the ledger fails. And a large ledger write checks its foreign keys at once.

Real processes and connections, so these run on PostgreSQL (CI's DATABASE_URL) outside a
test transaction.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal as D

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import alerts.services.derived as derived_module
import portfolios.services.ledger as ledger_module
import reporting.services.valuations as valuations_module
from alerts.services.derived import derived_rebuild
from income.models import ReceivedIncomeMonth
from portfolios.models import LotRelief, TaxLot, Transaction
from portfolios.services.ledger import LedgerRebuildError, ledger_rebuild
from reporting.calculations.daily_series import decode_series
from reporting.models import ValuationCheckpoint, ValuationSeries
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory
from tests.portfolios.ledger_builders import buy, close, deposit, sell

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the second process and the key checks are PostgreSQL's")


@pytest.fixture
def history(cast):
    """Deposit 5,000 on 2024-01-02; buy 10 VTI for 1,000 on 2024-01-03; a dividend of 12 on
    2024-01-15; sell 4 for 480 on 2024-02-01; closes of 100 and 120."""
    taxable = AccountFactory(household=cast.household_a, name="Taxable")
    vti = SecurityFactory(symbol="VTI")
    deposit(taxable, "2024-01-02", 5000)
    buy(taxable, "2024-01-03", vti, 10, 1000)
    TransactionFactory(
        account=taxable,
        trade_date=date(2024, 1, 15),
        type=Transaction.Type.DIVIDEND,
        security=vti,
        amount=D("12"),
    )
    sell(taxable, "2024-02-01", vti, 4, 480)
    close(vti, "2024-01-03", 100)
    close(vti, "2024-02-01", 120)
    return cast.household_a, taxable, vti


def derived_rows(household) -> dict:
    """The valuation series, checkpoint and received income months, as stored."""
    return {
        "series": sorted(
            (row.scope, row.scope_key, row.start_date, bytes(row.values), bytes(row.history))
            for row in ValuationSeries.objects.filter(household=household)
        ),
        "checkpoint": [
            (row.day, bytes(row.state))
            for row in ValuationCheckpoint.objects.filter(household=household)
        ],
        "received": sorted(
            ReceivedIncomeMonth.objects.filter(household=household).values_list(
                "month", "account_id", "source", "amount", "payments"
            )
        ),
    }


def full_rebuild_in_one_process(household, monkeypatch) -> None:
    """``recompute --full`` as without a side process."""
    with monkeypatch.context() as alone:
        alone.setattr(derived_module, "side_process_possible", lambda: False)
        derived_rebuild(household=household, full=True)


def forks_counted(monkeypatch) -> list[int]:
    """Let the chain fork, and count the side processes it starts."""
    started: list[int] = []
    real = derived_module.SideProcess

    def counted(work):
        side = real(work)
        started.append(side.pid)
        return side

    monkeypatch.setattr(derived_module, "SideProcess", counted)
    return started


def test_a_full_recompute_values_in_a_second_process_the_rows_one_process_writes(
    history, monkeypatch
):
    # given the rows a full recompute writes in one process
    household, _, _ = history
    full_rebuild_in_one_process(household, monkeypatch)
    one_process = derived_rows(household)
    ValuationSeries.objects.filter(household=household).delete()
    ReceivedIncomeMonth.objects.filter(household=household).delete()
    # when it runs again with a second process
    started = forks_counted(monkeypatch)
    summary = derived_rebuild(household=household, full=True)
    # then one side process wrote the series, and the rows are the ones one process wrote
    assert len(started) == 1
    assert derived_rows(household) == one_process
    assert summary["valuations"]["scopes"] == 2  # the household and its one account
    assert summary["received_income"] == {"months": 1}
    # 6 shares at 120 and cash of 5,000 - 1,000 + 12 + 480 = 4,492: 5,212 on the last day
    row = ValuationSeries.objects.get(household=household, scope=ValuationSeries.Scope.HOUSEHOLD)
    series = decode_series(row.values, row.history, row.start_date)
    assert series.money["value"][-1] == 5212 * 10_000
    assert ReceivedIncomeMonth.objects.get(household=household).amount == D("12")


def test_a_marked_run_forks_and_one_without_a_mark_does_not(history, monkeypatch):
    household, taxable, vti = history
    started = forks_counted(monkeypatch)
    # a first run, marked from the first trade: nothing stored yet, so a second process
    derived_rebuild(household=household, from_date=date(2024, 1, 2))
    assert len(started) == 1
    # a trade after the stored checkpoint: the series goes on from it, in a second process
    buy(taxable, date.today().isoformat(), vti, 1, 120)
    derived_rebuild(household=household, from_date=date.today())
    assert len(started) == 2
    # no mark: the first day to value depends on the ledger, so in this process
    derived_rebuild(household=household)
    assert len(started) == 2


def test_a_new_trade_valued_in_a_second_process_gives_the_rows_of_a_full_rebuild(
    history, monkeypatch
):
    # given the stored rows, and a trade today: 1 VTI for 110 (its last close is 120)
    household, taxable, vti = history
    derived_rebuild(household=household, full=True)
    buy(taxable, date.today().isoformat(), vti, 1, 110)
    # when the chain runs from its day, valuing in a second process
    started = forks_counted(monkeypatch)
    summary = derived_rebuild(household=household, from_date=date.today())
    incremental = derived_rows(household)
    # then the series went on from the stored checkpoint, in the side process
    assert len(started) == 1
    assert summary["valuations"]["incremental"] is True
    # 7 shares at 120 and cash of 4,492 - 110 = 4,382: 5,222 on the last day (was 5,212)
    row = ValuationSeries.objects.get(household=household, scope=ValuationSeries.Scope.HOUSEHOLD)
    series = decode_series(row.values, row.history, row.start_date)
    assert series.money["value"][-1] == 5222 * 10_000
    # and the rows are those of a full rebuild in one process
    full_rebuild_in_one_process(household, monkeypatch)
    assert derived_rows(household) == incremental


def test_when_the_ledger_fails_the_second_process_writes_nothing(history, monkeypatch):
    # given the rows of a full recompute
    household, taxable, vti = history
    derived_rebuild(household=household, full=True)
    before = derived_rows(household)
    # when a sale of more shares than are held is added and a full recompute runs
    sell(taxable, "2024-03-01", vti, 100, 12_000)
    started = forks_counted(monkeypatch)
    with pytest.raises(LedgerRebuildError):
        derived_rebuild(household=household, full=True)
    # then the side process ran but the series (which would value that sale) stand
    assert len(started) == 1
    assert derived_rows(household) == before


def foreign_keys() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, convalidated, "
            "pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid IN ('portfolios_taxlot'::regclass, 'portfolios_lotrelief'::regclass) "
            "ORDER BY 1, 2"
        )
        return cursor.fetchall()


def lots_and_reliefs(household) -> tuple[list, list]:
    lots = TaxLot.objects.filter(household=household).values_list("quantity", "cost_basis")
    reliefs = LotRelief.objects.filter(household=household).values_list(
        "quantity", "proceeds", "cost_basis", "gain"
    )
    return list(lots), list(reliefs)


def test_a_large_ledger_write_checks_its_keys_at_once_and_leaves_them_as_they_were(
    history, monkeypatch
):
    household, _, _ = history
    keys = foreign_keys()
    assert len(keys) == 9  # lots: 4 keys, reliefs: 5
    monkeypatch.setattr(ledger_module, "BULK_CHECK_ROWS", 2)  # this history writes 2 rows
    with CaptureQueriesContext(connection) as queries:
        ledger_rebuild(household=household, full=True)
    statements = [query["sql"] for query in queries.captured_queries]
    assert sum("DROP CONSTRAINT" in sql for sql in statements) == 9
    assert sum("VALIDATE CONSTRAINT" in sql for sql in statements) == 9
    # the lot left: 6 shares costing 600; the relief: 4 sold for 480 at a basis of 400
    assert lots_and_reliefs(household) == (
        [(D("6"), D("600"))],
        [(D("4"), D("480"), D("400"), D("80"))],
    )
    assert foreign_keys() == keys


def test_keys_are_checked_row_by_row_when_a_table_is_busy(history, monkeypatch):
    household, _, _ = history
    keys = foreign_keys()
    monkeypatch.setattr(ledger_module, "BULK_CHECK_ROWS", 2)
    monkeypatch.setattr(ledger_module, "LOCK_WAIT", "100ms")
    # given another session reading the securities (its lock outlives the wait)
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params) as reader:
        reader.execute("LOCK TABLE portfolios_security IN ACCESS SHARE MODE")
        with CaptureQueriesContext(connection) as queries:
            ledger_rebuild(household=household, full=True)
        reader.rollback()
    statements = [query["sql"] for query in queries.captured_queries]
    assert not any("VALIDATE CONSTRAINT" in sql for sql in statements)
    assert lots_and_reliefs(household) == (
        [(D("6"), D("600"))],
        [(D("4"), D("480"), D("400"), D("80"))],
    )
    assert foreign_keys() == keys


def test_when_the_second_process_fails_the_steps_run_here_and_write_the_same_rows(
    history, monkeypatch, caplog
):
    # given the rows a full recompute writes in one process
    household, _, _ = history
    full_rebuild_in_one_process(household, monkeypatch)
    one_process = derived_rows(household)
    ValuationSeries.objects.filter(household=household).delete()
    # when the valuation fails in the side process only
    parent, real = os.getpid(), valuations_module.valuations_rebuild

    def fails_in_the_child(**kwargs):
        if os.getpid() != parent:
            raise RuntimeError("no memory left")
        return real(**kwargs)

    monkeypatch.setattr(valuations_module, "valuations_rebuild", fails_in_the_child)
    started = forks_counted(monkeypatch)
    summary = derived_rebuild(household=household, full=True)
    # then this process valued the household itself: the same rows, and the failure logged
    assert len(started) == 1
    assert derived_rows(household) == one_process
    assert summary["valuations"]["scopes"] == 2
    assert "no memory left" in caplog.text
