"""Household isolation: every registered URL, for every member of the cast."""

from decimal import Decimal

import pytest
from django.test import Client

from portfolios.models import Transaction
from tests.conftest import client_for, token_client
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory

pytestmark = pytest.mark.api


@pytest.fixture
def ledger(cast):
    """One account with a deposit and a buy in each household."""
    vti = SecurityFactory(symbol="VTI")
    bnd = SecurityFactory(symbol="BND")
    account_a = AccountFactory(household=cast.household_a, name="Joint")
    account_b = AccountFactory(household=cast.household_b, name="Bravo Brokerage")
    TransactionFactory(account=account_a, amount=Decimal("5000"))
    TransactionFactory(
        account=account_a,
        type=Transaction.Type.BUY,
        security=vti,
        quantity=Decimal("10"),
        price=Decimal("200"),
        amount=Decimal("2000"),
        fees=Decimal("1.50"),
    )
    TransactionFactory(account=account_b, amount=Decimal("900"))
    TransactionFactory(
        account=account_b,
        type=Transaction.Type.BUY,
        security=bnd,
        quantity=Decimal("5"),
        price=Decimal("70"),
        amount=Decimal("350"),
    )
    return {"a": account_a, "b": account_b, "vti": vti, "bnd": bnd}


def test_anonymous_gets_401_from_every_api_route(ledger, api_client):
    for url in ["/api/v1/accounts/", f"/api/v1/accounts/{ledger['a'].pk}/", "/api/v1/securities/"]:
        response = api_client.get(url)
        assert response.status_code == 401, url
        assert response.json()["detail"]
        assert response.json()["errors"] == {}


def test_member_sees_only_own_household_accounts_with_cash(cast, ledger):
    # given a deposit of 5000 and a buy of 10 × 200 = 2000 plus 1.50 fees
    # when
    response = client_for(cast.viewer).get("/api/v1/accounts/")
    # then cash = 5000 − 2000 − 1.50 = 2998.50, and Bravo's account is absent
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["name"] == "Joint"
    assert Decimal(body["results"][0]["cash_balance"]) == Decimal("2998.50")


def test_other_households_objects_answer_404(cast, ledger):
    client = client_for(cast.outsider)
    assert client.get(f"/api/v1/accounts/{ledger['a'].pk}/").status_code == 404
    assert client.get(f"/api/v1/securities/{ledger['vti'].pk}/").status_code == 404
    assert client.get(f"/api/v1/accounts/?household={cast.household_a.pk}").status_code == 404
    own = client.get("/api/v1/securities/").json()
    assert [row["symbol"] for row in own["results"]] == ["BND"]


def test_household_parameter_picks_among_several(cast, ledger):
    # given alice also helps in Bravo as a viewer
    from portfolios.services.households import membership_add

    membership_add(household=cast.household_b, username="alice", role="viewer")
    client = client_for(cast.owner)
    # when / then
    names_a = [r["name"] for r in client.get("/api/v1/accounts/").json()["results"]]
    names_b = [
        r["name"]
        for r in client.get(f"/api/v1/accounts/?household={cast.household_b.pk}").json()["results"]
    ]
    assert names_a == ["Joint"]
    assert names_b == ["Bravo Brokerage"]
    assert client.get("/api/v1/accounts/?household=abc").status_code == 404


def test_read_token_in_header_and_query_string(cast, ledger):
    client, raw_key = token_client(cast.viewer, cast.household_a, scope="read")
    assert client.get("/api/v1/accounts/").status_code == 200
    anonymous = Client()
    response = anonymous.get(f"/api/v1/accounts/?token={raw_key}&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("id,name,institution,number,type,tax_treatment")
    assert "Joint" in lines[1]
    assert "2998.5" in lines[1]


def test_write_token_is_refused_in_query_string(cast, ledger):
    _, raw_key = token_client(cast.owner, cast.household_a, scope="write")
    response = Client().get(f"/api/v1/accounts/?token={raw_key}")
    assert response.status_code == 401


def test_bad_or_revoked_token_is_401(cast, ledger):
    client, _ = token_client(cast.owner, cast.household_a)
    from django.utils import timezone

    from portfolios.models import ApiToken

    ApiToken.objects.update(revoked_at=timezone.now())
    assert client.get("/api/v1/accounts/").status_code == 401
    bad = Client(HTTP_AUTHORIZATION="Token hr_nothing.secret")
    assert bad.get("/api/v1/accounts/").status_code == 401


def test_token_of_household_a_cannot_reach_household_b(cast, ledger):
    client, _ = token_client(cast.owner, cast.household_a)
    assert client.get(f"/api/v1/accounts/?household={cast.household_b.pk}").status_code == 404
    assert client.get(f"/api/v1/accounts/{ledger['b'].pk}/").status_code == 404


def test_csv_accept_header_and_every_row_unpaginated(cast, ledger):
    for n in range(3):
        AccountFactory(household=cast.household_a, name=f"Extra {n}")
    client = client_for(cast.owner)
    response = client.get("/api/v1/accounts/?page_size=1", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert len(response.content.decode().splitlines()) == 1 + 4
    paged = client.get("/api/v1/accounts/?page_size=1").json()
    assert paged["count"] == 4
    assert len(paged["results"]) == 1
    assert paged["next"]


def test_unknown_api_path_is_json_404(cast):
    response = client_for(cast.owner).get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}


def test_schema_and_docs_are_served_without_cdn(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/accounts/" in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.parametrize("role", ["owner", "member", "viewer"])
def test_household_members_see_dashboard_and_accounts(cast, ledger, role):
    client = Client()
    client.force_login(getattr(cast, role))
    page = client.get("/")
    assert page.status_code == 200
    assert b"Joint" in page.content
    assert b"Bravo Brokerage" not in page.content
    assert client.get(f"/portfolio/accounts/{ledger['a'].pk}/").status_code == 200
    assert client.get(f"/portfolio/accounts/{ledger['b'].pk}/").status_code == 404


def test_anonymous_pages_redirect_to_login(ledger):
    client = Client()
    for url in ["/", f"/portfolio/accounts/{ledger['a'].pk}/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_household_switcher_refuses_foreign_household(cast, ledger):
    client = Client()
    client.force_login(cast.owner)
    response = client.post("/households/switch/", {"household": cast.household_b.pk})
    assert response.status_code == 404
    from portfolios.services.households import membership_add

    membership_add(household=cast.household_b, username="alice", role="viewer")
    response = client.post("/households/switch/", {"household": cast.household_b.pk, "next": "/"})
    assert response.status_code == 302
    page = client.get("/")
    assert b"Bravo Brokerage" in page.content
    assert b"Joint" not in page.content


def test_pages_show_times_in_the_household_time_zone(cast, ledger):
    # given an alert opened at 2026-01-15 15:30 UTC, which is 10:30 in New York (EST, UTC−5)
    from datetime import UTC, datetime

    from alerts.models import AlertEpisode, AlertRule

    rule = AlertRule.objects.get(household=cast.household_a, kind="drawdown", scope="household")
    opened = datetime(2026, 1, 15, 15, 30, tzinfo=UTC)
    AlertEpisode.objects.create(
        rule=rule, household=cast.household_a, subject="household", message="down",
        opened_at=opened, last_seen_at=opened,
    )  # fmt: skip
    client = Client()
    client.force_login(cast.owner)
    # when / then (households default to America/New_York)
    assert b"opened Jan 15, 2026 10:30" in client.get("/alerts/").content
