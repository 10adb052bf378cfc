"""`allocation/` and the allocation page's tables (proposals: ``test_api_rebalancing.py``).

Time is frozen at 2025-06-02; every expected number is worked out by hand in the comments.
"""

from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from portfolios.models import Account, Sleeve, Target
from tests.conftest import client_for, token_client
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit

pytestmark = [pytest.mark.api, pytest.mark.django_db]
D = Decimal


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel("2025-06-02 12:00Z", tick=False):
        yield


@pytest.fixture
def policy(cast):
    """One sleeve, core 100%, targeting us_equity 60 / bonds 40 (default band 5 pp)."""
    Sleeve.objects.filter(household=cast.household_a).update(target_weight=D(0))
    core = Sleeve.objects.get(household=cast.household_a, name="core")
    core.target_weight = D(100)
    core.save(update_fields=["target_weight"])
    us = Target.objects.create(sleeve=core, asset_class="us_equity", target_weight=D(60))
    bonds = Target.objects.create(sleeve=core, asset_class="bonds", target_weight=D(40))
    return {"core": core, "us_equity": us, "bonds": bonds}


@pytest.fixture
def portfolio(cast, policy):
    """IRA (core sleeve): 50 VTI for 5,000. Joint (no sleeve): 20 VTI for 1,000, 30 BND for
    3,000. Closes VTI 100, BND 100: VTI 7,000, BND 3,000, no cash, total 10,000."""
    ira = AccountFactory(
        household=cast.household_a,
        name="IRA",
        type=Account.Type.TRADITIONAL_IRA,
        default_sleeve=policy["core"],
    )
    joint = AccountFactory(household=cast.household_a, name="Joint")
    vti = SecurityFactory(symbol="VTI")
    bnd = SecurityFactory(symbol="BND", asset_class="bonds")
    deposit(ira, "2024-01-02", 5000)
    buy(ira, "2024-01-02", vti, 50, 5000)
    deposit(joint, "2024-01-02", 4000)
    buy(joint, "2024-01-02", vti, 20, 1000)
    buy(joint, "2024-01-02", bnd, 30, 3000)
    close(vti, "2025-05-30", 100)
    close(bnd, "2025-05-30", 100)
    call_command("recompute", stdout=None)
    return {"ira": ira, "joint": joint, "vti": vti, "bnd": bnd}


@pytest.fixture
def owner_api(cast):
    return client_for(cast.owner)


def results(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


# allocation/


def test_allocation_by_asset_class_flags_us_equity_over_and_bonds_under(portfolio, owner_api):
    rows = results(owner_api, "/api/v1/allocation/")
    # us_equity 7,000 / 10,000 = 0.7 against 0.6: drift +0.1 beyond the 5 pp band
    # bonds 3,000 / 10,000 = 0.3 against 0.4: drift -0.1
    assert rows == [
        {
            "asset_class": "us_equity",
            "value": "7000",
            "weight": "0.7",
            "target": "0.6",
            "drift": "0.1",
            "band": "0.05",
            "status": "over",
        },
        {
            "asset_class": "bonds",
            "value": "3000",
            "weight": "0.3",
            "target": "0.4",
            "drift": "-0.1",
            "band": "0.05",
            "status": "under",
        },
    ]


def test_allocation_by_sleeve_and_by_account(portfolio, owner_api):
    sleeves = {row["sleeve"]: row for row in results(owner_api, "/api/v1/allocation/?by=sleeve")}
    # IRA's 5,000 is core: 0.5 against 1.0; Joint has no sleeve: 0.5 unassigned
    assert (sleeves["core"]["weight"], sleeves["core"]["drift"]) == ("0.5", "-0.5")
    assert sleeves["core"]["status"] == "under"
    assert (sleeves["unassigned"]["target"], sleeves["unassigned"]["status"]) == (
        None,
        "untargeted",
    )
    # income and growth hold nothing against 0%: ok
    assert (sleeves["income"]["value"], sleeves["income"]["status"]) == ("0", "ok")
    accounts = results(owner_api, "/api/v1/allocation/?by=account")
    assert [(r["account"], r["weight"], r["target"]) for r in accounts] == [
        ("IRA", "0.5", None),
        ("Joint", "0.5", None),
    ]


def test_cash_counts_as_its_own_class_and_in_its_accounts_sleeve(portfolio, owner_api):
    # given 2,500 more cash in the IRA: total 12,500
    deposit(portfolio["ira"], "2025-06-01", 2500)
    call_command("recompute", stdout=None)
    classes = {r["asset_class"]: r for r in results(owner_api, "/api/v1/allocation/")}
    # cash 2,500 / 12,500 = 0.2, untargeted; us_equity 7,000 / 12,500 = 0.56: within 5 pp
    assert (classes["cash"]["weight"], classes["cash"]["status"]) == ("0.2", "untargeted")
    assert (classes["us_equity"]["weight"], classes["us_equity"]["status"]) == ("0.56", "ok")
    # and core holds the IRA's 5,000 + 2,500 = 7,500 / 12,500 = 0.6
    sleeves = {r["sleeve"]: r for r in results(owner_api, "/api/v1/allocation/?by=sleeve")}
    assert sleeves["core"]["value"] == "7500"
    assert sleeves["core"]["weight"] == "0.6"


def test_relative_band_is_a_share_of_the_target(portfolio, policy, owner_api):
    # given bands of ±20% of target: us_equity 0.6 x 0.2 = 0.12, bonds 0.4 x 0.2 = 0.08
    Target.objects.filter(sleeve=policy["core"]).update(band=D(20), band_kind="relative")
    classes = {r["asset_class"]: r for r in results(owner_api, "/api/v1/allocation/")}
    # then us_equity +0.1 stays inside 0.12, bonds -0.1 falls outside 0.08
    assert (classes["us_equity"]["band"], classes["us_equity"]["status"]) == ("0.12", "ok")
    assert (classes["bonds"]["band"], classes["bonds"]["status"]) == ("0.08", "under")


def test_bad_grouping_names_by(portfolio, owner_api):
    response = owner_api.get("/api/v1/allocation/?by=color")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["by"])


# CSV, isolation, roles, the page


def test_csv_columns(portfolio, owner_api):
    allocation = owner_api.get("/api/v1/allocation/?by=sleeve&format=csv").content.decode()
    assert allocation.splitlines()[0] == "sleeve,value,weight,target,drift,band,status"


def test_household_b_sees_nothing_of_household_a(cast, portfolio):
    outsider = client_for(cast.outsider)
    assert outsider.get("/api/v1/allocation/").json()["count"] == 0
    assert outsider.get("/api/v1/allocation/?by=account").json()["count"] == 0


def test_viewer_and_read_token_can_read_and_anonymous_cannot(cast, portfolio, api_client):
    viewer = client_for(cast.viewer)
    token, _ = token_client(cast.viewer, cast.household_a, scope="read")
    for route in ("allocation",):
        assert viewer.get(f"/api/v1/{route}/").status_code == 200, route
        assert token.get(f"/api/v1/{route}/").status_code == 200, route
        assert api_client.get(f"/api/v1/{route}/").status_code == 401, route


def test_allocation_page_shows_both_tables(cast, portfolio):
    client = Client()
    client.force_login(cast.viewer)
    response = client.get("/portfolio/allocation/")
    html = response.content.decode()
    assert response.status_code == 200
    for table in ("allocation-asset-class", "allocation-sleeve"):
        assert f'id="{table}"' in html
    assert "status-over" in html
    assert 'href="/portfolio/allocation/"' in html


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # membership, ledger state, the holdings report (later-transactions check,
        # positions, securities, prices, accounts, cash per account: the balances the
        # rebuild stored, then the accounts), accounts with sleeves, targets (or sleeves)
        ("/api/v1/allocation/", 11),
        ("/api/v1/allocation/?by=sleeve", 11),
    ],
)
def test_endpoints_run_a_fixed_number_of_queries(
    cast, portfolio, django_assert_num_queries, url, queries
):
    client = client_for(cast.owner)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
