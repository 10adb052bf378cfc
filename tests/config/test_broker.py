"""Broker settings that survive: persistence, no eviction, delays within the visibility
timeout, late acknowledgement only where a rerun is safe."""

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
import yaml
from django.conf import settings

from config.broker import (
    WARNING_BANNER,
    redis_config_problems,
    schedule_problems,
    warn_about_broker,
)
from config.celery import app, check_broker_at_worker_start
from tests.reliability.processes import redis_server

ROOT = Path(__file__).resolve().parents[2]

# Tasks acknowledged late, and why running one twice (a worker lost mid-task, then the
# message delivered again) changes nothing. A task added to this list needs its reason.
IDEMPOTENT = {
    "alerts.tasks.evaluate_alerts_task": "episodes are unique per rule and subject",
    "income.tasks.snapshot_income_projections_task": "one snapshot per household and month",
    "portfolios.tasks.prune_import_previews_task": "deletes only what is there",
    "portfolios.tasks.compact_change_log_task": "a rerun replaces one note by another",
    "alerts.tasks.recompute_household_task": "rebuilds what is owed; the mark clears at the end",
    "reporting.tasks.recompute_valuations_task": "rebuilds derived rows from the ledger",
    "reporting.tasks.refresh_after_close_task": "upserts closes, FX rates and events",
    "alerts.tasks.send_income_reports_task": "claims each member's week before sending",
}


def _hearth_tasks() -> dict:
    app.loader.import_default_modules()  # every app's tasks module, as a worker loads them
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_compose_redis_persists_and_never_evicts():
    # given the production stack / then its Redis keeps an append-only file and never evicts
    redis_service = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["redis"]
    command = redis_service["command"]
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command
    assert any(volume.startswith("redis-data:") for volume in redis_service["volumes"])


def test_late_acknowledgement_only_on_idempotent_tasks():
    # given every Hearth task / then those acknowledged late are the idempotent ones, and each
    # of them is also requeued when its worker dies
    late = sorted(name for name, task in _hearth_tasks().items() if task.acks_late)
    assert set(late) <= set(IDEMPOTENT), set(late) - set(IDEMPOTENT)
    for name in late:
        assert _hearth_tasks()[name].reject_on_worker_lost, name
    # the backup is not late: a dump cut short is not retaken behind the user's back
    assert not _hearth_tasks()["portfolios.tasks.backup_database_task"].acks_late


def test_no_task_waits_or_runs_beyond_the_visibility_timeout():
    # given the Redis transport's visibility timeout (2 h) and the hard time limit (30 min)
    assert settings.CELERY_BROKER_VISIBILITY_TIMEOUT == 7200
    assert settings.CELERY_TASK_TIME_LIMIT == 1800
    conf = SimpleNamespace(
        broker_transport_options={"visibility_timeout": 7200},
        task_time_limit=settings.CELERY_TASK_TIME_LIMIT,
    )
    # when every task's longest retry delay and run are compared with it / then none passes
    assert schedule_problems(SimpleNamespace(conf=conf, tasks=_hearth_tasks())) == []
    # and beat entries expire before their next slot (a late message is dropped, not doubled)
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["options"]["expires"] < 24 * 3600, name


def test_schedule_problems_names_a_retry_delay_beyond_the_timeout():
    # given a task whose backoff may wait 3 hours and a late task without a time limit
    slow_retry = SimpleNamespace(
        autoretry_for=(OSError,),
        retry_backoff=60,
        retry_backoff_max=3 * 3600,
        default_retry_delay=180,
        acks_late=False,
        time_limit=None,
    )
    unbounded = SimpleNamespace(
        autoretry_for=(), default_retry_delay=180, acks_late=True, time_limit=None
    )
    conf = SimpleNamespace(broker_transport_options={"visibility_timeout": 7200}, task_time_limit=0)
    fake = SimpleNamespace(conf=conf, tasks={"x.slow": slow_retry, "x.unbounded": unbounded})
    # when / then
    assert schedule_problems(fake) == [
        "x.slow: a retry may wait 10800 s, beyond the visibility timeout of 7200 s",
        "x.unbounded: acknowledged late but may run without limit s, beyond the visibility "
        "timeout of 7200 s",
    ]


@pytest.mark.timeout(60)
def test_worker_start_warns_about_a_redis_that_evicts_and_forgets(tmp_path, caplog):
    # given a Redis of this test's own, as a careless install would run it
    with redis_server(tmp_path) as server:
        client = redis.Redis(port=server.port)
        client.config_set("maxmemory-policy", "allkeys-lru")
        client.config_set("appendonly", "no")
        client.config_set("save", "")
        # when a worker on it starts
        previous = app.conf.broker_url
        app.conf.broker_url = server.url
        try:
            with caplog.at_level(logging.WARNING, logger="hearth.broker"):
                check_broker_at_worker_start(sender=SimpleNamespace(app=app))
        finally:
            app.conf.broker_url = previous
        # then a clear warning names both settings and what to set
        assert WARNING_BANNER in caplog.text
        assert "maxmemory-policy is 'allkeys-lru'" in caplog.text
        assert "Set maxmemory-policy noeviction" in caplog.text
        assert "a Redis restart loses every queued task. Set appendonly yes." in caplog.text
        # and with noeviction and some persistence (here RDB save points), nothing to warn
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("save", "900 1")
        assert redis_config_problems(client) == []
        client.close()


def test_an_unreadable_redis_configuration_is_reported_not_fatal():
    # given a managed Redis that refuses CONFIG
    class Refusing:
        def config_get(self, name):
            raise redis.exceptions.ResponseError("unknown command 'CONFIG'")

    # when / then
    (problem,) = redis_config_problems(Refusing())
    assert problem.startswith("could not read the Redis configuration")


def test_the_filesystem_broker_of_the_demo_has_nothing_to_warn_about(caplog):
    # given the demo's filesystem transport (no Redis) / when / then
    fake = SimpleNamespace(
        conf=SimpleNamespace(
            broker_url="filesystem://localhost//",
            broker_transport_options={},
            task_time_limit=1800,
        ),
        tasks=app.tasks,
    )
    assert warn_about_broker(fake) == []
