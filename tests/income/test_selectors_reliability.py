"""Reliability on the income page and the front page: the payments they have already read
are handed to ``income_reliability``, which must judge them as it does alone."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from income.models import ProjectionSnapshot
from income.selectors import income_reliability
from income.selectors.overview import income_glance, income_overview
from portfolios.models import Account, Security, Transaction
from tests.income.builders import income, security
from tests.portfolios.factories import AccountFactory

D = Decimal
TODAY = date(2025, 5, 10)


@pytest.fixture
def kept_and_received(cast):
    """March and April 2025 kept (100.00 and 50.00 projected); received: 30.00 in February
    (no projection kept), 80.00 in March, 50.00 of income and 10.00 of return of capital in
    April, 7.00 in May (not closed on 10 May)."""
    ira = AccountFactory(household=cast.household_a, name="IRA", type=Account.Type.TRADITIONAL_IRA)
    realty = security("O", kind=Security.Kind.REIT, qualified_default=False)
    now = timezone.now()
    for month, total in ((date(2025, 3, 1), "100.00"), (date(2025, 4, 1), "50.00")):
        ProjectionSnapshot.objects.create(
            household=cast.household_a, month=month, total=D(total), taken_at=now
        )
    income(ira, date(2025, 2, 14), "30.00", held=realty)
    income(ira, date(2025, 3, 14), "80.00", held=realty)
    income(ira, date(2025, 4, 15), "50.00", held=realty)
    income(ira, date(2025, 4, 20), "10.00", type=Transaction.Type.RETURN_OF_CAPITAL, held=realty)
    income(ira, date(2025, 5, 2), "7.00", held=realty)
    return cast


def test_the_pages_reliability_is_the_one_read_alone(kept_and_received):
    household = kept_and_received.household_a

    # when
    alone = income_reliability(household=household, today=TODAY)
    page = income_overview(household=household, today=TODAY).reliability
    front = income_glance(household=household, today=TODAY).reliability

    # then March 80 / 100 = 0.8, April 50 / 50 = 1 (return of capital is not income);
    # February has no kept projection, May is not closed; trailing 130 / 150
    expected = [
        (date(2025, 3, 1), D("80.00"), D("100.00"), D("0.8")),
        (date(2025, 4, 1), D("50.00"), D("50.00"), D("1")),
    ]
    for result in (alone, page, front):
        assert result is not None
        assert [(m.month, m.received, m.projected, m.ratio) for m in result.months] == expected
        assert result.trailing_twelve_months == D("130.00") / D("150.00")
