"""Performance compares with the household's default benchmark without being asked, and a
benchmark symbol with no stored close is fetched through the price provider, not refused
(issue 10, DESIGN §8). No network: the `demo` provider (deterministic synthetic closes) and
the `csv` provider (a folder of recorded closes)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from portfolios.models import Price, Security
from portfolios.providers.demo import DemoProvider
from portfolios.services.households import account_create
from reporting.services.valuations import valuations_rebuild
from tests.conftest import client_for
from tests.portfolios.factories import SecurityFactory, TransactionFactory

pytestmark = pytest.mark.django_db
D = Decimal
NOW = "2026-06-30 22:00:00+00:00"  # 18:00 on Tue 2026-06-30 in New York
TODAY = date(2026, 6, 30)
START, END = date(2026, 2, 2), date(2026, 6, 30)


@pytest.fixture
def valued(cast):
    """Household A: 10 AAA bought on 2026-01-05, AAA closing every weekday, valued to today."""
    household = cast.household_a
    household.time_zone = "America/New_York"
    household.save(update_fields=["time_zone"])
    joint = account_create(household=household, name="Joint", type="taxable")
    share = SecurityFactory(symbol="AAA")
    day, close = date(2026, 1, 2), D(100)
    while day <= TODAY:
        if day.weekday() < 5:
            close += D("0.25")
            Price.objects.create(security=share, date=day, close=close)
        day += timedelta(days=1)
    TransactionFactory(account=joint, trade_date=date(2026, 1, 5), type="DEPOSIT", amount=D(2000))
    TransactionFactory(
        account=joint,
        trade_date=date(2026, 1, 5),
        type="BUY",
        security=share,
        quantity=D(10),
        price=D(100),
        amount=D(1000),
    )
    valuations_rebuild(household=household, today=TODAY)
    return household


def _demo_return(symbol: str, start: date, end: date) -> Decimal:
    """The symbol's return from start's close to end's, each the last demo close on or
    before the day (weekends carry Friday's), worked out from the provider's own answer."""
    closes = {
        c.date: c.close for c in DemoProvider().fetch_closes(symbol, start - timedelta(7), end)
    }

    def on(day: date) -> Decimal:
        return closes[max(d for d in closes if d <= day)]

    return on(end) / on(start) - 1


@time_machine.travel(NOW, tick=False)
def test_a_symbol_without_closes_is_fetched_through_the_provider(cast, valued, settings):
    settings.PRICE_PROVIDER = "demo"
    assert not Security.objects.filter(symbol="NEWX").exists()
    # when
    response = client_for(cast.owner).get(
        f"/api/v1/performance/?start={START}&end={END}&benchmark=NEWX"
    )
    # then: compared, with the closes the provider answered, now stored for next time
    assert response.status_code == 200
    expected = _demo_return("NEWX", START, END)
    assert D(response.json()["benchmark_twr"]) == pytest.approx(expected, abs=D("1e-9"))
    stored = Price.objects.filter(security__symbol="NEWX")
    assert stored.filter(source="demo").count() > 100
    assert stored.filter(date__gt=TODAY).count() == 0
    # and the series compares with it too
    rows = client_for(cast.owner).get(
        f"/api/v1/performance/series/?start={START}&end={END}&benchmark=NEWX&page_size=1000"
    )
    last = rows.json()["results"][-1]
    assert D(last["benchmark_cumulative"]) == pytest.approx(expected, abs=D("1e-9"))


@time_machine.travel(NOW, tick=False)
def test_without_a_benchmark_the_households_default_is_compared(cast, valued, settings):
    settings.PRICE_PROVIDER = "demo"
    valued.default_benchmark = "VTI:60,BND:40"
    valued.save(update_fields=["default_benchmark"])
    api = client_for(cast.owner)
    # when: asked for nothing
    default = api.get(f"/api/v1/performance/?start={START}&end={END}").json()
    # then: the same figures as asking for the blend by name
    named = api.get(f"/api/v1/performance/?start={START}&end={END}&benchmark=VTI:60,BND:40")
    assert default["benchmark_twr"] is not None
    assert default == named.json()
    # and the CSV carries the benchmark columns
    csv_text = api.get(f"/api/v1/performance/?start={START}&end={END}&format=csv")
    assert "benchmark_twr" in csv_text.content.decode().splitlines()[0]


@time_machine.travel(NOW, tick=False)
def test_the_page_compares_with_the_default_without_being_asked(cast, valued, settings):
    settings.PRICE_PROVIDER = "demo"
    valued.default_benchmark = "NEWY"
    valued.save(update_fields=["default_benchmark"])
    client = Client()
    client.force_login(cast.owner)
    response = client.get(f"/performance/?start={START}&end={END}")
    assert response.status_code == 200
    assert response.context["error"] is None
    assert response.context["benchmark_name"] == "NEWY"
    summary = response.context["summary"]
    expected = _demo_return("NEWY", START, END)
    assert D(repr(summary.benchmark_twr)) == pytest.approx(expected, abs=D("1e-9"))
    assert response.context["charts"]["benchmark"] is not None


@time_machine.travel(NOW, tick=False)
def test_recorded_closes_of_the_csv_provider_are_used(cast, valued, settings, tmp_path):
    settings.PRICE_PROVIDER, settings.PRICE_CSV_DIR = "csv", str(tmp_path)
    # recorded: 50.00 on Mon 02-02, 55.00 on Fri 06-26 (carried to Tue 06-30)
    (tmp_path / "RECX.csv").write_text("date,close\n2026-02-02,50.00\n2026-06-26,55.00\n")
    response = client_for(cast.owner).get(
        f"/api/v1/performance/?start={START}&end={END}&benchmark=RECX"
    )
    assert response.status_code == 200
    # 55 / 50 − 1 = 0.1
    assert D(response.json()["benchmark_twr"]) == D("0.1000000000")


@time_machine.travel(NOW, tick=False)
def test_a_provider_with_nothing_is_a_clear_message_not_a_500(cast, valued, settings, tmp_path):
    settings.PRICE_PROVIDER, settings.PRICE_CSV_DIR = "csv", str(tmp_path)
    api = client_for(cast.owner)
    # the API: 400 naming the benchmark
    response = api.get("/api/v1/performance/?benchmark=NOPE")
    assert response.status_code == 400
    message = response.json()["errors"]["benchmark"][0]
    assert "NOPE" in message and "csv price provider has none" in message
    assert not Price.objects.filter(security__symbol="NOPE").exists()
    # the page: the message, and the figures without a benchmark
    client = Client()
    client.force_login(cast.owner)
    page = client.get("/performance/?benchmark=NOPE")
    assert page.status_code == 200
    assert "csv price provider has none" in page.context["error"]
    # a default the provider cannot price: figures without a benchmark, and the page says why
    valued.default_benchmark = "NOPE"
    valued.save(update_fields=["default_benchmark"])
    body = api.get("/api/v1/performance/").json()
    assert "benchmark_twr" not in body and D(body["end_value"]) > 0
    page = client.get("/performance/")
    assert page.status_code == 200
    assert "default benchmark NOPE" in page.context["error"]


@time_machine.travel(NOW, tick=False)
def test_a_symbol_only_another_household_holds_is_fetched_for_this_answer_only(
    cast, valued, settings
):
    """Household B holds QQQX priced by its own import (1,000, 2,000): A asking for QQQX
    gets the provider's closes, never B's, and B's security is left as it was."""
    settings.PRICE_PROVIDER = "demo"
    bravo = account_create(household=cast.household_b, name="Private", type="taxable")
    private = SecurityFactory(symbol="QQQX")
    TransactionFactory(
        account=bravo,
        trade_date=date(2026, 1, 5),
        type="BUY",
        security=private,
        quantity=D(1),
        price=D(1000),
        amount=D(1000),
    )
    Price.objects.create(security=private, date=date(2026, 1, 5), close=D(1000))
    Price.objects.create(security=private, date=date(2026, 6, 1), close=D(2000))
    response = client_for(cast.owner).get(
        f"/api/v1/performance/?start={START}&end={END}&benchmark=QQQX"
    )
    assert response.status_code == 200
    expected = _demo_return("QQQX", START, END)
    assert D(response.json()["benchmark_twr"]) == pytest.approx(expected, abs=D("1e-9"))
    assert Price.objects.filter(security=private).count() == 2
    assert Security.objects.filter(symbol="QQQX").count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_default_without_closes_in_the_period_keeps_the_period(cast, valued, settings):
    """LATE's only close is 06-29: over February and March the default cannot compare, so
    the page shows that period's figures without it and says why."""
    settings.PRICE_PROVIDER = "demo"
    Price.objects.create(security=SecurityFactory(symbol="LATE"), date=date(2026, 6, 29), close=1)
    valued.default_benchmark = "LATE"
    valued.save(update_fields=["default_benchmark"])
    client = Client()
    client.force_login(cast.owner)
    page = client.get("/performance/?start=2026-02-02&end=2026-03-31")
    assert page.status_code == 200
    assert (page.context["window"].start, page.context["window"].end) == (
        date(2026, 2, 2),
        date(2026, 3, 31),
    )
    assert page.context["summary"].benchmark_twr is None
    assert "default benchmark LATE" in page.context["error"]
    # the API: the figures of the period, without the benchmark fields
    body = client_for(cast.owner).get("/api/v1/performance/?start=2026-02-02&end=2026-03-31")
    assert body.status_code == 200 and "benchmark_twr" not in body.json()


@pytest.mark.parametrize("spec", ["A" * 33, "VTI:60,<script>:40", "VT I"])
def test_a_benchmark_that_is_not_a_ticker_is_refused_by_name(cast, spec):
    client = Client()
    client.force_login(cast.owner)
    response = client.get("/api/v1/performance/", {"benchmark": spec})
    assert response.status_code == 400
    assert "benchmark" in response.json()["errors"]
