"""The cast: household A (owner, member, viewer) and household B (its owner), plus clients."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from alerts.services.households import household_setup
from portfolios.models import Household, Membership
from portfolios.services.households import api_token_create, membership_add

pytest_plugins = ["tests.reliability.report"]


@dataclass
class Cast:
    household_a: Household
    household_b: Household
    owner: object
    member: object
    viewer: object
    outsider: object  # owner of household B


def _cast_build() -> Cast:
    household_a = household_setup(name="Alpha", owner_username="alice", password="pw-alice-1")
    household_b = household_setup(name="Bravo", owner_username="bob", password="pw-bob-1")
    member = membership_add(household=household_a, username="carol", role=Membership.Role.MEMBER)
    viewer = membership_add(household=household_a, username="victor", role=Membership.Role.VIEWER)
    users = get_user_model().objects
    return Cast(
        household_a=household_a,
        household_b=household_b,
        owner=users.get(username="alice"),
        member=member.user,
        viewer=viewer.user,
        outsider=users.get(username="bob"),
    )


@pytest.fixture
def cast(db) -> Cast:
    return _cast_build()


SECRET_ACCOUNT = "Zanzibar Trust"
SECRET_SYMBOL = "ZQXW"


def _secret_household_build(cast: Cast) -> Cast:
    from datetime import date

    from alerts.services.recompute import household_recompute
    from tests.portfolios.factories import AccountFactory, SecurityFactory
    from tests.portfolios.ledger_builders import buy, close, deposit

    zq = SecurityFactory(symbol=SECRET_SYMBOL)
    account = AccountFactory(household=cast.household_a, name=SECRET_ACCOUNT)
    deposit(account, "2025-01-02", 5000)
    buy(account, "2025-01-02", zq, 10, 1000)
    close(zq, "2025-01-02", 100)
    close(zq, date.today().isoformat(), 120)
    household_recompute(household=cast.household_a)
    return cast


@pytest.fixture
def secret_household(cast) -> Cast:
    """Household A with a recognisable account and security, valued and projected, so a
    leak into another household's response is easy to spot."""
    return _secret_household_build(cast)


@pytest.fixture(scope="module")
def secret_household_once(django_db_setup, django_db_blocker) -> Iterator[Cast]:
    """``secret_household`` built once for a module, as Django's ``setUpTestData`` does: in a
    transaction around the module's tests, each test's own transaction a savepoint inside it
    (rolled back after the test, whatever it wrote), the whole rolled back after the module.

    A module opts in by overriding ``secret_household`` with a fixture that returns this one
    (and requests ``db``). Its tests get the same rows every time; only Python attributes a
    test sets on the cast's objects would outlive it, so it is for modules whose tests change
    the household through HTTP, not through the cast's objects.
    """
    from django.db import transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic._from_testcase = True  # as TestCase's: durable blocks inside stay allowed
        atomic.__enter__()
        try:
            built = _secret_household_build(_cast_build())
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def token_client(user, household, scope="read") -> tuple[APIClient, str]:
    issued = api_token_create(user=user, household=household, scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.raw_key}")
    return client, issued.raw_key


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Login and API throttles count in the cache: every test starts from zero."""
    from django.core.cache import cache

    redis_cache = getattr(cache, "_cache", None)
    if hasattr(redis_cache, "get_client"):  # Redis (CI): only the throttles' keys, not the broker's
        try:
            client = redis_cache.get_client(write=True)
            for pattern in ("*throttle_*", "*allauth:rl:*"):
                keys = list(client.scan_iter(pattern))
                if keys:
                    client.delete(*keys)
        except Exception:  # Redis down: the fail-safe cache's memory is what counts
            pass
        fallback = getattr(cache, "_fallback", None)
        if fallback is not None:
            fallback.clear()
    else:
        cache.clear()
    yield


def pytest_configure(config):
    """Compile Hearth's modules and the tests' once, before the pytest-xdist workers and the
    processes the tests start (commands, Celery workers, gunicorn, probes) import them: with
    PYTHONDONTWRITEBYTECODE set (the Dockerfile, this machine's shell) each of those compiled
    them from source again, ~0.7 s of CPU a process. Files already compiled are skipped."""
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller did it
        return
    import compileall

    root = Path(__file__).resolve().parent.parent
    for package in ("alerts", "benchmarks", "config", "income", "portfolios", "reporting"):
        compileall.compile_dir(root / package, quiet=1)
    compileall.compile_dir(root / "tests", quiet=1, rx=re.compile(r"bad_files"))


def pytest_sessionfinish(session):
    """In a pytest-xdist worker: hand this process's security figures to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from tests.security_report import FIGURES

        workeroutput["security"] = dict(FIGURES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """In the pytest-xdist controller: add a finished worker's security figures."""
    from tests.security_report import FIGURES

    FIGURES.update(getattr(node, "workeroutput", {}).get("security", {}))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """End the run with the security figures the break-in tests gathered."""
    from tests.security_report import lines

    report = lines()
    if report:
        terminalreporter.section("security report")
        for line in report:
            terminalreporter.write_line(line)
