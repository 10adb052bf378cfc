"""The performance page: stored series only, Plotly from our static files, few queries."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from portfolios.models import Price
from portfolios.services.households import account_create
from reporting.models import Benchmark
from reporting.services.valuations import valuations_rebuild
from tests.portfolios.factories import SecurityFactory, TransactionFactory

pytestmark = pytest.mark.django_db
FIRST = date(2018, 1, 2)
TODAY = date(2024, 6, 28)


@pytest.fixture
def valued(cast):
    """Six and a half years of a two-account household, valued: about 2,370 days."""
    household = cast.household_a
    core = household.sleeves.get(name="core")
    joint = account_create(household=household, name="Joint", type="taxable", default_sleeve=core)
    ira = account_create(household=household, name="IRA", type="roth_ira")
    share = SecurityFactory(symbol="VTI")
    day, close, closes = FIRST, Decimal(100), []
    while day <= TODAY:
        if day.weekday() < 5:
            close = close * Decimal("1.0004") if day.toordinal() % 3 else close * Decimal("0.999")
            closes.append(Price(security=share, date=day, close=close.quantize(Decimal("0.0001"))))
        day += timedelta(days=1)
    Price.objects.bulk_create(closes)  # the same rows, in one INSERT instead of ~1,690
    TransactionFactory(account=joint, trade_date=FIRST, type="DEPOSIT", amount=Decimal(10000))
    TransactionFactory(
        account=joint,
        trade_date=FIRST,
        type="BUY",
        security=share,
        quantity=Decimal(50),
        price=Decimal(100),
        amount=Decimal(5000),
    )
    TransactionFactory(
        account=ira, trade_date=date(2020, 3, 2), type="DEPOSIT", amount=Decimal(3000)
    )
    Benchmark.objects.create(
        household=household,
        name="Total market",
        components=[{"symbol": "VTI", "weight": "1"}],
        is_default=True,
    )
    valuations_rebuild(household=household, today=TODAY)
    return household


def _page(user, query=""):
    client = Client()
    client.force_login(user)
    return client.get(f"/performance/{query}")


def test_page_draws_from_our_static_plotly_with_thinned_series(cast, valued):
    # when
    response = _page(cast.viewer, "?period=MAX")
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/plotly/plotly.min.js" in html
    assert "cdn" not in html.lower()
    embedded = html.split('<script id="performance-chart-data" type="application/json">')[1]
    charts = json.loads(embedded.split("</script>")[0])
    assert len(charts["value"]["x"]) <= 1500 < (TODAY - FIRST).days
    assert charts["value"]["x"][0] == "2018-01-01" and charts["value"]["x"][-1] == "2024-06-28"
    assert len(charts["twr"]["y"]) <= 1500 and len(charts["drawdown"]["y"]) <= 1500
    assert charts["benchmark"] is not None


def test_page_shows_figures_per_account_and_sleeve_and_the_benchmark(cast, valued):
    response = _page(cast.owner, "?period=1Y")
    html = response.content.decode()
    assert 'id="accounts-figures"' in html and 'id="sleeves-figures"' in html
    assert [row.label for row in response.context["account_rows"]] == ["IRA", "Joint"]
    assert [row.label for row in response.context["sleeve_rows"]] == ["core"]
    assert response.context["benchmark_name"] == "Total market"
    # one year back from the last stored day
    assert response.context["window"].start == date(2023, 6, 28)
    summary = response.context["summary"]
    assert summary.end_value > 0 and summary.benchmark_twr is not None


def test_page_reads_at_most_15_queries(cast, valued, django_assert_max_num_queries):
    client = Client()
    client.force_login(cast.owner)
    with django_assert_max_num_queries(15):
        assert client.get("/performance/?benchmark=VTI").status_code == 200


def test_custom_period_and_scope(cast, valued):
    ira = valued.accounts.get(name="IRA")
    response = _page(cast.owner, f"?scope=account:{ira.pk}&start=2021-01-01&end=2021-12-31")
    assert response.context["stored"].label == "IRA"
    assert response.context["window"].start == date(2021, 1, 1)
    assert response.context["summary"].end_value == Decimal("3000")


def test_bad_parameters_show_a_message_not_an_error(cast, valued):
    response = _page(cast.owner, "?start=2021-13-01&benchmark=NOPE")
    assert response.status_code == 200
    assert response.context["error"]


def test_page_before_any_valuation_says_so(cast):
    response = _page(cast.owner)
    assert response.status_code == 200
    assert b"No valuation yet" in response.content


def test_demo_prices_are_labelled_synthetic(cast, valued, settings):
    settings.PRICE_PROVIDER = "demo"
    assert b'id="synthetic-note"' in _page(cast.owner).content
    settings.PRICE_PROVIDER = "csv"
    assert b'id="synthetic-note"' not in _page(cast.owner).content


def test_other_household_sees_none_of_it(cast, valued):
    response = _page(cast.outsider)
    assert b"No valuation yet" in response.content


def test_anonymous_is_sent_to_login(valued):
    response = Client().get("/performance/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
