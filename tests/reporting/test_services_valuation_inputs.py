"""price_book: the closes a valuation reads, from each security's first needed day."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from portfolios.models import Price
from reporting.services.valuation_inputs import price_book
from tests.portfolios.factories import SecurityFactory

pytestmark = pytest.mark.django_db
JANUARY = (date(2023, 1, 1).toordinal(), date(2023, 1, 31).toordinal())


@pytest.fixture
def gappy():
    """Closes on the 2nd, 3rd, 6th and 9th of January 2023 (none on the 4th or 5th)."""
    security = SecurityFactory(symbol="GAP")
    closes = {2: "10", 3: "11.5", 6: "12", 9: "13.25"}
    Price.objects.bulk_create(
        Price(security=security, date=date(2023, 1, day), close=Decimal(close))
        for day, close in closes.items()
    )
    return security


def _read(security, needed_from=None):
    book = price_book(
        security_ids=[security.pk],
        first_day=JANUARY[0],
        last_day=JANUARY[1],
        needed_from=needed_from,
    )
    days = [date.fromordinal(int(day)).day for day in book.days[security.pk]]
    return days, [float(close) for close in book.closes[security.pk]]


def test_without_needed_days_every_close_of_the_window_is_read(gappy):
    assert _read(gappy) == ([2, 3, 6, 9], [10.0, 11.5, 12.0, 13.25])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL narrows the read")
@pytest.mark.parametrize(
    ("needed", "expected"),
    [
        # the 5th has no close: the 3rd's is the one carried into it
        (5, ([3, 6, 9], [11.5, 12.0, 13.25])),
        (6, ([6, 9], [12.0, 13.25])),
        # before the first close of the window: every close
        (1, ([2, 3, 6, 9], [10.0, 11.5, 12.0, 13.25])),
        # after the last close: the last close, carried
        (20, ([9], [13.25])),
    ],
)
def test_closes_needed_from_a_day_start_at_the_close_carried_into_it(gappy, needed, expected):
    needed_from = {gappy.pk: date(2023, 1, needed).toordinal()}
    assert _read(gappy, needed_from) == expected


def test_a_security_not_in_needed_days_reads_the_whole_window(gappy):
    other = SecurityFactory(symbol="OTHER")
    assert _read(gappy, {other.pk: date(2023, 1, 20).toordinal()}) == (
        [2, 3, 6, 9],
        [10.0, 11.5, 12.0, 13.25],
    )
