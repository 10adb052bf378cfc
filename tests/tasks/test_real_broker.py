"""A task travels through the real broker (Redis in CI, the filesystem transport locally) to a
real worker, and its result lands in the database."""

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from portfolios.models import Price, Transaction
from reporting.tasks import is_xnys_session, refresh_after_close_task
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory

pytestmark = [pytest.mark.tasks, pytest.mark.broker]


@pytest.fixture
def real_broker(settings):
    """Switch eager mode off for this test so .delay() goes through the broker."""
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_after_close_refresh_runs_on_a_real_worker_and_writes_prices(cast, real_broker):
    # given a held security with no prices, and the last XNYS session before today
    session = date.today() - timedelta(days=1)
    while not is_xnys_session(session):
        session -= timedelta(days=1)
    security = SecurityFactory(symbol="VTI")
    account = AccountFactory(household=cast.household_a, name="Joint")
    TransactionFactory(
        account=account,
        type=Transaction.Type.BUY,
        security=security,
        quantity=Decimal(1),
        price=Decimal(100),
        amount=Decimal(100),
        trade_date=date.today() - timedelta(days=20),
    )
    assert not Price.objects.exists()
    # when the task is sent through the broker to a worker thread
    with start_worker(real_broker, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        refresh_after_close_task.delay("demo", session.isoformat())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Price.objects.filter(security=security).exists():
            time.sleep(0.25)
    # then the demo provider's weekday closes from a week before the trade to the session
    start = date.today() - timedelta(days=27)
    weekdays = sum(
        1 for n in range((session - start).days + 1) if (start + timedelta(n)).weekday() < 5
    )
    assert Price.objects.filter(security=security).count() == weekdays
