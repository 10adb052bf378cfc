"""The after-close pipeline through a real broker and worker: refresh -> valuation -> stored
series (Redis in CI, the filesystem transport locally)."""

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from portfolios.models import Price, Transaction
from reporting.models import ValuationSeries
from reporting.selectors.market import last_closed_session
from reporting.tasks import refresh_after_close_task
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory

pytestmark = [pytest.mark.tasks, pytest.mark.broker]


@pytest.fixture
def real_broker():
    """Switch eager mode off for this test so .delay() goes through the broker."""
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_after_close_refresh_values_the_household_on_a_real_worker(cast, real_broker):
    # given a deposit and a buy of a security without closes, twenty days ago
    session = last_closed_session()
    security = SecurityFactory(symbol="VTI")
    account = AccountFactory(household=cast.household_a, name="Joint")
    bought = session - timedelta(days=20)
    TransactionFactory(
        account=account, trade_date=bought, type=Transaction.Type.DEPOSIT, amount=Decimal(1000)
    )
    TransactionFactory(
        account=account,
        trade_date=bought,
        type=Transaction.Type.BUY,
        security=security,
        quantity=Decimal(2),
        price=Decimal(100),
        amount=Decimal(200),
    )
    # when the after-close task goes through the broker; it enqueues the recompute there too
    stored = ValuationSeries.objects.filter(household=cast.household_a, scope="household")
    with start_worker(real_broker, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        refresh_after_close_task.delay("demo", session.isoformat())
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not stored.exists():
            time.sleep(0.25)
    # then the demo closes were fetched and the household's series stored up to today
    assert Price.objects.filter(security=security, date__lte=session).exists()
    row = stored.get()
    assert row.start_date == bought - timedelta(days=1)
    assert row.end_date >= date.fromisoformat(session.isoformat())
