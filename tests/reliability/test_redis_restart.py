"""Redis restarted while workers refresh prices, evaluate alerts and send weekly reports.

The broker is a redis-server of this test's own (append-only file, noeviction: as
docker-compose.yml runs it). The same bursts of jobs go to a clean worker (the reference)
and to a worker whose Redis is stopped and started again while the jobs run. The
worker must reconnect, finish every job (those cut off included: ``config.broker``
``restore_orphaned_messages``), and end exactly where the clean run did: the same closes
and valuation series, the same alerts, the same e-mails, none twice.
"""

import pytest

from tests.reliability.conftest import FRIDAY
from tests.reliability.processes import wait_for
from tests.reliability.stack import differing

pytestmark = [pytest.mark.fault, pytest.mark.slow, pytest.mark.timeout(600)]

# Phase 1 refreshes prices (two months of closes; each refresh then recomputes the
# household); phase 2 evaluates alerts and sends the weekly reports. Each job three times.
REFRESH = ("reporting.tasks.refresh_after_close_task", ["demo", FRIDAY.isoformat()])
PHASES = [
    [REFRESH] * 3,
    [("alerts.tasks.evaluate_alerts_task", []), ("alerts.tasks.send_income_reports_task", [])] * 3,
]


def test_workers_reconnect_after_a_redis_restart_and_nothing_is_lost_or_doubled(
    own_redis, make_stack, reliability
):
    # given the seeded household twice, each with a worker of two processes
    clean = make_stack("clean", redis_url=own_redis.url.replace("/0", "/1"))
    faulty = make_stack("faulty", redis_url=own_redis.url.replace("/0", "/2"))
    clean_worker = clean.start_worker("clean", wait=False)  # both start side by side
    faulty_worker = faulty.start_worker("faulty", wait=False)
    clean.wait_ready("clean", clean_worker)
    faulty.wait_ready("faulty", faulty_worker)
    expected, found = [], []
    for phase in PHASES:
        # the clean one runs the phase's burst undisturbed
        clean.send(phase)
        expected.append(clean.wait_until_idle(timeout=90))
        # when the other gets the same burst and Redis restarts under it as soon as its
        # worker has taken one of the jobs
        received = faulty.task_counts()[0]
        faulty.send(phase)
        wait_for(lambda r=received: faulty.task_counts()[0] > r, timeout=30, what="a job")
        own_redis.restart(down_seconds=0.5)
        found.append(faulty.wait_until_idle(timeout=90))
    # then the worker noticed each time, reconnected and went on
    assert faulty.worker_log("faulty").count("Connection to broker lost") == 2
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
    assert [differing(f, e) for f, e in zip(found, expected, strict=True)] == [{}, {}]
