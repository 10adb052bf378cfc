from datetime import date
from decimal import Decimal

import pytest

from portfolios.models import Price, Transaction
from tests.conftest import client_for
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.api]


@pytest.fixture
def priced(cast):
    vti, bnd = SecurityFactory(symbol="VTI"), SecurityFactory(symbol="BND")
    account = AccountFactory(household=cast.household_a, name="Joint")
    TransactionFactory(
        account=account, type=Transaction.Type.BUY, security=vti, quantity=Decimal(1),
        price=Decimal(100), amount=Decimal(100),
    )  # fmt: skip
    for day, close in [(date(2024, 1, 2), "100.5"), (date(2024, 1, 3), "101.25")]:
        Price.objects.create(security=vti, date=day, close=Decimal(close))
        Price.objects.create(security=bnd, date=day, close=Decimal(70))
    return vti


def test_prices_of_held_securities_with_date_filters(cast, priced):
    client = client_for(cast.viewer)
    body = client.get("/api/v1/prices/?symbol=vti&start=2024-01-03").json()
    assert body["count"] == 1
    assert body["results"][0] == {
        "symbol": "VTI", "date": "2024-01-03", "close": "101.25000000", "source": ""
    }  # fmt: skip
    # BND is not held by household A, so its prices are not A's to list
    assert client.get("/api/v1/prices/?symbol=BND").json()["count"] == 0
    csv = client.get("/api/v1/prices/?format=csv").content.decode().splitlines()
    assert csv == [
        "symbol,date,close,source",
        "VTI,2024-01-02,100.50000000,",
        "VTI,2024-01-03,101.25000000,",
    ]


def test_bad_dates_name_the_field(cast, priced):
    response = client_for(cast.owner).get("/api/v1/prices/?start=2024-13-01")
    assert response.status_code == 400
    assert "start" in response.json()["errors"]
    response = client_for(cast.owner).get("/api/v1/prices/?start=2024-02-01&end=2024-01-01")
    assert response.status_code == 400
    assert "end" in response.json()["errors"]


def test_outsider_sees_no_prices_of_household_a(cast, priced):
    assert client_for(cast.outsider).get("/api/v1/prices/").json()["count"] == 0
