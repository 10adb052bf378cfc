"""Stale prices, the after-close task, FX refresh and the bulk price load."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from portfolios.models import DividendEvent, FxRate, Price, Security, Transaction
from portfolios.providers import ProviderError
from portfolios.providers.demo import DemoProvider
from portfolios.services.households import account_create
from portfolios.services.price_loading import prices_bulk_load
from reporting.models import ValuationSeries
from reporting.selectors.market import last_closed_session, stale_securities
from reporting.services.market_data import market_data_refresh
from reporting.tasks import is_xnys_session, refresh_after_close_task
from tests.portfolios.factories import SecurityFactory, TransactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(cast):
    """Three held securities: closes up to 2024-07-01, up to 2024-07-10, and none; and cash."""
    account = account_create(household=cast.household_a, name="Joint", type="taxable")
    old, fresh, never = (SecurityFactory(symbol=s) for s in ("OLD", "FRESH", "NEVER"))
    sweep = SecurityFactory(symbol="SWEEP", kind=Security.Kind.MONEY_MARKET)
    for security in (old, fresh, never, sweep):
        TransactionFactory(
            account=account,
            trade_date=date(2024, 6, 3),
            type="BUY",
            security=security,
            quantity=Decimal(1),
            amount=Decimal(10),
        )
    Price.objects.create(security=old, date=date(2024, 7, 1), close=Decimal(10))
    Price.objects.create(security=fresh, date=date(2024, 7, 10), close=Decimal(10))
    return {"account": account, "old": old, "fresh": fresh, "never": never}


def test_stale_securities_count_missing_xnys_sessions(cast, held):
    """As of Friday 2024-07-12: after 2024-07-01 come the sessions of July 2, 3, 5, 8, 9,
    10, 11 and 12 (July 4 is a holiday) = 8 missing; after July 10 only 2."""
    # when
    stale = stale_securities(household=cast.household_a, as_of=date(2024, 7, 12), sessions=5)
    # then: the money-market sweep is valued at par and never stale
    assert [(s.symbol, s.last_price, s.sessions_missing) for s in stale] == [
        ("NEVER", None, stale[0].sessions_missing),
        ("OLD", date(2024, 7, 1), 8),
    ]
    assert stale_securities(household=cast.household_b, as_of=date(2024, 7, 12)) == []


def test_stale_threshold_comes_from_settings(cast, held, settings):
    settings.STALE_PRICE_SESSIONS = 9
    symbols = [
        s.symbol for s in stale_securities(household=cast.household_a, as_of=date(2024, 7, 12))
    ]
    assert symbols == ["NEVER"]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2024, 7, 12, 19, 0, tzinfo=UTC), date(2024, 7, 11)),  # 15:00 New York
        (datetime(2024, 7, 12, 21, 0, tzinfo=UTC), date(2024, 7, 12)),  # 17:00 New York
        (datetime(2024, 7, 13, 15, 0, tzinfo=UTC), date(2024, 7, 12)),  # Saturday
        (datetime(2024, 7, 5, 3, 0, tzinfo=UTC), date(2024, 7, 3)),  # night after July 4
    ],
)
def test_last_closed_session_in_new_york(moment, expected):
    assert last_closed_session(moment) == expected


def test_admin_lists_stale_securities(cast, held):
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password="pw-root-1")
    # staff reach the admin only with a second factor set up
    Authenticator.objects.create(user=admin, type=Authenticator.Type.TOTP, data={})
    client = Client()
    client.force_login(admin)
    with time_machine.travel(datetime(2024, 7, 12, 22, 0, tzinfo=UTC), tick=False):
        response = client.get("/admin/reporting/stalesecurity/")
    assert response.status_code == 200
    assert b"OLD" in response.content and b"FRESH" not in response.content


def test_xnys_sessions():
    assert is_xnys_session(date(2024, 7, 5))
    assert not is_xnys_session(date(2024, 7, 4))  # Independence Day
    assert not is_xnys_session(date(2024, 7, 6))  # Saturday


def test_task_does_nothing_on_a_holiday(cast, held):
    result = refresh_after_close_task.delay("demo", "2024-07-04").get()
    assert result == {"skipped": "2024-07-04 is not an XNYS session"}
    assert Price.objects.count() == 2


def test_task_refreshes_then_recomputes_valuations(cast, held, django_capture_on_commit_callbacks):
    # given a euro account, so a EUR -> USD rate is needed
    euro = account_create(household=cast.household_a, name="Euro", type="taxable", currency="EUR")
    TransactionFactory(
        account=euro, trade_date=date(2024, 7, 1), type="DEPOSIT", amount=Decimal(100)
    )
    # when the after-close task runs for Friday 2024-07-12 with the demo provider
    with django_capture_on_commit_callbacks(execute=True):
        summary = refresh_after_close_task.delay("demo", "2024-07-12").get()
    # then only missing days were fetched: FRESH from July 11, OLD from July 2
    fresh = Price.objects.filter(security=held["fresh"]).values_list("date", flat=True)
    assert sorted(fresh)[:2] == [date(2024, 7, 10), date(2024, 7, 11)]
    assert Price.objects.filter(security=held["old"], date=date(2024, 7, 2)).exists()
    assert FxRate.objects.filter(base="EUR", quote="USD", date=date(2024, 7, 12)).exists()
    assert summary["session"] == "2024-07-12" and summary["households"] == 2
    # and the household's valuation was stored by the recompute chained after it
    assert ValuationSeries.objects.filter(household=cast.household_a, scope="household").exists()


def test_one_failing_symbol_does_not_stop_the_others(cast, held, monkeypatch):
    # given a provider that times out for OLD only
    original = DemoProvider.fetch_closes

    def flaky(self, symbol, start, end):
        if symbol == "OLD":
            raise ProviderError("timeout", symbol=symbol)
        return original(self, symbol, start, end)

    monkeypatch.setattr(DemoProvider, "fetch_closes", flaky)
    # when
    result = market_data_refresh(provider_name="demo", today=date(2024, 7, 12))
    # then FRESH and NEVER got closes, OLD is retried later (transient)
    assert result.transient == ["OLD"]
    assert Price.objects.filter(security=held["never"]).exists()
    # NEVER is fetched from 7 days before its first trade: the household recomputes from there
    assert result.recompute_from[cast.household_a.pk] == date(2024, 5, 27)
    # and the task turns that into a retry with backoff (autoretry_for, retry_backoff)
    from celery.exceptions import Retry

    with pytest.raises(Retry, match="TransientRefreshError"):
        refresh_after_close_task.apply(args=("demo", "2024-07-12"), throw=True).get()


def test_corporate_actions_are_stored_as_events(cast, held, monkeypatch):
    from portfolios.providers import Dividend, Split

    monkeypatch.setattr(
        DemoProvider,
        "fetch_dividends",
        lambda self, symbol, start, end: [
            Dividend(symbol, date(2024, 7, 8), date(2024, 7, 15), Decimal("0.25"))
        ],
    )
    monkeypatch.setattr(
        DemoProvider,
        "fetch_splits",
        lambda self, symbol, start, end: (
            [Split(symbol, date(2024, 7, 9), Decimal(2), Decimal(1))] if symbol == "OLD" else []
        ),
    )
    result = market_data_refresh(provider_name="demo", today=date(2024, 7, 12))
    assert result.dividends == 3 and result.splits == 1
    assert DividendEvent.objects.get(security=held["old"]).amount == Decimal("0.25")


def test_bulk_load_inserts_and_replaces_closes(cast):
    # given one stored close
    security = SecurityFactory(symbol="BULK")
    Price.objects.create(security=security, date=date(2024, 1, 2), close=Decimal(1))
    days = [date(2024, 1, 2) + timedelta(days=n) for n in range(3000)]
    # when
    written = prices_bulk_load(
        rows=((security.pk, day, Decimal("10.5") + n) for n, day in enumerate(days)), source="file"
    )
    # then the first day's close is replaced, every other day added
    assert written == 3000
    assert Price.objects.filter(security=security).count() == 3000
    assert Price.objects.get(security=security, date=date(2024, 1, 2)).close == Decimal("10.5")
    assert Price.objects.get(security=security, date=days[-1]).source == "file"


def test_recompute_command_stores_valuations(cast, held):
    from django.core.management import call_command

    TransactionFactory(
        account=held["account"],
        trade_date=date(2024, 6, 3),
        type=Transaction.Type.DEPOSIT,
        amount=Decimal(100),
    )
    call_command("recompute", household=cast.household_a.name)
    assert ValuationSeries.objects.filter(household=cast.household_a).count() == 2
