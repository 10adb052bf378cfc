"""The cast: household A (owner, member, viewer) and household B (its owner), plus clients."""

from dataclasses import dataclass

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


@pytest.fixture
def cast(db) -> Cast:
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


SECRET_ACCOUNT = "Zanzibar Trust"
SECRET_SYMBOL = "ZQXW"


@pytest.fixture
def secret_household(cast) -> Cast:
    """Household A with a recognisable account and security, valued and projected, so a
    leak into another household's response is easy to spot."""
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


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """End the run with the security figures the break-in tests gathered."""
    from tests.security_report import lines

    report = lines()
    if report:
        terminalreporter.section("security report")
        for line in report:
            terminalreporter.write_line(line)
