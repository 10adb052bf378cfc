"""`allocation/`, `rebalance/`, `harvest/` and the allocation page.

Time is frozen at 2025-06-02; every expected number is worked out by hand in the comments.
"""

from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from portfolios.models import Account, IdentityGroup, Sleeve, Target, TaxLot
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
    # and only bonds trade: 0.4 x 10,000 - 3,000 = 1,000, with no cash anywhere, in Joint
    # where the household's largest BND holding is: 1,000 / 100 = 10 shares
    trade = results(owner_api, "/api/v1/rebalance/")
    assert [
        (t["account"], t["action"], t["symbol"], t["amount"], t["quantity"]) for t in trade
    ] == [("Joint", "buy", "BND", "1000", "10")]
    assert trade[0]["reason"] == (
        "bonds 30.0% is below its 40.0% target by more than the 8.0 pp band"
    )


def test_bad_grouping_names_by(portfolio, owner_api):
    response = owner_api.get("/api/v1/allocation/?by=color")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["by"])


# rebalance/


def test_rebalance_sells_in_the_ira_first_and_buys_bonds_with_the_proceeds(portfolio, owner_api):
    trades = results(owner_api, "/api/v1/rebalance/")
    ira_lot = TaxLot.objects.get(account=portfolio["ira"])
    # then 7,000 - 0.6 x 10,000 = 1,000 of VTI is sold in the IRA (no tax): 10 shares
    # and the IRA, now holding the most cash (1,000), buys 1,000 of BND = 10 shares
    assert trades == [
        {
            "account": "IRA",
            "action": "sell",
            "symbol": "VTI",
            "asset_class": "us_equity",
            "amount": "1000",
            "quantity": "10",
            "lots": f"{ira_lot.pk} (2024-01-02)",
            "estimated_tax": "0",
            "reason": "us_equity 70.0% is above its 60.0% target by more than the 5.0 pp band",
        },
        {
            "account": "IRA",
            "action": "buy",
            "symbol": "BND",
            "asset_class": "bonds",
            "amount": "1000",
            "quantity": "10",
            "lots": "",
            "estimated_tax": "0",
            "reason": "bonds 30.0% is below its 40.0% target by more than the 5.0 pp band",
        },
    ]


def test_taxable_long_term_gain_is_taxed_at_the_qualified_rate(cast, policy, owner_api):
    # given only Joint: 80 VTI bought for 4,000 (50/share) on 2024-01-02, 40 BND for 2,000
    joint = AccountFactory(household=cast.household_a, name="Joint")
    vti, bnd = SecurityFactory(symbol="VTI"), SecurityFactory(symbol="BND", asset_class="bonds")
    deposit(joint, "2024-01-02", 6000)
    buy(joint, "2024-01-02", vti, 80, 4000)
    buy(joint, "2024-01-02", bnd, 40, 2000)
    close(vti, "2025-05-30", 100)
    close(bnd, "2025-05-30", 50)
    call_command("recompute", stdout=None)
    # when: VTI 8,000 + BND 2,000 = 10,000; us_equity 0.8 is over 0.6 by 0.2
    sell, buy_bonds = results(owner_api, "/api/v1/rebalance/")
    # then 8,000 - 6,000 = 2,000 = 20 shares, basis 20 x 50 = 1,000, long-term gain 1,000,
    # taxed at the default 15% qualified rate = 150
    assert (sell["account"], sell["amount"], sell["quantity"]) == ("Joint", "2000", "20")
    assert sell["estimated_tax"] == "150"
    # and 4,000 - 2,000 = 2,000 of BND at 50 = 40 shares in Joint
    assert (buy_bonds["symbol"], buy_bonds["amount"], buy_bonds["quantity"]) == (
        "BND",
        "2000",
        "40",
    )


def test_nothing_outside_its_band_proposes_nothing(cast, policy, owner_api):
    joint = AccountFactory(household=cast.household_a, name="Joint")
    vti, bnd = SecurityFactory(symbol="VTI"), SecurityFactory(symbol="BND", asset_class="bonds")
    deposit(joint, "2024-01-02", 10000)
    buy(joint, "2024-01-02", vti, 62, 6200)
    buy(joint, "2024-01-02", bnd, 38, 3800)
    close(vti, "2025-05-30", 100)
    close(bnd, "2025-05-30", 100)
    call_command("recompute", stdout=None)
    # 0.62 - 0.60 = 0.02 within 0.05
    assert owner_api.get("/api/v1/rebalance/").json()["count"] == 0


# harvest/


@pytest.fixture
def losses(cast):
    """Joint: 10 XYZ for 1,000 (2025-01-02), now at 70 = 700; 5 ABC for 500, now 600.
    Carol's IRA bought 2 XYZ for 140 on 2025-05-23 (10 days ago) and has an IRA loss lot."""
    joint, _ = Account.objects.get_or_create(household=cast.household_a, name="Joint")
    spouse_ira = AccountFactory(
        household=cast.household_a,
        name="Carol IRA",
        type=Account.Type.ROTH_IRA,
        owner=cast.member,
    )
    xyz, abc = SecurityFactory(symbol="XYZ"), SecurityFactory(symbol="ABC")
    deposit(joint, "2025-01-02", 1500)
    buy(joint, "2025-01-02", xyz, 10, 1000)
    buy(joint, "2025-01-02", abc, 5, 500)
    deposit(spouse_ira, "2024-01-02", 1000)
    buy(spouse_ira, "2024-01-02", abc, 5, 700)
    buy(spouse_ira, "2025-05-23", xyz, 2, 140)
    close(xyz, "2025-05-30", 70)
    close(abc, "2025-05-30", 120)
    call_command("recompute", stdout=None)
    return {"joint": joint, "spouse_ira": spouse_ira, "xyz": xyz, "abc": abc}


def test_harvest_lists_taxable_losses_with_wash_sale_conflicts(losses, owner_api):
    rows = results(owner_api, "/api/v1/harvest/")
    # only Joint's XYZ: 1,000 - 10 x 70 = 300 loss; ABC gains; the IRA's ABC loss
    # (700 - 600 = 100) is in a tax-exempt account; Carol's 2 XYZ are worth 140 = basis
    assert rows == [
        {
            "account": "Joint",
            "symbol": "XYZ",
            "acquired": "2025-01-02",
            "quantity": "10",
            "cost_basis": "1000",
            "market_value": "700",
            "loss": "300",
            "term": "short",
            "wash_sale_conflicts": ["Carol IRA XYZ 2025-05-23 2"],
        }
    ]


def test_harvest_sees_the_identity_group_and_filters_by_min_loss(cast, losses, owner_api):
    # given ITOT, in one identity group with XYZ, bought in Joint 20 days ago
    itot = SecurityFactory(symbol="ITOT")
    group = IdentityGroup.objects.create(household=cast.household_a, name="total market")
    group.securities.add(losses["xyz"], itot)
    deposit(losses["joint"], "2025-05-13", 50)
    buy(losses["joint"], "2025-05-13", itot, 1, 50)
    close(itot, "2025-05-30", 50)
    call_command("recompute", stdout=None)
    # when / then the conflicts are listed oldest first
    row = results(owner_api, "/api/v1/harvest/?min_loss=300")[0]
    assert row["wash_sale_conflicts"] == ["Joint ITOT 2025-05-13 1", "Carol IRA XYZ 2025-05-23 2"]
    # and a 300 loss is below a 300.01 threshold
    assert results(owner_api, "/api/v1/harvest/?min_loss=300.01") == []
    bad = owner_api.get("/api/v1/harvest/?min_loss=lots")
    assert (bad.status_code, list(bad.json()["errors"])) == (400, ["min_loss"])


# CSV, isolation, roles, the page


def test_csv_columns(portfolio, losses, owner_api):
    allocation = owner_api.get("/api/v1/allocation/?by=sleeve&format=csv").content.decode()
    rebalance = owner_api.get("/api/v1/rebalance/?format=csv").content.decode()
    harvest = owner_api.get("/api/v1/harvest/", HTTP_ACCEPT="text/csv").content.decode()
    assert allocation.splitlines()[0] == "sleeve,value,weight,target,drift,band,status"
    assert rebalance.splitlines()[0] == (
        "account,action,symbol,asset_class,amount,quantity,lots,estimated_tax,reason"
    )
    assert harvest.splitlines()[0] == (
        "account,symbol,acquired,quantity,cost_basis,market_value,loss,term,wash_sale_conflicts"
    )
    assert harvest.splitlines()[1] == (
        "Joint,XYZ,2025-01-02,10,1000,700,300,short,Carol IRA XYZ 2025-05-23 2"
    )


def test_household_b_sees_nothing_of_household_a(cast, portfolio, losses):
    outsider = client_for(cast.outsider)
    for route in ("allocation", "rebalance", "harvest"):
        assert outsider.get(f"/api/v1/{route}/").json()["count"] == 0, route
    assert outsider.get("/api/v1/allocation/?by=account").json()["count"] == 0


def test_viewer_and_read_token_can_read_and_anonymous_cannot(cast, portfolio, api_client):
    viewer = client_for(cast.viewer)
    token, _ = token_client(cast.viewer, cast.household_a, scope="read")
    for route in ("allocation", "rebalance", "harvest"):
        assert viewer.get(f"/api/v1/{route}/").status_code == 200, route
        assert token.get(f"/api/v1/{route}/").status_code == 200, route
        assert api_client.get(f"/api/v1/{route}/").status_code == 401, route


def test_allocation_page_shows_tables_proposal_and_candidates(cast, portfolio, losses):
    client = Client()
    client.force_login(cast.viewer)
    response = client.get("/portfolio/allocation/")
    html = response.content.decode()
    assert response.status_code == 200
    for table in ("allocation-asset-class", "allocation-sleeve", "rebalance-table"):
        assert f'id="{table}"' in html
    assert 'id="harvest-table"' in html
    assert "status-over" in html
    assert "Carol IRA XYZ 2025-05-23 2" in html
    assert 'href="/portfolio/allocation/"' in html


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # membership, ledger state, the holdings report (later-transactions check,
        # positions, securities, prices, accounts, cash per account: 3), accounts with
        # sleeves, targets (or sleeves)
        ("/api/v1/allocation/", 12),
        ("/api/v1/allocation/?by=sleeve", 12),
        # the same, plus open lots with accounts and securities, and their prices
        ("/api/v1/rebalance/", 14),
        # membership, ledger state, open lots, prices, recent purchases, identity groups
        ("/api/v1/harvest/", 6),
    ],
)
def test_endpoints_run_a_fixed_number_of_queries(
    cast, portfolio, losses, django_assert_num_queries, url, queries
):
    client = client_for(cast.owner)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_rebalance_never_spends_the_cash_reserve_account(cast, portfolio, owner_api):
    # given a 5,000 emergency fund (a cash account) beside the 7,000 VTI / 3,000 BND:
    # total 15,000; us_equity 7,000/15,000 = 46.7% and bonds 20% against 60/40 are both
    # under by more than 5 pp, and cash is untargeted
    reserve = AccountFactory(household=cast.household_a, name="Reserve", type=Account.Type.CASH)
    deposit(reserve, "2024-01-02", 5000)
    call_command("recompute", stdout=None)
    # when
    trades = results(owner_api, "/api/v1/rebalance/")
    # then no buy is paid from the reserve: the other accounts have no cash, so each buy goes
    # to the account of the class's largest holding (IRA's VTI, Joint's BND)
    assert trades
    assert all(trade["account"] != "Reserve" for trade in trades)
