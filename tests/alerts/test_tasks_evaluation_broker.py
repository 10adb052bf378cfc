"""Two evaluations of one household through the real broker (Redis in CI, the filesystem
transport locally) to a worker: one episode, one e-mail."""

import time
from datetime import date
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection

from alerts.models import AlertEpisode, AlertNotification, AlertRule
from alerts.tasks import evaluate_alerts_task
from config.celery import app
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit

pytestmark = [pytest.mark.tasks, pytest.mark.broker]


@pytest.fixture
def real_broker():
    """Switch eager mode off for this test so .delay() goes through the broker."""
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_evaluations_on_a_worker_send_one_email(cast, real_broker):
    # given XYZ at 20 × 100 = 2,000 of a 10,000 household: above the 10% policy limit
    cast.owner.email = "alice@example.com"
    cast.owner.save(update_fields=["email"])
    household = cast.household_a
    AlertRule.objects.filter(household=household).exclude(kind="position_weight").update(
        enabled=False
    )
    xyz = SecurityFactory(symbol="XYZ", kind="stock")
    joint = AccountFactory(household=household, name="Joint")
    deposit(joint, "2026-01-05", 10000)
    buy(joint, "2026-01-05", xyz, 20, 2000)
    close(xyz, "2026-01-05", 100)
    close(xyz, date.today().isoformat(), 100)
    # two worker threads on PostgreSQL, so both evaluations run at once; SQLite has one
    # writer, so locally they take turns
    concurrent = connection.vendor == "postgresql"
    options = {"pool": "threads", "concurrency": 2} if concurrent else {"pool": "solo"}
    with start_worker(real_broker, perform_ping_check=False, shutdown_timeout=30, **options):
        evaluate_alerts_task.delay(household.pk)
        evaluate_alerts_task.delay(household.pk)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            # both ran: the second one saw the episode again (its last_seen_at moved)
            episode = AlertEpisode.objects.first()
            sent = AlertNotification.objects.filter(outcome="sent").exists()
            if sent and episode and episode.last_seen_at > episode.opened_at:
                time.sleep(1)  # the second one's digest step, which finds nothing to send
                break
            time.sleep(0.25)
    assert AlertEpisode.objects.count() == 1
    assert AlertEpisode.objects.get().message == (
        "XYZ is 20.0% of the household ($2,000.00), above the 10% limit"
    )
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert AlertEpisode.objects.get().value == Decimal("0.2")
