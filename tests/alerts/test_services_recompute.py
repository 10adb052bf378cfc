"""The recompute pipeline: outbox marks, the chain in the top layer, the sweep, the task.

A write records a pending recompute in its own transaction and enqueues the task on commit;
the task runs ledger → valuations → projections → alerts and clears the mark only if no
newer mark came; a broker that is down never fails the write; the sweep sends what was left.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery import current_app
from django.utils import timezone

import alerts.services.derived as chain
from alerts.models import AlertRule
from alerts.services.recompute import household_recompute, pending_recompute_run
from alerts.tasks import recompute_household_task
from portfolios.models import LotRelief, PendingRecompute, TaxLot
from portfolios.services.recompute import (
    ledger_mark_changed,
    recompute_mark_pending,
    recompute_pending_sweep,
)
from reporting.models import ValuationSeries
from reporting.selectors.series import series_get
from tests.conftest import client_for
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit, sell

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def taxable(cast):
    return AccountFactory(household=cast.household_a, name="Taxable")


@pytest.fixture
def vti():
    return SecurityFactory(symbol="VTI")


def derived_rows(household) -> dict:
    """Every derived row a recompute writes, in comparable form."""
    return {
        "lots": sorted(
            TaxLot.objects.filter(household=household).values_list(
                "lot_key", "account_id", "quantity", "cost_basis"
            )
        ),
        "reliefs": sorted(
            LotRelief.objects.filter(household=household).values_list(
                "lot_key", "sale_transaction_id", "quantity", "proceeds", "cost_basis", "gain"
            )
        ),
        "valuations": sorted(
            (row.scope, row.scope_key, row.start_date, row.end_date, bytes(row.values))
            for row in ValuationSeries.objects.filter(household=household)
        ),
    }


def test_a_write_marks_the_household_in_its_own_transaction(cast, taxable, vti):
    # given a buy of 10 on 2024-03-01 and a later mark from an earlier day
    buy(taxable, "2024-03-01", vti, 10, 1000)
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 3, 1))
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 1, 15))
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 6, 1))
    # then one pending row owes the recompute from the earliest day, bumped once per mark
    pending = PendingRecompute.objects.get()
    assert (pending.household, pending.from_date, pending.version) == (
        cast.household_a,
        date(2024, 1, 15),
        3,
    )


def test_the_task_runs_the_chain_and_clears_the_mark(cast, taxable, vti):
    # given a deposit of 5,000, a buy of 10 for 1,000 and a sale of 4 for 480, marked
    deposit(taxable, "2024-01-02", 5000)
    buy(taxable, "2024-01-03", vti, 10, 1000)
    sell(taxable, "2024-02-01", vti, 4, 480)
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 1, 2))
    # when the worker runs the task
    summary = recompute_household_task.delay(cast.household_a.pk).get()
    # then every step ran, in order, ending with the alert rules
    assert list(summary["seconds"]) == ["ledger", "valuations", "projections", "alerts"]
    # and FIFO left 6 shares costing 1,000 x 6/10 = 600; the sale relieved 400 for 480
    assert list(TaxLot.objects.values_list("quantity", "cost_basis")) == [(D(6), D(600))]
    assert list(LotRelief.objects.values_list("proceeds", "gain")) == [(D(480), D(80))]
    assert ValuationSeries.objects.filter(household=cast.household_a).exists()
    # and nothing is owed any more: a second delivery does nothing
    assert not PendingRecompute.objects.exists()
    again = recompute_household_task.delay(cast.household_a.pk).get()
    assert again == {"household": cast.household_a.pk, "skipped": "nothing pending"}


def test_a_mark_made_during_the_run_is_kept(cast, taxable, vti, monkeypatch):
    # given a marked buy, and a second write that lands while the chain runs
    buy(taxable, "2024-01-03", vti, 10, 1000)
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 1, 3))
    real_rebuild = chain.projections_rebuild

    landed = []

    def rebuild_while_a_write_lands(*, household):
        if not landed:  # once: the alerts' freshness check may rebuild again
            landed.append(buy(taxable, "2024-05-02", vti, 1, 110))
            ledger_mark_changed(household=household, from_date=date(2024, 5, 2))
        return real_rebuild(household=household)

    monkeypatch.setattr(chain, "projections_rebuild", rebuild_while_a_write_lands)
    # when the task finishes
    summary = pending_recompute_run(household_id=cast.household_a.pk)
    # then the newer mark survives for the task it enqueued (version 2, from 2024-05-02)
    assert summary["cleared"] is False
    pending = PendingRecompute.objects.get()
    assert (pending.version, pending.from_date) == (2, date(2024, 1, 3))
    # and that task picks up the new buy: 10 + 1 = 11 shares
    monkeypatch.setattr(chain, "projections_rebuild", real_rebuild)
    assert pending_recompute_run(household_id=cast.household_a.pk)["cleared"] is True
    assert sum(TaxLot.objects.values_list("quantity", flat=True)) == D(11)


def test_a_run_that_dies_half_way_leaves_the_mark_and_a_rerun_equals_a_clean_run(
    cast, taxable, vti, monkeypatch
):
    # given a history recomputed once, then a sale, marked
    deposit(taxable, "2024-01-02", 5000)
    buy(taxable, "2024-01-03", vti, 10, 1000)
    household_recompute(household=cast.household_a, full=True)
    sell(taxable, "2024-02-01", vti, 4, 480)
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 2, 1))

    # when the worker dies after the ledger and valuations, before projections
    def killed(*, household):
        raise SystemExit("worker killed")

    monkeypatch.setattr(chain, "projections_rebuild", killed)
    with pytest.raises(SystemExit):
        pending_recompute_run(household_id=cast.household_a.pk)
    # then the mark is still owed
    assert PendingRecompute.objects.filter(household=cast.household_a).exists()

    # when the task runs again (redelivered: acks_late) to the end
    monkeypatch.undo()
    pending_recompute_run(household_id=cast.household_a.pk)
    after_rerun = derived_rows(cast.household_a)
    # then the rows equal a clean full run's
    household_recompute(household=cast.household_a, full=True)
    assert derived_rows(cast.household_a) == after_rerun
    assert not PendingRecompute.objects.exists()


def test_the_task_is_acknowledged_late_and_redelivered_if_its_worker_dies():
    assert recompute_household_task.acks_late is True
    assert recompute_household_task.reject_on_worker_lost is True
    # and its retries wait far less than the broker's visibility timeout
    visibility = current_app.conf.broker_transport_options.get("visibility_timeout", 3600)
    assert recompute_household_task.retry_backoff_max < visibility


def test_nothing_changed_costs_almost_nothing(cast, taxable, vti):
    # given a recomputed household and no change since
    buy(taxable, "2024-01-03", vti, 10, 1000)
    household_recompute(household=cast.household_a, full=True)
    # when the command runs again without a pending mark
    summary = pending_recompute_run(household_id=cast.household_a.pk, when_none_pending=True)
    # then the ledger replays nothing, the series already reaching today stands, and the
    # rules, whose inputs did not move, are not evaluated again
    assert summary["ledger"]["replayed"] == 0
    assert summary["ledger"]["changed_from"] is None
    assert summary["valuations"] == {"skipped": "current"}
    assert summary["alerts"] == {"skipped": "nothing the rules read has changed"}


def test_the_rules_run_again_when_a_rule_or_the_day_changes(cast, taxable, vti):
    household = cast.household_a
    buy(taxable, "2024-01-03", vti, 10, 1000)
    household_recompute(household=household, full=True)
    # a rule changed since: its inputs moved, so the rules run
    rule = AlertRule.objects.filter(household=household).first()
    rule.enabled = not rule.enabled
    rule.save()
    summary = pending_recompute_run(household_id=household.pk, when_none_pending=True)
    assert "opened" in summary["alerts"]
    # nothing since: skipped; the next day (stale prices count sessions): run again
    summary = pending_recompute_run(household_id=household.pk, when_none_pending=True)
    assert "skipped" in summary["alerts"]
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        summary = pending_recompute_run(household_id=household.pk, when_none_pending=True)
    assert "opened" in summary["alerts"]


@pytest.fixture
def broker_down(settings):
    """Point the app at a closed port with eager mode off, as in production with Redis
    down; put both back afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends
    conf = current_app.conf
    saved = (conf.broker_url, conf.task_always_eager)
    conf.broker_url = f"redis://127.0.0.1:{port}/0"
    conf.task_always_eager = False
    _fresh_connections()
    yield port
    conf.broker_url, conf.task_always_eager = saved
    _fresh_connections()


def _fresh_connections() -> None:
    """Forget the app's pools, so the next publish takes kombu's pool for the current URL
    (kombu keeps one per URL; none is closed, the other tests' pool stays usable)."""
    current_app._pool = None
    current_app.amqp._producer_pool = None


def test_a_post_while_the_broker_is_down_answers_201_and_the_recompute_waits(
    cast, broker_down, django_capture_on_commit_callbacks
):
    # given an account with cash, and Redis not answering
    AccountFactory(household=cast.household_a, name="Joint")
    client = client_for(cast.owner)
    # when a transaction is posted
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/transactions/",
            {"date": "2024-03-01", "account": "Joint", "type": "DEPOSIT", "amount": "500"},
            format="json",
        )
    # then the client gets its 201 quickly, and the recompute is owed in the database
    assert response.status_code == 201, response.content
    assert time.monotonic() - started < 10
    pending = PendingRecompute.objects.get()
    assert (pending.from_date, pending.enqueued_at) == (date(2024, 3, 1), None)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_the_sweep_sends_what_the_broker_missed_once_it_is_back(
    cast, taxable, vti, broker_down, django_capture_on_commit_callbacks, tmp_path
):
    # given a write committed while Redis was down
    buy(taxable, "2024-01-03", vti, 10, 1000)
    with django_capture_on_commit_callbacks(execute=True):
        ledger_mark_changed(household=cast.household_a, from_date=date(2024, 1, 3))
    assert PendingRecompute.objects.get().enqueued_at is None
    # when Redis comes back on that port and the sweep runs past the grace period
    server = subprocess.Popen(
        ["redis-server", "--port", str(broker_down), "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(broker_down)
        sent = recompute_pending_sweep(now=timezone.now() + timedelta(minutes=5))
        # then the household's task is on the queue, once
        assert sent == [cast.household_a.pk]
        queued = subprocess.run(
            ["redis-cli", "-p", str(broker_down), "lrange", "celery", "0", "-1"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert queued.count("alerts.tasks.recompute_household_task") == 1
    finally:
        server.terminate()
        server.wait(timeout=10)
    # and when the worker runs it, the lots are there and nothing is owed
    pending_recompute_run(household_id=cast.household_a.pk)
    assert list(TaxLot.objects.values_list("quantity", flat=True)) == [D(10)]
    assert not PendingRecompute.objects.exists()


def test_the_sweep_leaves_fresh_marks_and_failures_alone(cast, taxable, vti):
    # given a mark just made, and in Bravo a failure on bad data with no change since
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 1, 3))
    ledger_mark_changed(household=cast.household_b, from_date=date(2024, 1, 3))
    PendingRecompute.objects.filter(household=cast.household_b).update(
        failed_version=1, marked_at=timezone.now() - timedelta(hours=1)
    )
    # when the sweep runs now, then neither is sent
    assert recompute_pending_sweep() == []


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"redis-server did not start on {port}")


def test_the_command_runs_what_is_owed_and_skips_the_system_checks(cast, taxable, vti):
    from io import StringIO

    from django.core.management import call_command

    from alerts.management.commands.recompute import Command

    # given a marked buy of 10 for 1,000
    buy(taxable, "2024-01-03", vti, 10, 1000)
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 1, 3))
    # when the command runs for Alpha
    out = StringIO()
    call_command("recompute", "--household", "Alpha", stdout=out)
    # then the lot exists, nothing is owed, and the command did not run Django's checks
    assert out.getvalue().startswith("Alpha: 1 transactions, 1 open lots, 0 reliefs in ")
    assert list(TaxLot.objects.values_list("quantity", "cost_basis")) == [(D(10), D(1000))]
    assert not PendingRecompute.objects.exists()
    assert Command.requires_system_checks == []


def test_the_command_finds_a_row_written_without_a_mark(cast, taxable, vti):
    # given a recomputed buy of 10, then a buy of 5 written straight to the table (no mark)
    buy(taxable, "2024-01-03", vti, 10, 1000)
    household_recompute(household=cast.household_a, full=True)
    buy(taxable, "2024-03-04", vti, 5, 600)
    assert not PendingRecompute.objects.exists()
    # when the command runs with nothing owed
    summary = pending_recompute_run(household_id=cast.household_a.pk, when_none_pending=True)
    # then the ledger saw the table change and replayed VTI: 10 + 5 = 15 shares, from 2024
    assert summary["ledger"]["changed_from"] == "2024-01-01"
    assert sum(TaxLot.objects.values_list("quantity", flat=True)) == D(15)


def test_a_change_dated_today_is_valued_not_skipped(cast, taxable, vti):
    household = cast.household_a
    deposit(taxable, "2024-01-02", 5000)
    buy(taxable, "2024-01-03", vti, 10, 1000)
    close(vti, "2024-01-03", 100)
    household_recompute(household=household, full=True)
    before = ValuationSeries.objects.get(household=household, scope="household")
    # 5,000 deposited − 1,000 paid + 10 × 100 = 5,000; then 700 more, dated today
    today = timezone.localdate(timezone=ZoneInfo(household.time_zone or "UTC"))
    deposit(taxable, today.isoformat(), 700)
    recompute_mark_pending(household=household, from_date=today)
    summary = pending_recompute_run(household_id=household.pk)
    assert "skipped" not in summary["valuations"]
    stored = series_get(household=household, scope="household")
    assert before.end_date == stored.end == today
    assert int(stored.series.money["value"][-1]) == 5700 * 10_000  # ten-thousandths
