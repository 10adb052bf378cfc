"""Recomputes of one household never overlap (PostgreSQL advisory lock, issue 13's chain).

Real threads on real connections: a second run waits for the first, then reads what is
still owed; two runs at once leave the rows of one run. SQLite serialises writers itself
(the lock is a no-op there), so these run on PostgreSQL only (CI's DATABASE_URL).
"""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import psycopg
import pytest
from django.db import connection, connections

import alerts.services.recompute as recompute_module
import portfolios.services.recompute as outbox
from alerts.services.locks import LOCK_NAMESPACE
from alerts.services.recompute import household_recompute, pending_recompute_run
from portfolios.models import LotRelief, PendingRecompute, TaxLot
from portfolios.services.recompute import recompute_mark_pending
from reporting.models import ValuationSeries
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit, sell

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the recompute lock is PostgreSQL's (SQLite serialises writers)")


@pytest.fixture
def history(cast):
    """Deposit 5,000; buy 10 VTI for 1,000 on 2024-01-03; sell 4 for 480 on 2024-02-01;
    closes of 100 and 120."""
    taxable = AccountFactory(household=cast.household_a, name="Taxable")
    vti = SecurityFactory(symbol="VTI")
    deposit(taxable, "2024-01-02", 5000)
    buy(taxable, "2024-01-03", vti, 10, 1000)
    sell(taxable, "2024-02-01", vti, 4, 480)
    close(vti, "2024-01-03", 100)
    close(vti, "2024-02-01", 120)
    return cast.household_a, vti


def derived_rows(household) -> dict:
    return {
        "lots": sorted(
            TaxLot.objects.filter(household=household).values_list(
                "lot_key", "account_id", "quantity", "cost_basis"
            )
        ),
        "reliefs": sorted(
            LotRelief.objects.filter(household=household).values_list(
                "lot_key", "quantity", "proceeds", "cost_basis", "gain"
            )
        ),
        "valuations": sorted(
            (
                row.scope,
                row.scope_key,
                row.start_date,
                row.end_date,
                bytes(row.values),
                bytes(row.history or b""),
            )
            for row in ValuationSeries.objects.filter(household=household)
        ),
    }


def in_thread(target, *args, **kwargs) -> tuple[threading.Thread, dict]:
    """Start target in a thread with its own database connection; return it and a dict
    that gets its 'result' or 'error'."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = target(*args, **kwargs)
        except BaseException as exc:  # reported to the test
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def waiting_for_the_lock(household_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND classid = %s AND objid = %s",
            [LOCK_NAMESPACE, household_id],
        )
        return cursor.fetchone()[0] > 0


def wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_two_concurrent_recomputes_never_overlap_and_leave_the_rows_of_one(history, monkeypatch):
    # given the history, its rows from one clean full run
    household, _ = history
    household_recompute(household=household, full=True)
    one_run = derived_rows(household)
    # when two full recomputes start at once, each step slowed to widen any overlap
    spans: list[tuple[float, float]] = []
    real_rebuild = recompute_module.derived_rebuild

    def slow_rebuild(**kwargs):
        started = time.monotonic()
        time.sleep(0.3)
        result = real_rebuild(**kwargs)
        spans.append((started, time.monotonic()))
        return result

    monkeypatch.setattr(recompute_module, "derived_rebuild", slow_rebuild)
    runs = [in_thread(household_recompute, household=household, full=True) for _ in range(2)]
    for thread, _ in runs:
        thread.join(60)
    assert [sorted(outcome) for _, outcome in runs] == [["result"], ["result"]]
    # then the second started after the first had finished
    (first_start, first_end), (second_start, _) = sorted(spans)
    assert second_start >= first_end > first_start
    # and the rows are those of one run: 6 shares left costing 600, the sale's gain 80
    assert derived_rows(household) == one_run
    assert list(TaxLot.objects.values_list("quantity", "cost_basis")) == [
        (Decimal(6), Decimal(600))
    ]
    assert list(LotRelief.objects.values_list("gain", flat=True)) == [Decimal(80)]


def test_a_run_that_waited_for_another_reads_what_is_owed_after_the_wait(history, monkeypatch):
    """The flake of tests/reliability/test_redis_restart.py, step by step.

    Run B holds the lock; run A (a second delivery, the sweep's) waits. B clears the mark
    and finishes. A refresh then writes a close and marks the household again: the row is
    created afresh, version 1 again. A run that read the pending row before waiting (version
    1, the old mark) went on, and its clear at the end deleted the new mark it never saw:
    the close was never valued, and the task of that mark found nothing owed.
    """
    household, vti = history
    household_recompute(household=household, full=True)
    enqueued: list[int] = []
    monkeypatch.setattr(outbox, "recompute_enqueue", lambda **kw: enqueued.append(kw))
    recompute_mark_pending(household=household, from_date=date(2024, 1, 3))  # version 1
    # given run B holding the household's lock (its own connection)
    other = connection.get_connection_params()
    other.pop("cursor_factory", None)
    holder = psycopg.connect(**other, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, household.pk])
    # and a new close written (and marked) after run A has read the prices, once
    real_rebuild = recompute_module.derived_rebuild
    landed: list[bool] = []

    def rebuild_then_a_refresh_lands(**kwargs):
        result = real_rebuild(**kwargs)
        if not landed:
            landed.append(True)
            close(vti, "2024-03-01", 150)
            recompute_mark_pending(household=household, from_date=date(2024, 3, 1))
        return result

    monkeypatch.setattr(recompute_module, "derived_rebuild", rebuild_then_a_refresh_lands)
    # when run A starts and waits for B
    thread, outcome = in_thread(pending_recompute_run, household_id=household.pk)
    wait_until(lambda: waiting_for_the_lock(household.pk))
    # and B clears the mark it ran for and lets go
    PendingRecompute.objects.filter(household=household, version=1).delete()
    holder.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, household.pk])
    holder.close()
    thread.join(60)
    assert "error" not in outcome, outcome
    # and every task enqueued since runs (as the worker would)
    for _ in range(3):
        pending_recompute_run(household_id=household.pk)
    settled = derived_rows(household)
    # then nothing is owed, and the rows are a clean full run's over the same data
    assert not PendingRecompute.objects.exists()
    household_recompute(household=household, full=True)
    assert settled == derived_rows(household)
    # and run A, having waited, found nothing owed (B had done it)
    assert outcome["result"] == {"household": household.pk, "skipped": "nothing pending"}
