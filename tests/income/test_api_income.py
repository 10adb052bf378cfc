"""The income routes: `income/`, `income/projection/`, `income/calendar/` (DESIGN §5).

Today is frozen at Thursday 10 April 2025, noon in New York; the `received` and `holdings`
fixtures (conftest) describe the household's income.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from income.services.projections import projections_rebuild
from portfolios.models import Transaction
from tests.conftest import client_for, token_client
from tests.income.builders import income

pytestmark = [pytest.mark.api, pytest.mark.usefixtures("frozen_today")]
D = Decimal


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        # 200 | 5 | 85 + 20 | 52.50 + 12.34 | 51 + 52.50; return of capital left out
        (
            "month",
            [
                ("2024-11-01", "200"),
                ("2024-12-01", "5"),
                ("2025-01-01", "105"),
                ("2025-02-01", "64.84"),
                ("2025-03-01", "103.5"),
            ],
        ),
        # by source name; the reinvested and the paid O dividend are both ordinary
        (
            "source",
            [
                ("bond_coupon", "200"),
                ("capital_gain_distribution", "5"),
                ("interest", "12.34"),
                ("option_premium", "85"),
                ("ordinary_dividend", "105"),
                ("preferred_dividend", "20"),
                ("qualified_dividend", "51"),
            ],
        ),
        # IRA 52.50 * 2; Taxable 200 + 5 + 85 + 20 + 12.34 + 51 = 373.34
        ("account", [("IRA", "105"), ("Taxable", "373.34")]),
        # cash interest has no symbol; KO 5 + 85 + 51 = 141
        (
            "symbol",
            [("", "12.34"), ("KO", "141"), ("O", "105"), ("PFF", "20"), ("UST", "200")],
        ),
    ],
)
def test_received_income_one_row_per_group(cast, received, group_by, expected):
    # given the income above

    # when
    response = client_for(cast.owner).get(f"/api/v1/income/?group_by={group_by}")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(expected)
    assert [(row[group_by], row["amount"]) for row in body["results"]] == expected
    assert all(set(row) == {group_by, "amount"} for row in body["results"])


def test_received_income_defaults_to_months_and_filters_by_dates(cast, received):
    # when January to February 2025 is asked for
    client = client_for(cast.owner)
    default = client.get("/api/v1/income/").json()
    response = client.get("/api/v1/income/?start=2025-01-01&end=2025-02-28&group_by=source")

    # then group_by defaults to month; January-February holds 85 + 20 + 52.50 + 12.34
    assert [row["month"] for row in default["results"]][:2] == ["2024-11-01", "2024-12-01"]
    assert [(r["source"], r["amount"]) for r in response.json()["results"]] == [
        ("interest", "12.34"),
        ("option_premium", "85"),
        ("ordinary_dividend", "52.5"),
        ("preferred_dividend", "20"),
    ]


def test_received_income_as_csv_has_every_row(cast, received):
    # when
    response = client_for(cast.owner).get("/api/v1/income/?group_by=month&format=csv&page_size=2")

    # then one header and the five months, unpaginated
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines() == [
        "month,amount",
        "2024-11-01,200",
        "2024-12-01,5",
        "2025-01-01,105",
        "2025-02-01,64.84",
        "2025-03-01,103.5",
    ]


def test_received_income_through_a_read_token_in_the_query_string(cast, received):
    # given a spreadsheet's read token
    _, raw_key = token_client(cast.viewer, cast.household_a)

    # when
    response = Client().get(f"/api/v1/income/?group_by=account&format=csv&token={raw_key}")

    # then
    assert response.content.decode().splitlines() == [
        "account,amount",
        "IRA,105",
        "Taxable,373.34",
    ]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/income/?group_by=week", "group_by"),
        ("/api/v1/income/?start=yesterday", "start"),
        ("/api/v1/income/?start=2025-03-01&end=2025-02-01", "end"),
        ("/api/v1/income/projection/?months=0", "months"),
        ("/api/v1/income/projection/?months=25", "months"),
        ("/api/v1/income/projection/?months=twelve", "months"),
        ("/api/v1/income/calendar/?end=2025-13-01", "end"),
        ("/api/v1/income/calendar/?start=2025-05-01&end=2025-04-01", "end"),
    ],
)
def test_bad_parameters_answer_400_naming_the_field(cast, url, field):
    # when
    response = client_for(cast.owner).get(url)

    # then
    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert list(body["errors"]) == [field]


def test_projection_lists_the_next_months_declared_or_estimated(cast, holdings):
    # when the next three months are asked for (April to June 2025)
    response = client_for(cast.viewer).get("/api/v1/income/projection/?months=3")

    # then O pays 200 * 0.264 = 52.80 on each 15th (April declared), KO 100 * 0.51 = 51.00
    # declared for 13 June; nothing from before today
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [
        (
            r["month"],
            r["pay_date"],
            r["account"],
            r["symbol"],
            r["source"],
            r["amount"],
            r["status"],
        )
        for r in rows
    ] == [
        ("2025-04-01", "2025-04-15", "Roth", "O", "ordinary_dividend", "52.8", "declared"),
        ("2025-05-01", "2025-05-15", "Roth", "O", "ordinary_dividend", "52.8", "estimated"),
        ("2025-06-01", "2025-06-13", "Brokerage", "KO", "qualified_dividend", "51", "declared"),
        ("2025-06-01", "2025-06-15", "Roth", "O", "ordinary_dividend", "52.8", "estimated"),
    ]


def test_projection_defaults_to_12_months_and_csv_has_every_row(cast, holdings):
    # when
    client = client_for(cast.owner)
    body = client.get("/api/v1/income/projection/?page_size=5").json()
    csv_lines = client.get("/api/v1/income/projection/?format=csv").content.decode().splitlines()

    # then 12 O payments and 4 KO payments to 31 March 2026; 12 * 52.80 + 4 * 51 = 837.60
    assert body["count"] == 16
    assert len(body["results"]) == 5
    assert body["next"]
    assert csv_lines[0] == "month,pay_date,account,symbol,source,amount,status"
    assert len(csv_lines) == 1 + 16
    assert sum(D(line.split(",")[5]) for line in csv_lines[1:]) == D("837.6")
    assert csv_lines[-1] == "2026-03-01,2026-03-15,Roth,O,ordinary_dividend,52.8,estimated"


def test_calendar_marks_received_declared_and_estimated(cast, holdings):
    # when March to May 2025 is asked for
    response = client_for(cast.owner).get(
        "/api/v1/income/calendar/?start=2025-03-01&end=2025-05-31"
    )

    # then March's two payments were received, each with the ex-date of the event paid
    # nearest it (KO's paid 14 March, ex 28 February; O's paid 15 March, ex 5 March);
    # April's O is declared with its ex-date; May's is estimated, ex-date unknown
    assert response.status_code == 200
    rows = [
        (r["pay_date"], r["ex_date"], r["account"], r["symbol"], r["amount"], r["status"])
        for r in response.json()["results"]
    ]
    assert rows == [
        ("2025-03-14", "2025-02-28", "Brokerage", "KO", "51", "received"),
        ("2025-03-17", "2025-03-05", "Roth", "O", "52.5", "received"),
        ("2025-04-15", "2025-03-31", "Roth", "O", "52.8", "declared"),
        ("2025-05-15", None, "Roth", "O", "52.8", "estimated"),
    ]


def test_calendar_defaults_to_this_month_and_the_next_eleven_as_csv(cast, holdings):
    # when
    response = client_for(cast.owner).get("/api/v1/income/calendar/?format=csv")

    # then April 2025 to March 2026: the 16 expected payments, nothing received yet
    lines = response.content.decode().splitlines()
    assert lines[0] == "pay_date,ex_date,account,symbol,source,amount,status"
    assert len(lines) == 1 + 16
    assert lines[1] == "2025-04-15,2025-03-31,Roth,O,ordinary_dividend,52.8,declared"


def test_other_household_sees_nothing_of_a_and_cannot_pick_it(cast, holdings, received):
    # given household B's owner
    client = client_for(cast.outsider)

    # when / then B has no income and no projection of its own
    for url in ["/api/v1/income/", "/api/v1/income/projection/", "/api/v1/income/calendar/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.json()["count"] == 0, url
        assert client.get(f"{url}?household={cast.household_a.pk}").status_code == 404, url


def test_anonymous_gets_401(api_client):
    for url in ["/api/v1/income/", "/api/v1/income/projection/", "/api/v1/income/calendar/"]:
        assert api_client.get(url).status_code == 401, url


@pytest.mark.parametrize("role", ["owner", "member", "viewer"])
def test_every_member_can_read(cast, holdings, role):
    client = client_for(getattr(cast, role))
    for url in ["/api/v1/income/", "/api/v1/income/projection/", "/api/v1/income/calendar/"]:
        assert client.get(url).status_code == 200, url


def test_query_counts_are_pinned(cast, holdings, received, django_assert_num_queries):
    # given a current projection and many payments
    client = client_for(cast.owner)
    for month in range(1, 13):
        income(holdings["taxable"], date(2024, month, 28), "1", type=Transaction.Type.INTEREST)
    projections_rebuild(household=cast.household_a)

    # then membership + income rows
    with django_assert_num_queries(2):
        assert client.get("/api/v1/income/?group_by=symbol").status_code == 200
    # membership + the data's version + freshness check + the version again (the check
    # wrote nothing: it is not run again on this version) + projected rows
    with django_assert_num_queries(5):
        assert client.get("/api/v1/income/projection/").status_code == 200
    # membership + the version + projected rows
    with django_assert_num_queries(3):
        assert client.get("/api/v1/income/projection/").status_code == 200
    # membership + the version + received rows + their ex-dates + projected rows
    with django_assert_num_queries(5):
        response = client.get("/api/v1/income/calendar/?start=2024-01-01&end=2025-12-31")
        assert response.status_code == 200
