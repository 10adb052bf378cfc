"""`performance/` and `performance/series/` through HTTP, against published figures.

Each expected number is derived in a comment or taken from the references in
tests/reference/README.md, cited in the test's docstring.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from portfolios.models import Price, Transaction
from portfolios.services.households import account_create, household_create
from reporting.models import Benchmark
from reporting.services.valuations import valuations_rebuild
from tests.conftest import client_for
from tests.portfolios.factories import SecurityFactory, TransactionFactory
from tests.reporting.demo03 import demo03_household

pytestmark = [pytest.mark.django_db, pytest.mark.api]


@pytest.fixture
def demo03(django_capture_on_commit_callbacks):
    """PP demo portfolio 03, valued up to the manual's "today", 2023-06-12."""
    with django_capture_on_commit_callbacks(execute=False):
        household = demo03_household()
    result = valuations_rebuild(household=household, today=date(2023, 6, 12))
    assert result.problems == []
    return client_for(get_user_model().objects.get(username="pp-demo"))


def test_demo03_two_years_match_the_manual(demo03):
    """pp-demo-portfolio-03 expected.md: TTWROR 25.58%, IRR 17.63%, 177.94 -> 426.82 EUR.

    Start: 10 SHARE1 x 17.794 (Friday's close carried to Saturday 2021-06-12) = 177.94.
    End: 10 x 19.006 + 8 x 13.97 + 125.00 cash = 426.82. Net flows in (start, end]: the
    deposits of 84.00 and 67.00 = 151.00.
    """
    # when
    response = demo03.get("/api/v1/performance/?start=2021-06-12&end=2023-06-12")
    # then
    assert response.status_code == 200
    body = response.json()
    assert Decimal(body["twr"]) == pytest.approx(Decimal("0.2558"), abs=Decimal("0.0001"))
    assert Decimal(body["irr"]) == pytest.approx(Decimal("0.1763"), abs=Decimal("0.0001"))
    assert body["start_value"] == "177.94"
    assert body["end_value"] == "426.82"
    assert body["net_flows"] == "151.00"
    # 730 days: (1.255768)^(365/730) - 1 = 12.06% a year
    assert Decimal(body["twr_annualized"]) == pytest.approx(Decimal("0.1206"), abs=Decimal("1e-4"))
    assert len(body["twr"].split(".")[1]) == 10  # ratios as 10-place decimal strings


def test_demo03_three_year_irr_counts_the_empty_start(demo03):
    """pp-demo-portfolio-03 expected.md: IRR 20.28% for 2020-06-12 -> 2023-06-12.

    The portfolio is empty before 2021-01-15, so the start value is 0 and the flows are the
    three deposits 155, 84 and 67 (net flows 306.00).
    """
    body = demo03.get("/api/v1/performance/?start=2020-06-12&end=2023-06-12").json()
    assert Decimal(body["irr"]) == pytest.approx(Decimal("0.2028"), abs=Decimal("0.0001"))
    assert body["start_value"] == "0.00"
    assert body["net_flows"] == "306.00"


def test_demo03_checkpoints_through_the_series_csv(demo03):
    """pp-demo-portfolio-03 expected.md, manual Fig. 3: 2022-01-13 160.26 / -9.94%,
    2022-01-14 (deposit 84) 239.43 / -11.72%, measured from 2021-06-12."""
    # when
    response = demo03.get("/api/v1/performance/series/?start=2021-06-12&end=2023-06-12&format=csv")
    # then: every calendar day is a row (730 days after the base day, plus the base day)
    lines = response.content.decode().splitlines()
    assert lines[0] == "date,value,net_flows,cumulative_twr,benchmark_cumulative"
    assert len(lines) == 1 + 731
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert rows["2022-01-13"][1] == "160.26"
    assert float(rows["2022-01-13"][3]) == pytest.approx(-0.0994, abs=1e-4)
    assert rows["2022-01-14"][1:3] == ["239.43", "84.00"]
    assert float(rows["2022-01-14"][3]) == pytest.approx(-0.1172, abs=1e-4)
    assert rows["2021-06-12"][2:] == ["0.00", "0.0000000000", ""]


def test_series_json_is_paginated(demo03):
    body = demo03.get("/api/v1/performance/series/?start=2023-06-01&page_size=5").json()
    assert body["count"] == 12  # 2023-06-01 .. 2023-06-12
    assert len(body["results"]) == 5
    assert body["next"]
    assert body["results"][0] == {
        "date": "2023-06-01",
        "value": body["results"][0]["value"],
        "net_flows": "0.00",
        "cumulative_twr": "0.0000000000",
        "benchmark_cumulative": None,
    }


def test_benchmark_blend_and_stored_benchmark_agree(demo03):
    # given a stored 50/50 blend of the two shares, and the same blend spelled out
    household_id = get_user_model().objects.get(username="pp-demo").memberships.get().household_id
    Benchmark.objects.create(
        household_id=household_id,
        name="Half and half",
        components=[{"symbol": "SHARE1", "weight": "0.5"}, {"symbol": "SHARE2", "weight": "0.5"}],
    )
    query = "/api/v1/performance/?start=2022-06-12&end=2023-06-12&benchmark="
    # when
    stored = demo03.get(query + "half and half").json()
    spelled = demo03.get(query + "SHARE1:50,SHARE2:50").json()
    # then
    assert stored == spelled
    for field in ("benchmark_twr", "beta", "tracking_error", "benchmark_max_drawdown"):
        assert stored[field] is not None
    assert Decimal(stored["excess_return"]) == Decimal(stored["twr"]) - Decimal(
        stored["benchmark_twr"]
    )


def test_single_ticker_benchmark_of_share2(demo03):
    """SHARE2 alone from 2022-09-30 (8.00, bought there) to 2023-06-12 (13.97): the manual's
    TTWROR of share-2 is 69.33%, a buy-and-hold of its closes: 13.97 / 8.25 - 1 with the
    close of 2022-09-30 being 8.25."""
    body = demo03.get(
        "/api/v1/performance/?start=2022-09-30&end=2023-06-12&benchmark=SHARE2"
    ).json()
    closes = dict(
        Price.objects.filter(
            security__symbol="SHARE2", date__in=[date(2022, 9, 30), date(2023, 6, 12)]
        ).values_list("date", "close")
    )
    expected = closes[date(2023, 6, 12)] / closes[date(2022, 9, 30)] - 1
    assert Decimal(body["benchmark_twr"]) == pytest.approx(expected, abs=Decimal("1e-9"))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2023-13-01", "start"),
        ("start=2023-06-01&end=2023-01-01", "end"),
        ("account=Nope", "account"),
        ("sleeve=Nope", "sleeve"),
        ("benchmark=SHARE1:70,SHARE2:20", "benchmark"),
        ("period=2W", "period"),
    ],
)
def test_bad_parameters_answer_400_naming_the_field(demo03, query, field):
    response = demo03.get(f"/api/v1/performance/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"]


def test_other_households_account_is_unknown_and_their_data_unreachable(cast, demo03):
    # given household A's account
    account = account_create(household=cast.household_a, name="Joint", type="taxable")
    client = client_for(get_user_model().objects.get(username="pp-demo"))
    # when / then: A's account is not Demo03's (400 naming it), A's household is 404
    response = client.get(f"/api/v1/performance/?account={account.pk}")
    assert response.status_code == 400
    assert "account" in response.json()["errors"]
    response = client.get(f"/api/v1/performance/?household={cast.household_a.pk}")
    assert response.status_code == 404
    # and A's own members see no valuation of Demo03: an empty summary, no rows
    body = client_for(cast.viewer).get("/api/v1/performance/").json()
    assert body["twr"] is None and body["end_value"] == "0.00"
    assert client_for(cast.viewer).get("/api/v1/performance/series/").json()["count"] == 0


def test_anonymous_is_401(demo03):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/performance/").status_code == 401


def test_performance_csv_is_one_row_with_benchmark_columns(demo03):
    response = demo03.get(
        "/api/v1/performance/?start=2022-06-12&end=2023-06-12&benchmark=SHARE1&format=csv"
    )
    lines = response.content.decode().splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert lines[0].split(",")[:3] == ["twr", "twr_annualized", "irr"]
    assert lines[0].endswith("excess_return,beta,tracking_error")
    assert len(lines) == 2


def test_performance_reads_few_queries(demo03, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert demo03.get("/api/v1/performance/?period=1Y&benchmark=SHARE1").status_code == 200
    with django_assert_max_num_queries(8):
        response = demo03.get("/api/v1/performance/series/?format=csv&benchmark=SHARE1")
        assert response.status_code == 200


# --- Published cases through stored series ------------------------------------------------


@pytest.fixture
def household(cast):
    return cast.household_a


def _txn(account, day, kind, **fields):
    return TransactionFactory(account=account, trade_date=day, type=kind, **fields)


def test_portfolio_performance_excel_sample_cash_only(cast, household):
    """Portfolio Performance ClientIndexTest#testExcelSample (reference case 1): cumulative
    TTWROR -5.6182678% over 2011-12-31 -> 2012-01-08, within 1e-5; a deposit on the last
    day (alone, on 2012-01-09) does not change it
    (testThatDepositsOnTheLastDayArePerformanceNeutral)."""
    # given one cash account with the sample's transactions
    account = account_create(household=household, name="Cash", type="cash")
    d = date(2011, 12, 31)
    _txn(account, d, "DEPOSIT", amount=Decimal("10000"))
    for offset, kind, amount in [
        (1, "INTEREST", "230"),
        (2, "DEPOSIT", "200"),
        (2, "INTEREST", "200"),
        (3, "WITHDRAWAL", "400"),
        (3, "FEE", "234.41"),
        (4, "INTEREST", "293.99"),
        (5, "INTEREST", "293.99"),
        (6, "DEPOSIT", "5400"),
        (6, "INTEREST", "195.99"),
        (7, "WITHDRAWAL", "3697.04"),
        (7, "FEE", "882.52"),
        (8, "FEE", "1003.85"),
        (9, "DEPOSIT", "777"),
    ]:
        _txn(account, d + timedelta(days=offset), kind, amount=Decimal(amount))
    valuations_rebuild(household=household, today=date(2012, 1, 9))
    client = client_for(cast.owner)
    # when
    sample = client.get("/api/v1/performance/?start=2011-12-31&end=2012-01-08").json()
    with_deposit = client.get("/api/v1/performance/?start=2011-12-31&end=2012-01-09").json()
    # then
    assert float(sample["twr"]) == pytest.approx(-0.056182678, abs=1e-5)
    assert sample["start_value"] == "10000.00"
    # 10000 + 230 + 200 + 200 - 400 - 234.41 + 293.99 x 2 + 5400 + 195.99 - 3697.04
    # - 882.52 - 1003.85 = 10596.15, the sample's last value
    assert sample["end_value"] == "10596.15"
    # 2012-01-09: (10596.15 + 777) / (10596.15 + 777) - 1 = 0
    assert with_deposit["twr"] == sample["twr"]
    assert with_deposit["end_value"] == "11373.15"


def test_cfa_twr_versus_mwr(cast, household):
    """CFA Level I (reference case 4): one share at 100; a year later a dividend of 2 and a
    second share at 120; a year after that 2 per share and both sold at 130.

    Laid on days so each flow falls where the textbook puts it: the first year's price
    move and dividend close on 2021-12-31, the second purchase on 2022-01-01 (365 days
    after 2021-01-01), the second year's close on 2022-12-31 and the sale on 2023-01-01.
    TWR = sqrt(1.22 x 1.10) - 1 = 15.84% a year over 730 days; MWR from -100, -118 (a year
    later), +264 (two years later) = 13.86%.
    """
    # given
    share = SecurityFactory(symbol="CFA")
    account = account_create(household=household, name="Brokerage", type="taxable")
    for day, close in [
        (date(2021, 1, 1), 100),
        (date(2021, 12, 31), 120),
        (date(2022, 12, 31), 130),
    ]:
        Price.objects.create(security=share, date=day, close=Decimal(close))
    t0, t1, t2 = date(2021, 1, 1), date(2022, 1, 1), date(2023, 1, 1)
    _txn(account, t0, "DEPOSIT", amount=Decimal(100))
    _txn(
        account,
        t0,
        "BUY",
        security=share,
        quantity=Decimal(1),
        price=Decimal(100),
        amount=Decimal(100),
    )
    _txn(account, t1 - timedelta(days=1), "DIVIDEND", security=share, amount=Decimal(2))
    _txn(account, t1, "DEPOSIT", amount=Decimal(118))
    _txn(
        account,
        t1,
        "BUY",
        security=share,
        quantity=Decimal(1),
        price=Decimal(120),
        amount=Decimal(120),
    )
    _txn(account, t2 - timedelta(days=1), "DIVIDEND", security=share, amount=Decimal(4))
    _txn(
        account,
        t2,
        "SELL",
        security=share,
        quantity=Decimal(2),
        price=Decimal(130),
        amount=Decimal(260),
    )
    _txn(account, t2, "WITHDRAWAL", amount=Decimal(264))
    valuations_rebuild(household=household, today=t2)
    # when
    body = client_for(cast.owner).get(f"/api/v1/performance/?start={t0}&end={t2}").json()
    # then
    assert float(body["twr"]) == pytest.approx(1.22 * 1.10 - 1, abs=1e-9)
    assert float(body["twr_annualized"]) == pytest.approx(0.1584, abs=1e-4)
    assert float(body["irr"]) == pytest.approx(0.1386, abs=1e-4)
    assert body["start_value"] == "100.00" and body["end_value"] == "0.00"
    assert body["net_flows"] == "-146.00"  # +118 - 264


def test_before_the_first_valuation_figures_are_empty(cast):
    body = client_for(cast.owner).get("/api/v1/performance/").json()
    assert body["twr"] is None and body["irr"] is None
    assert body["start_value"] == body["end_value"] == body["net_flows"] == "0.00"


def test_performance_of_an_account_by_name_and_a_sleeve(cast, household):
    # given two accounts, one in the core sleeve, with a deposit each
    core = household.sleeves.get(name="core")
    joint = account_create(household=household, name="Joint", type="taxable", default_sleeve=core)
    ira = account_create(household=household, name="IRA", type="roth_ira")
    _txn(joint, date(2024, 1, 2), "DEPOSIT", amount=Decimal(1000))
    _txn(ira, date(2024, 1, 2), "DEPOSIT", amount=Decimal(500))
    _txn(ira, date(2024, 1, 3), Transaction.Type.INTEREST, amount=Decimal(5))
    household_create(name="Other", owner_username="olga")
    valuations_rebuild(household=household, today=date(2024, 1, 10))
    client = client_for(cast.owner)
    # when
    by_name = client.get("/api/v1/performance/?account=IRA&start=2024-01-02").json()
    by_sleeve = client.get("/api/v1/performance/?sleeve=core&start=2024-01-02").json()
    # then: the IRA earned 5 on 500 = 1%; the core sleeve (Joint) nothing
    assert float(by_name["twr"]) == pytest.approx(0.01, abs=1e-12)
    assert by_name["end_value"] == "505.00"
    assert by_sleeve["end_value"] == "1000.00" and float(by_sleeve["twr"]) == 0
