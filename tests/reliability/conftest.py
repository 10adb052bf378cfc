"""Fixtures of the fault tests: scratch databases, a Redis of the test's own, a Hearth stack."""

from datetime import date, timedelta

import pytest

from tests.reliability.processes import redis_server
from tests.reliability.stack import ScratchDatabases, Stack


def last_monday() -> date:
    """Return a Monday at least a week in the past: a fake 'now' the real clock is past."""
    day = date.today() - timedelta(days=7)
    return day - timedelta(days=day.weekday())


MONDAY = last_monday()
FRIDAY = MONDAY - timedelta(days=3)
NOW = f"{MONDAY.isoformat()}T07:20:00+00:00"  # the weekly reports are due (UTC household)


@pytest.fixture(scope="session")
def scratch_databases(tmp_path_factory):
    """Copies of one database, migrated and seeded once per session: the fault tests'
    household (tests.reliability.probes.seed), valued up to 60 days before Friday."""
    folder = tmp_path_factory.mktemp("scratch-db")
    databases = ScratchDatabases(folder=folder)
    databases.prepare()
    seeder = Stack(folder=folder, database_url=databases.template_url(), fake_now=NOW)
    seeder.run("seed", FRIDAY.isoformat(), "60", CELERY_TASK_ALWAYS_EAGER="true")
    yield databases
    databases.drop_all()


@pytest.fixture
def own_redis(tmp_path):
    folder = tmp_path / "redis"
    folder.mkdir()
    with redis_server(folder) as server:
        yield server


@pytest.fixture
def make_stack(tmp_path, scratch_databases):
    """Return a function that builds a Stack on a fresh copy of the migrated database."""
    stacks = []

    def build(label: str, **fields) -> Stack:
        folder = tmp_path / label
        folder.mkdir()
        fields.setdefault("fake_now", NOW)
        stack = Stack(folder=folder, database_url=scratch_databases.copy(label), **fields)
        stacks.append(stack)
        return stack

    yield build
    for stack in stacks:
        stack.stop_workers()
