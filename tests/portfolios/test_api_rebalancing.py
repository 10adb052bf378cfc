"""`rebalance/`, `rebalance/new-money/`, `rebalance/withdrawal/`, `rebalance/location/`,
`harvest/`, the allocation page's proposal sections and the rebalancing settings page.

Time is frozen at 2025-06-02. The household's default rates apply: long-term gains 15% + 5%
state = 20%, short-term 22% + 5% = 27%. Every expected number is worked out in a comment.
A proposal is also *executed*: its rows are imported as a Hearth CSV (``lots`` column and
all) and the ledger rebuilt, which proves it can be done as written.
"""

import csv
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from portfolios.models import (
    Account,
    AccountTradingRule,
    AuditEvent,
    IdentityGroup,
    LotRelief,
    RebalancePolicy,
    Replacement,
    Sleeve,
    Target,
)
from portfolios.selectors.accounts import account_cash_balances
from portfolios.selectors.allocation import allocation_list
from portfolios.services.imports import transactions_import
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
    Target.objects.create(sleeve=core, asset_class="us_equity", target_weight=D(60))
    Target.objects.create(sleeve=core, asset_class="bonds", target_weight=D(40))
    return core


@pytest.fixture
def portfolio(cast, policy):
    """IRA: 50 VTI for 4,000. Joint: 20 VTI for 1,000, 30 BND for 3,000. Closes 100:
    VTI 7,000, BND 3,000, no cash, total 10,000; us_equity 70% against 60 ± 5."""
    ira = AccountFactory(household=cast.household_a, name="IRA", type=Account.Type.TRADITIONAL_IRA)
    joint = AccountFactory(household=cast.household_a, name="Joint")
    vti = SecurityFactory(symbol="VTI")
    bnd = SecurityFactory(symbol="BND", asset_class="bonds")
    deposit(ira, "2024-01-02", 4000)
    ira_buy = buy(ira, "2024-01-02", vti, 50, 4000)
    deposit(joint, "2024-01-02", 4000)
    joint_buy = buy(joint, "2024-01-02", vti, 20, 1000)
    buy(joint, "2024-01-02", bnd, 30, 3000)
    close(vti, "2025-05-30", 100)
    close(bnd, "2025-05-30", 100)
    call_command("recompute", stdout=None)
    return {
        "ira": ira,
        "joint": joint,
        "vti": vti,
        "bnd": bnd,
        "ira_buy": ira_buy,
        "joint_buy": joint_buy,
    }


@pytest.fixture
def owner_api(cast):
    return client_for(cast.owner)


def execute(household, rows: list[dict], day: str = "2025-06-02") -> None:
    """Import the proposal's rows as a Hearth CSV dated ``day`` (today), at the closes used,
    and rebuild the ledger; fail on any rejected row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "date", "account", "type", "symbol", "quantity", "amount", "lots"])
    kinds = {"buy": "BUY", "sell": "SELL", "deposit": "DEPOSIT", "withdraw": "WITHDRAWAL"}
    for number, row in enumerate(rows):
        writer.writerow(
            [
                f"p{number}",
                day,
                row["account"],
                kinds[row["action"]],
                row["symbol"],
                row["quantity"] or "",
                row["amount"],
                row["lots"],
            ]
        )
    result = transactions_import(
        household=household, content=buffer.getvalue().encode(), filename="p.csv", format="hearth"
    )
    assert not result.errors, result.errors
    call_command("recompute", stdout=None)


# rebalance/


def test_rebalance_sells_in_the_ira_and_says_what_it_costs(portfolio, owner_api):
    response = owner_api.get("/api/v1/rebalance/")
    body = response.json()
    # then 7,000 − 0.6 × 10,000 = 1,000 of VTI = 10 shares, from the IRA (no tax; the IRA lot
    # cost 80 a share: gain 200), and the IRA buys 10 BND with the proceeds
    ira_lot = portfolio["ira_buy"].external_id
    assert [
        (r["account"], r["action"], r["symbol"], r["quantity"], r["amount"], r["lots"])
        for r in body["results"]
    ] == [
        ("IRA", "sell", "VTI", "10", "1000", f"{ira_lot}:10"),
        ("IRA", "buy", "BND", "10", "1000", ""),
    ]
    sell = body["results"][0]
    assert (sell["asset_class"], sell["estimated_gain"], sell["estimated_tax"]) == (
        "us_equity",
        "200",
        "0",
    )
    # and the envelope: no problem, no tax, against a proportional rebalance selling
    # 1/7 of each VTI position: Joint 20/7 = 2.86 → 3 shares × 50 gain × 20% = 30
    assert (body["problems"], body["estimated_tax"], body["naive_tax"]) == ([], "0", "30")
    assert body["due"] is True
    # us_equity +10 pp and bonds −10 pp are both outside their 5 pp bands
    assert body["trigger"] == "Due: US equity, Bonds are outside their bands."
    assert body["classes"] == [
        {
            "asset_class": "us_equity",
            "weight_before": "0.7",
            "weight_after": "0.6",
            "target": "0.6",
            "band": "0.05",
            "status": "ok",
        },
        {
            "asset_class": "bonds",
            "weight_before": "0.3",
            "weight_after": "0.4",
            "target": "0.4",
            "band": "0.05",
            "status": "ok",
        },
    ]


def test_the_rebalance_can_be_executed_as_written(cast, portfolio, owner_api):
    # when the proposal's rows are imported as they are
    execute(cast.household_a, results(owner_api, "/api/v1/rebalance/"))
    # then the ledger takes them (the lots exist, the IRA had the cash), the IRA ends with
    # no cash, and every class is inside its band: 60 / 40
    assert account_cash_balances(household=cast.household_a)[portfolio["ira"].pk] == 0
    rows = {r.group: r for r in allocation_list(household=cast.household_a)}
    assert (rows["us_equity"].weight, rows["bonds"].weight) == (D("0.6"), D("0.4"))
    # and nothing more is proposed
    assert owner_api.get("/api/v1/rebalance/").json()["count"] == 0


def test_a_taxable_sale_blocked_by_the_spouses_ira_purchase(cast, policy, owner_api):
    # given Joint: VTI bought 2024-01-02, 10 for 1,200 (loss 200 at 100) and 30 for 1,500
    # (gain 50 a share), 10 BND for 1,000; Carol's IRA bought 1 VTI for 90 ten days ago
    joint = AccountFactory(household=cast.household_a, name="Joint")
    carol = AccountFactory(
        household=cast.household_a, name="Carol IRA", type=Account.Type.ROTH_IRA, owner=cast.member
    )
    vti, bnd = SecurityFactory(symbol="VTI"), SecurityFactory(symbol="BND", asset_class="bonds")
    deposit(joint, "2024-01-02", 3700)
    buy(joint, "2024-01-02", vti, 10, 1200)
    gains = buy(joint, "2024-01-03", vti, 30, 1500)
    buy(joint, "2024-01-02", bnd, 10, 1000)
    deposit(carol, "2025-05-23", 90)
    buy(carol, "2025-05-23", vti, 1, 90)
    close(vti, "2025-05-30", 100)
    close(bnd, "2025-05-30", 100)
    call_command("recompute", stdout=None)
    # when: VTI 4,100 of 5,100 = 80.4% against 60 ± 5 pp
    body = owner_api.get("/api/v1/rebalance/").json()
    sells = [r for r in body["results"] if r["action"] == "sell"]
    # then no share of the loss lot is sold: a loss now would be a wash sale
    assert all(
        r["lots"].split(":")[0] == gains.external_id for r in sells if r["account"] == "Joint"
    )
    # and executing it creates no wash sale
    execute(cast.household_a, body["results"])
    assert not LotRelief.objects.filter(household=cast.household_a, code="W").exists()


def test_inside_the_bands_nothing_unless_to_target(cast, policy, owner_api):
    joint = AccountFactory(household=cast.household_a, name="Joint")
    vti, bnd = SecurityFactory(symbol="VTI"), SecurityFactory(symbol="BND", asset_class="bonds")
    deposit(joint, "2024-01-02", 10000)
    buy(joint, "2024-01-02", vti, 62, 6200)
    buy(joint, "2024-01-02", bnd, 38, 3800)
    close(vti, "2025-05-30", 100)
    close(bnd, "2025-05-30", 100)
    call_command("recompute", stdout=None)
    # 0.62 − 0.60 = 0.02 within 0.05: nothing, and the trigger says so
    body = owner_api.get("/api/v1/rebalance/").json()
    assert (body["count"], body["due"]) == (0, False)
    assert body["trigger"] == "Every asset class is inside its band."
    # on demand, to target: 2 VTI at cost (no gain) sold and 2 BND bought
    forced = results(owner_api, "/api/v1/rebalance/?to_target=true")
    assert [(r["action"], r["symbol"], r["quantity"]) for r in forced] == [
        ("sell", "VTI", "2"),
        ("buy", "BND", "2"),
    ]


def test_calendar_trigger_is_due_in_the_first_month_of_each_cycle(portfolio, cast, owner_api):
    # given a quarterly calendar starting in January: due in Jan, Apr, Jul, Oct
    RebalancePolicy.objects.create(
        household=cast.household_a, trigger="calendar", frequency="quarterly", start_month=1
    )
    body = owner_api.get("/api/v1/rebalance/").json()
    # then on 2025-06-02 it is not due (next: July), whatever the drift
    assert (body["due"], body["trigger"]) == (
        False,
        "Calendar (every quarter): next due in July 2025.",
    )
    assert body["count"] == 2  # the proposal itself is always there


def test_rebalance_csv(portfolio, owner_api):
    text = owner_api.get("/api/v1/rebalance/?format=csv").content.decode()
    lines = text.splitlines()
    assert lines[0] == (
        "account,action,symbol,asset_class,quantity,amount,lots,estimated_gain,estimated_tax,"
        "reason,basis_unknown"
    )
    assert lines[1].startswith(
        f"IRA,sell,VTI,us_equity,10,1000,{portfolio['ira_buy'].external_id}:10,200,0,"
    )


# new money and withdrawals


def test_new_money_buys_what_is_short_with_no_sale(cast, portfolio, owner_api):
    # given 2,000 added to Joint: total 12,000; VTI 7,000 against 7,200 (60%), BND 3,000
    # against 4,800 (40%)
    rows = results(owner_api, "/api/v1/rebalance/new-money/?amount=2000&account=Joint")
    # then the 2,000 buys both to target: 1,800 of BND (18) and 200 of VTI (2); no sale
    assert [(r["account"], r["action"], r["symbol"], r["quantity"], r["amount"]) for r in rows] == [
        ("Joint", "deposit", "", None, "2000"),
        ("Joint", "buy", "BND", "18", "1800"),
        ("Joint", "buy", "VTI", "2", "200"),
    ]
    # and executed, the household is at target: 7,200 / 12,000 and 4,800 / 12,000
    execute(cast.household_a, rows)
    weights = {r.group: r.weight for r in allocation_list(household=cast.household_a)}
    assert (weights["us_equity"], weights["bonds"]) == (D("0.6"), D("0.4"))


def test_new_money_without_an_account_goes_to_a_taxable_one(portfolio, owner_api):
    rows = results(owner_api, "/api/v1/rebalance/new-money/?amount=2000")
    # Joint is the only taxable account: the deposit and the same purchases land there
    assert [(r["account"], r["action"], r["amount"]) for r in rows] == [
        ("Joint", "deposit", "2000"),
        ("Joint", "buy", "1800"),
        ("Joint", "buy", "200"),
    ]


def test_new_money_refuses_bad_parameters(portfolio, owner_api):
    # without an amount: no rows, and a reminder (a spreadsheet cell never breaks)
    missing = owner_api.get("/api/v1/rebalance/new-money/").json()
    assert (missing["count"], missing["problems"]) == (0, ["Say how much: ?amount=…"])
    negative = owner_api.get("/api/v1/rebalance/new-money/?amount=-5")
    assert (negative.status_code, list(negative.json()["errors"])) == (400, ["amount"])
    unknown = owner_api.get("/api/v1/rebalance/new-money/?amount=100&account=Nowhere")
    assert (unknown.status_code, unknown.json()["errors"]) == (
        400,
        {"account": ["no account 'Nowhere' in this household"]},
    )


def test_withdrawal_takes_cash_then_the_cheapest_sale(cast, portfolio, owner_api):
    # given 1,000 of cash in Joint: total 11,000 (VTI 7,000, BND 3,000, cash 1,000)
    deposit(portfolio["joint"], "2025-05-30", 1000)
    call_command("recompute", stdout=None)
    # when 2,000 is needed: 9,000 is left, and VTI must fall to its 65% edge, 5,850
    body = owner_api.get("/api/v1/rebalance/withdrawal/?amount=2000").json()
    ira_lot, joint_lot = portfolio["ira_buy"].external_id, portfolio["joint_buy"].external_id
    # then Joint's 1,000 of cash goes first and Joint sells 10 VTI for the other 1,000
    # (gain 50 a share: 500, tax 100; an IRA withdrawal would be taxed 27% × 1,000 = 270);
    # the IRA sells 2 VTI at no tax (gain 20 a share: 40) so VTI ends at 5,800 / 9,000 = 64.4%
    assert [
        (r["account"], r["action"], r["symbol"], r["quantity"], r["amount"], r["lots"])
        for r in body["results"]
    ] == [
        ("IRA", "sell", "VTI", "2", "200", f"{ira_lot}:2"),
        ("Joint", "sell", "VTI", "10", "1000", f"{joint_lot}:10"),
        ("Joint", "withdraw", "", None, "2000", ""),
    ]
    assert body["estimated_tax"] == "100"
    # and bonds, already under their band (27.3%), end at 3,000 / 9,000 = 33.3%: said, with why
    assert body["problems"] == [
        "Bonds ends at 33.3%, below its band (40.0% ± 5.0 pp): a withdrawal only sells; "
        "the rebalancing proposal brings it back."
    ]
    # and it executes: Joint ends with no cash, nothing negative
    execute(cast.household_a, body["results"])
    assert account_cash_balances(household=cast.household_a)[portfolio["joint"].pk] == 0


def test_withdrawal_needs_an_amount(portfolio, owner_api):
    response = owner_api.get("/api/v1/rebalance/withdrawal/?amount=abc")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["amount"])


def test_location_hints(portfolio, owner_api):
    rows = results(owner_api, "/api/v1/rebalance/location/")
    # no dividends are on record, so nothing costs income tax in Joint; what differs is
    # growth in the IRA, taxed as income at withdrawal: VTI 7% × (27% − 20%) = 0.49% a year,
    # BND 2% × 7% = 0.14%. Swapping 3,000 of the IRA's VTI for Joint's BND saves
    # (0.49 − 0.14)% × 3,000 = 10.50 a year (hints under 10 are not shown)
    assert [
        (r["from_account"], r["symbol"], r["to_account"], r["swap_symbol"], r["amount"])
        for r in rows
    ] == [("IRA", "VTI", "Joint", "BND", "3000")]
    assert rows[0]["annual_tax_saved"] == "10.5"


# harvest/


@pytest.fixture
def losses(cast):
    """Joint: XYZ 10 for 1,000 (2025-01-02) and 5 for 600 (2024-01-02), now 70 each: loss
    300 + 250 = 550 on 1,600 of cost (34.4%); 5 ABC for 500, now 600. Carol's IRA bought
    2 XYZ for 140 on 2025-05-23 (ten days ago)."""
    joint, _ = Account.objects.get_or_create(household=cast.household_a, name="Joint")
    carol = AccountFactory(
        household=cast.household_a, name="Carol IRA", type=Account.Type.ROTH_IRA, owner=cast.member
    )
    xyz, abc = SecurityFactory(symbol="XYZ"), SecurityFactory(symbol="ABC")
    deposit(joint, "2024-01-02", 2100)
    older = buy(joint, "2024-01-02", xyz, 5, 600)
    newer = buy(joint, "2025-01-02", xyz, 10, 1000)
    buy(joint, "2025-01-02", abc, 5, 500)
    deposit(carol, "2024-01-02", 1000)
    buy(carol, "2025-05-23", xyz, 2, 140)
    close(xyz, "2025-05-30", 70)
    close(abc, "2025-05-30", 120)
    call_command("recompute", stdout=None)
    return {"joint": joint, "xyz": xyz, "older": older, "newer": newer}


def test_harvest_groups_a_position_with_tax_saved_conflicts_and_a_replacement(
    cast, losses, owner_api
):
    Replacement.objects.create(household=cast.household_a, symbol="XYZ", replacement="XYZB")
    rows = results(owner_api, "/api/v1/harvest/")
    # one row for Joint's XYZ: 15 shares worth 1,050 against 1,600; the long-term loss
    # 600 − 350 = 250 saves 250 × 20% = 50, the short-term 1,000 − 700 = 300 saves 81
    older, newer = losses["older"].external_id, losses["newer"].external_id
    assert rows == [
        {
            "account": "Joint",
            "symbol": "XYZ",
            "asset_class": "us_equity",
            "quantity": "15",
            "cost_basis": "1600",
            "market_value": "1050",
            "loss": "550",
            "loss_pct": "0.3438",
            "term": "both",
            "short_term_loss": "300",
            "long_term_loss": "250",
            "tax_saved": "131",
            "lots": f"{older}:5;{newer}:10",
            "wash_sale_conflicts": ["Carol IRA XYZ 2025-05-23 2"],
            "replacement": "XYZB",
            "replacement_source": "yours",
            "caution": rows[0]["caution"],
        }
    ]
    assert rows[0]["caution"].startswith("The household decides what is substantially identical")


def test_harvest_thresholds_come_from_the_household_or_the_query(cast, losses, owner_api):
    # the default thresholds (500 and 5%) let the 550 loss through; 550.01 does not
    assert len(results(owner_api, "/api/v1/harvest/")) == 1
    assert results(owner_api, "/api/v1/harvest/?min_loss=550.01") == []
    # and the household's own: at least 35% of cost — 34.38% is not enough
    RebalancePolicy.objects.create(household=cast.household_a, harvest_min_loss_pct=D(35))
    assert results(owner_api, "/api/v1/harvest/") == []
    bad = owner_api.get("/api/v1/harvest/?min_loss_pct=120")
    assert (bad.status_code, list(bad.json()["errors"])) == (400, ["min_loss_pct"])


def test_harvest_sees_the_identity_group(cast, losses, owner_api):
    # given ITOT, in one identity group with XYZ, bought in Joint 20 days ago
    itot = SecurityFactory(symbol="ITOT")
    group = IdentityGroup.objects.create(household=cast.household_a, name="total market")
    group.securities.add(losses["xyz"], itot)
    deposit(losses["joint"], "2025-05-13", 50)
    buy(losses["joint"], "2025-05-13", itot, 1, 50)
    close(itot, "2025-05-30", 50)
    call_command("recompute", stdout=None)
    (row,) = results(owner_api, "/api/v1/harvest/")
    assert row["wash_sale_conflicts"] == ["Joint ITOT 2025-05-13 1", "Carol IRA XYZ 2025-05-23 2"]


def test_harvest_csv(losses, owner_api):
    text = owner_api.get("/api/v1/harvest/", HTTP_ACCEPT="text/csv").content.decode()
    header, first = text.splitlines()[:2]
    assert header == (
        "account,symbol,asset_class,quantity,cost_basis,market_value,loss,loss_pct,term,"
        "short_term_loss,long_term_loss,tax_saved,lots,wash_sale_conflicts,replacement,"
        "replacement_source,caution"
    )
    assert first.startswith("Joint,XYZ,us_equity,15,1600,1050,550,0.3438,both,300,250,131,")


# isolation, roles, query counts

ROUTES = [
    "rebalance/",
    "rebalance/new-money/?amount=100",
    "rebalance/withdrawal/?amount=100",
    "rebalance/location/",
    "harvest/",
]


def test_household_b_sees_nothing_of_household_a(cast, portfolio, losses):
    outsider = client_for(cast.outsider)
    for route in ROUTES:
        body = outsider.get(f"/api/v1/{route}").json()
        assert body["count"] == 0, route


def test_viewer_and_read_token_can_read_and_anonymous_cannot(cast, portfolio, api_client):
    viewer = client_for(cast.viewer)
    token, _ = token_client(cast.viewer, cast.household_a, scope="read")
    for route in ROUTES:
        assert viewer.get(f"/api/v1/{route}").status_code == 200, route
        assert token.get(f"/api/v1/{route}").status_code == 200, route
        assert api_client.get(f"/api/v1/{route}").status_code == 401, route


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # membership, ledger state, the holdings report (7), identity groups (2), accounts
        # with rules, details and dividends of securities (2), lots, targets, sleeves,
        # purchases, loss sales, reinvestments, the trigger's policy
        ("/api/v1/rebalance/", 22),
        # the same without the trigger, plus the replacements and identity-group symbols
        ("/api/v1/harvest/", 25),
    ],
)
def test_endpoints_run_a_fixed_number_of_queries(
    cast, portfolio, losses, django_assert_max_num_queries, url, queries
):
    client = client_for(cast.owner)
    with django_assert_max_num_queries(queries):
        assert client.get(url).status_code == 200


def results(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


# the pages


def test_allocation_page_shows_the_proposal_new_money_withdrawal_and_candidates(
    cast, portfolio, losses
):
    client = Client()
    client.force_login(cast.viewer)
    html = client.get("/portfolio/allocation/?add_amount=1000&need_amount=500").content.decode()
    for table in (
        "allocation-asset-class",
        "rebalance-table",
        "rebalance-classes",
        "new-money-table",
        "withdrawal-table",
        "harvest-table",
    ):
        assert f'id="{table}"' in html, table
    assert "Carol IRA XYZ 2025-05-23 2" in html
    assert "Due: US equity, Bonds are outside their bands." in html
    assert 'href="/portfolio/allocation/settings/"' in html
    assert "us_equity" not in html.split('id="rebalance"')[1]  # words, not codes


def test_settings_page_saves_everything_at_once(cast, portfolio):
    client = Client()
    client.force_login(cast.member)
    joint = portfolio["joint"]
    form = {
        "trigger": "calendar",
        "frequency": "semiannual",
        "start_month": "3",
        "harvest_min_loss": "250",
        "harvest_min_loss_pct": "10",
        "replacements": "VTI SCHB\nbnd = iusb",
        f"floor_{joint.pk}": "500",
        f"floor_{portfolio['ira'].pk}": "0",
    }
    response = client.post("/portfolio/allocation/settings/", form)
    assert response.status_code == 302
    saved = RebalancePolicy.objects.get(household=cast.household_a)
    assert (saved.trigger, saved.frequency, saved.start_month) == ("calendar", "semiannual", 3)
    assert (saved.harvest_min_loss, saved.harvest_min_loss_pct) == (D(250), D(10))
    assert AccountTradingRule.objects.get(account=joint).cash_floor == D(500)
    assert sorted(
        Replacement.objects.filter(household=cast.household_a).values_list("symbol", "replacement")
    ) == [("BND", "IUSB"), ("VTI", "SCHB")]
    assert AuditEvent.objects.filter(action="rebalancing.update").count() == 1
    # and the page shows them again
    assert "VTI SCHB" in client.get("/portfolio/allocation/settings/").content.decode()


def test_settings_page_refuses_bad_input_and_writes_nothing(cast, portfolio):
    client = Client()
    client.force_login(cast.owner)
    response = client.post(
        "/portfolio/allocation/settings/",
        {
            "trigger": "threshold",
            "frequency": "quarterly",
            "start_month": "1",
            "harvest_min_loss": "100",
            "harvest_min_loss_pct": "5",
            "replacements": "VTI VTI\nBND",
            f"floor_{portfolio['joint'].pk}": "-1",
            f"floor_{portfolio['ira'].pk}": "0",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "line 2: write the fund, then its replacement" in html
    assert "Ensure this value is greater than or equal to 0" in html
    assert not RebalancePolicy.objects.filter(household=cast.household_a).exists()
    # the same pair twice and a fund replacing itself are the service's to refuse
    response = client.post(
        "/portfolio/allocation/settings/",
        {
            "trigger": "threshold",
            "frequency": "quarterly",
            "start_month": "1",
            "harvest_min_loss": "100",
            "harvest_min_loss_pct": "5",
            "replacements": "VTI VTI\nBND AGG\nBND IUSB",
            f"floor_{portfolio['joint'].pk}": "0",
            f"floor_{portfolio['ira'].pk}": "0",
        },
    )
    html = response.content.decode()
    assert "line 1: VTI cannot replace itself" in html
    assert "line 3: BND is already listed on line 2" in html
    assert not Replacement.objects.filter(household=cast.household_a).exists()


def test_a_viewer_reads_the_settings_but_cannot_change_them(cast, portfolio):
    client = Client()
    client.force_login(cast.viewer)
    assert client.get("/portfolio/allocation/settings/").status_code == 200
    assert (
        client.post("/portfolio/allocation/settings/", {"trigger": "calendar"}).status_code == 403
    )
