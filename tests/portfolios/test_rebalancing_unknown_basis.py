"""Lots of unknown basis (OPENING rows without an amount, what `--open-missing` creates) in
rebalancing, harvesting and asset location: never sold in a taxable account as if their
gain were known, never a harvest candidate, and said so in the API rows and on the page.

Time is frozen at 2025-06-02; closes of 2025-05-30: VTI 100, BND 100. Policy: us_equity 60
/ bonds 40, band ±5 pp; rates long-term 15% + 5% = 20%, short-term 22% + 5% = 27%.
"""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from portfolios.calculations.rebalancing import (
    AccountState,
    HouseholdState,
    LotState,
    Policy,
    Rates,
    SecurityState,
    harvest_candidates,
    location_hints,
)
from portfolios.models import Account, LotRelief, Sleeve, Target
from tests.conftest import client_for
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit
from tests.portfolios.test_api_rebalancing import execute

pytestmark = [pytest.mark.api, pytest.mark.django_db]
D = Decimal


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel("2025-06-02 12:00Z", tick=False):
        yield


@pytest.fixture
def policy(cast):
    Sleeve.objects.filter(household=cast.household_a).update(target_weight=D(0))
    core = Sleeve.objects.get(household=cast.household_a, name="core")
    core.target_weight = D(100)
    core.save(update_fields=["target_weight"])
    Target.objects.create(sleeve=core, asset_class="us_equity", target_weight=D(60))
    Target.objects.create(sleeve=core, asset_class="bonds", target_weight=D(40))
    return core


@pytest.fixture
def securities():
    return SecurityFactory(symbol="VTI"), SecurityFactory(symbol="BND", asset_class="bonds")


def import_openings(tmp_path, cast, rows: list[str]) -> None:
    """Carry positions in with the importer, as a household would: OPENING rows, no amount."""
    path = tmp_path / "openings.csv"
    path.write_text("id,date,account,type,symbol,quantity,amount\n" + "\n".join(rows) + "\n")
    call_command("import_transactions", str(path), household=cast.household_a.name, stdout=None)


def test_a_taxable_lot_of_unknown_basis_is_not_proposed_for_sale(
    tmp_path, cast, policy, securities
):
    # given Joint (taxable): 50 VTI carried in with unknown basis, 20 BND bought for 2,000
    vti, bnd = securities
    joint = AccountFactory(household=cast.household_a, name="Joint")
    deposit(joint, "2024-01-02", 2000)
    buy(joint, "2024-01-02", bnd, 20, 2000)
    import_openings(tmp_path, cast, ["open1,2020-01-02,Joint,OPENING,VTI,50,"])
    close(vti, "2025-05-30", 100)
    close(bnd, "2025-05-30", 100)
    call_command("recompute", stdout=None)
    # when: VTI 5,000 of 7,000 = 71.4% against 60 ± 5 pp; bonds 28.6% against 40 ± 5
    body = client_for(cast.owner).get("/api/v1/rebalance/").json()
    # then nothing is sold: the only VTI lot's gain is unknown, and basis 0 would have
    # claimed a gain of 8 × 100 = 800 and a tax of 160 that nobody knows
    assert body["results"] == []
    assert (body["estimated_tax"], body["naive_tax"]) == ("0", "0")
    assert body["problems"] == [
        "US equity ends at 71.4%, above its band (60.0% ± 5.0 pp): VTI in taxable accounts "
        "has lots of unknown basis, which are not proposed for sale.",
        "Bonds ends at 28.6%, below its band (40.0% ± 5.0 pp): buying more needs cash that "
        "the accounts able to buy it do not have above their floors and the reserve, and "
        "nothing else is above its target to sell.",
        "VTI in Joint: basis unknown for 50 shares, so they are not proposed for sale (the "
        "tax cannot be estimated). Enter their cost basis (an OPENING row with its amount) to "
        "include them.",
    ]
    # and the allocation page says the same
    page = Client()
    page.force_login(cast.owner)
    html = page.get("/portfolio/allocation/").content.decode()
    assert "VTI in Joint: basis unknown for 50 shares" in html


def test_a_known_lot_beside_an_unknown_one_is_sold_and_taxed_alone(
    tmp_path, cast, policy, securities
):
    # given Joint: 40 VTI of unknown basis, 10 VTI bought 2024-01-02 for 800 (80 a share,
    # long-term), 20 BND for 2,000
    vti, bnd = securities
    joint = AccountFactory(household=cast.household_a, name="Joint")
    deposit(joint, "2024-01-02", 2800)
    known = buy(joint, "2024-01-02", vti, 10, 800)
    buy(joint, "2024-01-02", bnd, 20, 2000)
    import_openings(tmp_path, cast, ["open1,2020-01-02,Joint,OPENING,VTI,40,"])
    close(vti, "2025-05-30", 100)
    close(bnd, "2025-05-30", 100)
    call_command("recompute", stdout=None)
    # when: VTI 5,000 of 7,000 = 71.4%; a taxed sale goes only to the band's edge:
    # (5,000 − x) / 7,000 ≤ 65% → x ≥ 450 → 5 whole shares
    body = client_for(cast.owner).get("/api/v1/rebalance/").json()
    # then the 5 come from the known lot: gain 5 × (100 − 80) = 100, tax 100 × 20% = 20;
    # 5 BND are bought with the proceeds
    assert [
        (
            r["action"],
            r["symbol"],
            r["quantity"],
            r["lots"],
            r["estimated_gain"],
            r["estimated_tax"],
            r["basis_unknown"],
        )
        for r in body["results"]
    ] == [
        ("sell", "VTI", "5", f"{known.external_id}:5", "100", "20", False),
        ("buy", "BND", "5", "", "0", "0", False),
    ]
    # the naive alternative sells to target, 5,000 − 0.6 × 7,000 = 800, as 800 / 1,000 of
    # the known lot only: 8 shares × 20 × 20% = 32
    assert (body["estimated_tax"], body["naive_tax"]) == ("20", "32")
    assert body["problems"][-1].startswith("VTI in Joint: basis unknown for 40 shares")


def test_an_ira_sells_unknown_basis_shares_and_says_the_gain_is_unknown(
    tmp_path, cast, policy, securities
):
    # given the IRA: 50 VTI carried in with unknown basis; Joint: 20 BND for 2,000
    vti, bnd = securities
    AccountFactory(household=cast.household_a, name="IRA", type=Account.Type.TRADITIONAL_IRA)
    joint = AccountFactory(household=cast.household_a, name="Joint")
    deposit(joint, "2024-01-02", 2000)
    buy(joint, "2024-01-02", bnd, 20, 2000)
    import_openings(tmp_path, cast, ["open1,2020-01-02,IRA,OPENING,VTI,50,"])
    close(vti, "2025-05-30", 100)
    close(bnd, "2025-05-30", 100)
    call_command("recompute", stdout=None)
    # when: 800 of VTI too much, as above
    api = client_for(cast.owner)
    body = api.get("/api/v1/rebalance/").json()
    # then the IRA sells 8 VTI (no tax in an IRA, whatever the basis) and buys 8 BND; the
    # gain is not shown as 800 but as unknown
    sell, bought = body["results"]
    assert (sell["account"], sell["action"], sell["quantity"], sell["lots"]) == (
        "IRA",
        "sell",
        "8",
        "open1:8",
    )
    assert (sell["estimated_gain"], sell["estimated_tax"], sell["basis_unknown"]) == (
        None,
        "0",
        True,
    )
    assert sell["reason"].endswith("Basis unknown for some of these shares: the gain is not known.")
    assert (bought["account"], bought["action"], bought["symbol"], bought["quantity"]) == (
        "IRA",
        "buy",
        "BND",
        "8",
    )
    assert body["problems"] == []
    # and the CSV leaves the gain empty and says basis_unknown
    lines = api.get("/api/v1/rebalance/?format=csv").content.decode().splitlines()
    assert lines[0].endswith(",estimated_gain,estimated_tax,reason,basis_unknown")
    assert lines[1].startswith("IRA,sell,VTI,us_equity,8,800,open1:8,,0,")
    assert lines[1].endswith(",true")
    # and the page's gain cell reads "basis unknown"
    page = Client()
    page.force_login(cast.owner)
    html = page.get("/portfolio/allocation/").content.decode()
    assert 'data-label="Gain">basis unknown</td>' in html
    # and the proposal can be executed as written: the 8 shares leave the opening lot,
    # their relief flagged as of unknown basis
    execute(cast.household_a, body["results"])
    (relief,) = LotRelief.objects.filter(household=cast.household_a)
    assert (relief.quantity, relief.proceeds, relief.basis_unknown) == (D(8), D(800), True)


def test_unknown_basis_shares_are_never_harvest_candidates(tmp_path, cast, policy, securities):
    # given Joint: 10 VTI of unknown basis and 10 VTI bought 2024-01-02 for 1,200; VTI at 100
    vti, _ = securities
    joint = AccountFactory(household=cast.household_a, name="Joint")
    deposit(joint, "2024-01-02", 1200)
    known = buy(joint, "2024-01-02", vti, 10, 1200)
    import_openings(tmp_path, cast, ["open1,2020-01-02,Joint,OPENING,VTI,10,"])
    close(vti, "2025-05-30", 100)
    call_command("recompute", stdout=None)
    # when
    rows = client_for(cast.owner).get("/api/v1/harvest/?min_loss=0&min_loss_pct=0").json()
    # then one candidate: the known lot only, loss 1,200 − 1,000 = 200, long-term, saving
    # 200 × 20% = 40
    assert [
        (r["symbol"], r["quantity"], r["cost_basis"], r["loss"], r["tax_saved"], r["lots"])
        for r in rows["results"]
    ] == [("VTI", "10", "1200", "200", "40", f"{known.external_id}:10")]
    # and the page names the shares it could not consider
    page = Client()
    page.force_login(cast.owner)
    html = page.get("/portfolio/allocation/").content.decode()
    assert "VTI in Joint (10 shares)" in html.split('id="harvest-basis-unknown"')[1]


def test_harvest_skips_a_lot_of_unknown_basis_whatever_basis_it_carries():
    # given a lot of unknown basis carrying 1,500 (a basis adjustment) against a value of
    # 1,000: it looks like a 500 loss, but its real basis is not known
    account = AccountState(id=1, name="Joint", treatment="taxable", cash=D(0))
    vti = SecurityState(id=1, symbol="VTI", asset_class="us_equity", price=D(100), identity="1")
    lot = LotState(
        ref="open1",
        account_id=1,
        security_id=1,
        quantity=D(10),
        cost_basis=D(1500),
        acquired=date(2020, 1, 2),
        term="long",
        basis_known=False,
    )
    state = HouseholdState(
        today=date(2025, 6, 2),
        accounts=(account,),
        securities={1: vti},
        positions={(1, 1): D(1000)},
        lots=(lot,),
        policy=Policy(targets={}, rates=Rates(D("0.27"), D("0.2"), D("0.27"), D("0.2"))),
    )
    # then it is no candidate
    assert harvest_candidates(state) == []


@pytest.mark.parametrize(("basis_known", "tax_to_move"), [(True, D(200)), (False, None)])
def test_a_location_swap_that_sells_unknown_basis_says_its_tax_is_unknown(basis_known, tax_to_move):
    # given Taxable: 100 BND at 100 (4% yield, taxed as ordinary income) on one long-term
    # lot costing 9,000; the IRA: 100 VTI at 100 (no yield)
    taxable = AccountState(id=1, name="Taxable", treatment="taxable", cash=D(0))
    ira = AccountState(id=2, name="IRA", treatment="tax_deferred", cash=D(0))
    bnd = SecurityState(
        id=1, symbol="BND", asset_class="bonds", price=D(100), identity="1",
        income_yield=D("0.04"), ordinary_income=True,
    )  # fmt: skip
    vti = SecurityState(id=2, symbol="VTI", asset_class="us_equity", price=D(100), identity="2")
    lots = (
        LotState("b1", 1, 1, D(100), D(9000), date(2020, 1, 2), "long", basis_known=basis_known),
        LotState("v1", 2, 2, D(100), D(8000), date(2020, 1, 2), "long"),
    )
    state = HouseholdState(
        today=date(2025, 6, 2),
        accounts=(taxable, ira),
        securities={1: bnd, 2: vti},
        positions={(1, 1): D(10000), (2, 2): D(10000)},
        lots=lots,
        policy=Policy(targets={}, rates=Rates(D("0.27"), D("0.2"), D("0.27"), D("0.2"))),
    )
    # when the hints are asked for
    (hint,) = location_hints(state)
    # then BND moves to the IRA and VTI to Taxable: now 0.04 × 27% + 7% growth × (27 − 20)%
    # = 0.0157 a dollar, swapped 2% × 7% + 0 = 0.0014: 10,000 × 0.0143 = 143 a year
    assert (hint.from_account, hint.symbol, hint.amount, hint.annual_tax_saved) == (
        "Taxable",
        "BND",
        D(10000),
        D(143),
    )
    # selling the BND lot: (10,000 − 9,000) × 20% = 200, or unknown with an unknown basis
    assert hint.tax_to_move == tax_to_move
