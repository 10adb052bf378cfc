"""Fixtures of the fault tests: scratch databases, a Redis of the test's own, a Hearth stack."""

from datetime import date, timedelta

import pytest

from tests.reliability.processes import redis_server
from tests.reliability.stack import ScratchDatabases, Stack


@pytest.fixture(scope="session")
def scratch_databases(tmp_path_factory):
    databases = ScratchDatabases(folder=tmp_path_factory.mktemp("scratch-db"))
    databases.prepare()
    yield databases
    databases.drop_all()


@pytest.fixture
def own_redis(tmp_path):
    folder = tmp_path / "redis"
    folder.mkdir()
    with redis_server(folder) as server:
        yield server


def last_monday() -> date:
    """Return a Monday at least a week in the past: a fake 'now' the real clock is past."""
    day = date.today() - timedelta(days=7)
    return day - timedelta(days=day.weekday())


@pytest.fixture
def make_stack(tmp_path, scratch_databases):
    """Return a function that builds a Stack on a fresh copy of the migrated database."""
    stacks = []

    def build(label: str, **fields) -> Stack:
        folder = tmp_path / label
        folder.mkdir()
        stack = Stack(folder=folder, database_url=scratch_databases.copy(label), **fields)
        stacks.append(stack)
        return stack

    yield build
    for stack in stacks:
        stack.stop_workers()
