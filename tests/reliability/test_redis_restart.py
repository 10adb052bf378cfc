"""Redis restarted while workers refresh prices, evaluate alerts and send weekly reports.

The broker is a redis-server of this test's own (append-only file, noeviction: as
docker-compose.yml runs it). The same bursts of scheduled jobs go to a clean stack and to one
whose Redis is stopped and started again while the jobs run; the restarted one must
reconnect, finish every job (those cut off included: ``config.broker``
``restore_orphaned_messages``), and end exactly where the clean one does: the same closes and
valuation series, the same alerts, the same e-mails, none twice.
"""

from datetime import timedelta

import pytest
from celery import Celery

from tests.reliability.conftest import last_monday
from tests.reliability.processes import wait_for

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(300)]

# Phase 1 refreshes prices (each refresh then recomputes the household); phase 2 evaluates
# alerts and sends the weekly reports. Each job is sent three times, as a burst.
PHASES = (
    ("reporting.tasks.refresh_after_close_task",),
    ("alerts.tasks.evaluate_alerts_task", "reporting.tasks.send_income_reports_task"),
)


def _send(stack, names, session: str) -> None:
    sender = Celery(broker=stack.redis_url)
    for _ in range(3):
        for name in names:
            args = ("demo", session) if name.endswith("refresh_after_close_task") else ()
            sender.send_task(name, args=args)
    sender.close()


def test_workers_reconnect_after_a_redis_restart_and_nothing_is_lost_or_doubled(
    own_redis, make_stack, reliability
):
    # given the same household twice, valued up to 60 days before Friday's session, so each
    # refresh has two months of closes to fetch and value
    monday = last_monday()
    session = (monday - timedelta(days=3)).isoformat()
    now = f"{monday.isoformat()}T07:20:00+00:00"
    clean = make_stack("clean", redis_url=own_redis.url.replace("/0", "/1"), fake_now=now)
    faulty = make_stack("faulty", redis_url=own_redis.url.replace("/0", "/2"), fake_now=now)
    seeds = [
        s.start("seed", session, "60", CELERY_TASK_ALWAYS_EAGER="true") for s in (clean, faulty)
    ]
    for seed in seeds:
        seed.result()
    clean.start_worker("clean")
    faulty.start_worker("faulty")
    expected, found = [], []
    for phase in PHASES:
        _send(clean, phase, session)
        expected.append(clean.wait_until_idle())
        # when the same burst runs on the other stack and Redis restarts under it as soon as
        # its worker has taken a job of the phase
        received = faulty.task_counts()[0]
        _send(faulty, phase, session)
        wait_for(lambda r=received: faulty.task_counts()[0] > r, timeout=30, what="a job")
        own_redis.restart(down_seconds=2)
        found.append(faulty.wait_until_idle(timeout=90))
    # then the worker noticed each time, reconnected and went on
    log = faulty.worker_log("faulty")
    assert log.count("Connection to broker lost") == 2
    # and after each phase it was where the clean run was: closes, series, alerts, reports
    clean_mail, faulty_mail = sorted(clean.emails()), sorted(faulty.emails())
    assert expected[1]["weekly_sent"] == 2 and expected[1]["episodes_emailed"] >= 2
    lost = max(0, len(clean_mail) - len(faulty_mail)) + max(
        0, expected[1]["episodes"] - found[1]["episodes"]
    )
    doubled = max(0, len(faulty_mail) - len(clean_mail)) + max(
        0, found[1]["episodes"] - expected[1]["episodes"]
    )
    reliability.record(lost=lost, doubled=doubled)
    assert faulty_mail == clean_mail
    assert found == expected
