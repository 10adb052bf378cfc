"""The hourly weekly-report job through the real broker (Redis in CI, the filesystem
transport locally) to a worker: a member whose queuing fails is queued again by a retry,
the others go out at once, and each member gets one e-mail."""

import time
from datetime import date

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from kombu.exceptions import OperationalError as BrokerUnavailable

from alerts import tasks
from alerts.models import AlertRule
from alerts.services.weekly_reports import income_report_deliveries_prepare
from config.celery import app
from portfolios.models import Membership
from reporting.models import WeeklyReportDelivery

pytestmark = [pytest.mark.tasks, pytest.mark.broker]
WEEK = date(2026, 11, 22)


@pytest.fixture
def real_broker():
    """Switch eager mode off for this test so .delay() goes through the broker."""
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


@pytest.fixture
def deliveries(cast):
    """Alice and Carol want the weekly report; Victor does not. Alert e-mails are off, so
    the only e-mails are the reports."""
    AlertRule.objects.filter(household=cast.household_a).update(notify_email=False)
    for user, address in ((cast.owner, "alice@example.com"), (cast.member, "carol@example.com")):
        user.email = address
        user.save(update_fields=["email"])
    Membership.objects.filter(user=cast.viewer).update(weekly_report=False)
    prepared = income_report_deliveries_prepare(week_ending=WEEK)
    return {d.membership.user.username: d.pk for d in prepared}


@pytest.mark.django_db(transaction=True)
def test_a_member_whose_queuing_fails_is_queued_by_a_retry_and_the_other_is_not_held_up(
    deliveries, real_broker, monkeypatch
):
    # given the broker refuses the first message for Alice's report (and only that one)
    real_publish = tasks.send_income_report_task.apply_async
    refused = []

    def flaky_publish(args=None, kwargs=None, **options):
        if args and args[0] == deliveries["alice"] and not refused:
            refused.append(args[0])
            raise BrokerUnavailable("Error 111 connecting to the broker. Connection refused.")
        return real_publish(args=args, kwargs=kwargs, **options)

    monkeypatch.setattr(tasks.send_income_report_task, "apply_async", flaky_publish)
    monkeypatch.setattr(tasks, "QUEUE_RETRY_BACKOFF", 1)  # the retry waits at most 1 s
    assert sorted(deliveries) == ["alice", "carol"]
    # when the job runs on a worker
    with start_worker(real_broker, perform_ping_check=False, shutdown_timeout=30, pool="solo"):
        tasks.send_income_reports_task.delay(delivery_ids=sorted(deliveries.values()))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(mail.outbox) < 2:
            time.sleep(0.25)
        # and, once both are out, the same job again
        tasks.send_income_reports_task.delay(delivery_ids=sorted(deliveries.values()))
        time.sleep(2)
    # then Alice's queuing failed once, and each member got exactly one e-mail
    assert refused == [deliveries["alice"]]
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("alice@example.com", "Hearth weekly income: $0.00 received, week ending Nov 22"),
        ("carol@example.com", "Hearth weekly income: $0.00 received, week ending Nov 22"),
    ]
    rows = WeeklyReportDelivery.objects.order_by("membership__user__username")
    assert [(r.membership.user.username, r.attempts, r.sent_at is not None) for r in rows] == [
        ("alice", 1, True),
        ("carol", 1, True),
    ]
