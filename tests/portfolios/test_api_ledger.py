"""`lots/`, `realized-gains/` and `holdings/` after `manage.py recompute`.

Published cases come from shared/reference/README.md (cases 6, 8 and 9) and IRS
Publication 550; every expected number is worked out by hand in the comments.
"""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from portfolios.models import Account, Security, Transaction
from portfolios.services.recompute import ledger_mark_changed
from tests.conftest import client_for, token_client
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit, sell

pytestmark = [pytest.mark.api, pytest.mark.django_db]
D = Decimal


def recompute() -> None:
    call_command("recompute", stdout=None)


def only(rows: list) -> dict:
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture
def joint(cast) -> Account:
    return AccountFactory(household=cast.household_a, name="Joint", owner=cast.owner)


@pytest.fixture
def xyz():
    return SecurityFactory(symbol="XYZ")


@pytest.fixture
def owner_api(cast):
    return client_for(cast.owner)


# Wash sales


@time_machine.travel("2024-06-01")
def test_pub_550_wash_sale_moves_the_loss_into_the_replacement_lot(cast, joint, xyz, owner_api):
    """IRS Publication 550, "Wash Sales" (reference case 6)."""
    # given 100 shares bought for $1,000, sold for $750, and 100 bought for $800 14 days later
    buy(joint, "2024-01-02", xyz, 100, 1000)
    sell(joint, "2024-03-01", xyz, 100, 750)
    buy(joint, "2024-03-15", xyz, 100, 800)

    # when
    recompute()
    lot = only(owner_api.get("/api/v1/lots/").json()["results"])
    gain = only(owner_api.get("/api/v1/realized-gains/?year=2024").json()["results"])

    # then the new shares' basis is 800 + the disallowed 250 = 1,050
    assert (lot["cost_basis"], lot["wash_sale_adjustment"]) == ("1050", "250")
    assert (lot["acquired"], lot["quantity"], lot["term"]) == ("2024-03-15", "100", "short")
    # and their holding period starts 2024-03-15 less the 59 days the sold shares were held
    # (Jan 2 -> Feb 2 = 31 days, Feb 2 -> Mar 1 = 28 in leap 2024): Mar 15 - 29 = Feb 15,
    # Feb 15 - 30 = Jan 16
    assert lot["holding_period_start"] == "2024-01-16"
    # and the sale's loss 750 - 1,000 = -250 is disallowed in full: taxable gain 0, code W
    assert gain["gain"] == "-250"
    assert (gain["wash_sale_disallowed"], gain["taxable_gain"]) == ("250", "0")
    assert (gain["code"], gain["term"], gain["sold"]) == ("W", "short", "2024-03-01")
    assert (gain["proceeds"], gain["cost_basis"]) == ("750", "1000")


def test_replacement_in_the_spouses_taxable_account_carries_the_loss(cast, joint, xyz, owner_api):
    """DESIGN §2: a wash sale spans every account of the household."""
    # given a loss of 800 - 1,000 = -200 in Joint, and 10 shares bought 9 days later for 850
    # in carol's own taxable account
    spouse = AccountFactory(household=cast.household_a, name="Carol Brokerage", owner=cast.member)
    buy(joint, "2024-01-02", xyz, 10, 1000)
    sell(joint, "2024-05-01", xyz, 10, 800)
    buy(spouse, "2024-05-10", xyz, 10, 850)

    # when
    recompute()

    # then the loss is disallowed and carol's lot carries it: 850 + 200 = 1,050
    gain = only(owner_api.get("/api/v1/realized-gains/").json()["results"])
    assert (gain["account"], gain["gain"], gain["taxable_gain"], gain["code"]) == (
        "Joint",
        "-200",
        "0",
        "W",
    )
    lot = only(owner_api.get("/api/v1/lots/?account=Carol Brokerage").json()["results"])
    assert (lot["cost_basis"], lot["wash_sale_adjustment"]) == ("1050", "200")
    # and its holding period starts 120 days before 2024-05-10 (the sold shares were held
    # Jan 2 -> May 1: 30 + 29 + 31 + 30 = 120 days): May 10 - 120 days = 2024-01-11
    assert lot["holding_period_start"] == "2024-01-11"


def test_replacement_in_an_ira_disallows_the_loss_without_basis_adjustment(
    cast, joint, xyz, owner_api
):
    """Rev. Rul. 2008-5: the loss is lost for good; the IRA lot keeps its own cost."""
    # given the same -200 loss in Joint and a replacement bought for 850 in an IRA
    ira = AccountFactory(household=cast.household_a, name="IRA", type=Account.Type.TRADITIONAL_IRA)
    buy(joint, "2024-01-02", xyz, 10, 1000)
    sell(joint, "2024-05-01", xyz, 10, 800)
    buy(ira, "2024-05-10", xyz, 10, 850)

    # when
    recompute()

    # then 200 is disallowed (taxable gain -200 + 200 = 0) ...
    gain = only(owner_api.get("/api/v1/realized-gains/").json()["results"])
    assert (gain["gain"], gain["wash_sale_disallowed"], gain["taxable_gain"]) == (
        "-200",
        "200",
        "0",
    )
    # ... and the IRA lot keeps its cost of 850, its own purchase date and no adjustment
    lot = only(owner_api.get(f"/api/v1/lots/?account={ira.pk}").json()["results"])
    assert (lot["cost_basis"], lot["wash_sale_adjustment"]) == ("850", "0")
    assert lot["holding_period_start"] == "2024-05-10"


# Lot methods (reference case 8: lots at $30, $40, $50; sell 100 at $55 in November)


def textbook_history(account: Account, security, **sale_fields) -> dict[str, Transaction]:
    return {
        "jan": buy(account, "2024-01-15", security, 100, 3000, external_id="jan"),
        "apr": buy(account, "2024-04-15", security, 100, 4000, external_id="apr"),
        "jul": buy(account, "2024-07-15", security, 100, 5000, external_id="jul"),
        "sale": sell(account, "2024-11-15", security, 100, 5500, **sale_fields),
    }


@pytest.mark.parametrize(
    ("method", "expected_gain", "expected_acquired"),
    [
        ("fifo", "2500", "2024-01-15"),  # 5,500 - 3,000 (January)
        ("lifo", "500", "2024-07-15"),  # 5,500 - 5,000 (July)
        ("hifo", "500", "2024-07-15"),  # the highest cost a share is July's $50
    ],
)
def test_account_lot_method_chooses_the_textbook_lot(
    cast, xyz, owner_api, method, expected_gain, expected_acquired
):
    # given
    account = AccountFactory(household=cast.household_a, name="Taxable", lot_method=method)
    textbook_history(account, xyz)

    # when
    recompute()

    # then
    gain = only(owner_api.get("/api/v1/realized-gains/").json()["results"])
    assert (gain["gain"], gain["acquired"]) == (expected_gain, expected_acquired)


def test_specific_lot_named_by_the_opening_rows_id_sells_the_april_lot(cast, xyz, owner_api):
    # given a specific-identification account whose sale names the April row's id
    account = AccountFactory(household=cast.household_a, name="Taxable", lot_method="specific")
    textbook_history(account, xyz, lot_selection="apr")

    # when
    recompute()

    # then 5,500 - 4,000 = 1,500, and January's and July's lots stay open
    gain = only(owner_api.get("/api/v1/realized-gains/").json()["results"])
    assert (gain["gain"], gain["acquired"]) == ("1500", "2024-04-15")
    lots = owner_api.get("/api/v1/lots/").json()["results"]
    assert [lot["opened_by"] for lot in lots] == ["jan", "jul"]


def test_specific_lots_with_quantities_split_the_proceeds_by_shares(cast, xyz, owner_api):
    # given 60 shares named from January's lot and 40 from July's
    account = AccountFactory(household=cast.household_a, name="Taxable")
    textbook_history(account, xyz, lot_selection="jan:60;jul:40")

    # when
    recompute()

    # then proceeds 5,500 split 60:40 = 3,300 and 2,200; basis 60 x 30 = 1,800 and
    # 40 x 50 = 2,000; gains 3,300 - 1,800 = 1,500 and 2,200 - 2,000 = 200
    gains = owner_api.get("/api/v1/realized-gains/").json()["results"]
    assert [(g["quantity"], g["proceeds"], g["cost_basis"], g["gain"]) for g in gains] == [
        ("60", "3300", "1800", "1500"),
        ("40", "2200", "2000", "200"),
    ]


def test_specific_lot_stored_as_the_opening_transaction_id_also_works(cast, xyz, owner_api):
    # given the form the import service stores: the opening transaction's primary key
    account = AccountFactory(household=cast.household_a, name="Taxable", lot_method="specific")
    rows = textbook_history(account, xyz)
    Transaction.objects.filter(pk=rows["sale"].pk).update(lot_selection=str(rows["jul"].pk))

    # when
    recompute()

    # then 5,500 - 5,000 = 500 from July's lot
    gain = only(owner_api.get("/api/v1/realized-gains/").json()["results"])
    assert (gain["gain"], gain["acquired"]) == ("500", "2024-07-15")


def test_fifo_remaining_cost_matches_portfolio_performance(cast, joint, xyz, owner_api):
    """Portfolio Performance CostCalculationTest (reference case 9)."""
    # given
    buy(joint, "2015-01-02", xyz, 109, "3149.20")
    buy(joint, "2015-02-02", xyz, 52, "1684.92")
    sell(joint, "2015-03-02", xyz, 15, "531.50")

    # when
    recompute()

    # then 15 of the first 109 shares relieve 3,149.20 x 15 / 109 = 433.376... -> 433.38,
    # leaving 3,149.20 - 433.38 = 2,715.82 on 94 shares, plus 1,684.92 on 52
    lots = owner_api.get("/api/v1/lots/").json()["results"]
    assert [(lot["quantity"], lot["cost_basis"]) for lot in lots] == [
        ("94", "2715.82"),
        ("52", "1684.92"),
    ]
    # and the position holds 146 shares costing 2,715.82 + 1,684.92 = 4,400.74
    holding = only(owner_api.get("/api/v1/holdings/").json()["results"])
    assert (holding["quantity"], holding["cost_basis"]) == ("146", "4400.74")
    gain = only(owner_api.get("/api/v1/realized-gains/?year=2015").json()["results"])
    assert (gain["cost_basis"], gain["gain"]) == ("433.38", "98.12")  # 531.50 - 433.38


# Holdings


@pytest.fixture
def two_accounts(cast, joint):
    """VTI in Joint (10 for 2,000 + 1.50 fees) and in an IRA (5 for 1,100); VTI closes 250."""
    vti = SecurityFactory(symbol="VTI", asset_class="us_equity")
    core = cast.household_a.sleeves.get(name="core")
    joint.default_sleeve = core
    joint.save(update_fields=["default_sleeve"])
    ira = AccountFactory(
        household=cast.household_a, name="IRA", type=Account.Type.ROTH_IRA, default_sleeve=core
    )
    deposit(joint, "2024-01-02", 5000)
    buy(joint, "2024-01-03", vti, 10, 2000, fees=D("1.50"))
    deposit(ira, "2024-01-02", 2000)
    buy(ira, "2024-01-03", vti, 5, 1100)
    close(vti, "2024-01-03", 200)
    close(vti, "2024-05-31", 250)
    return {"joint": joint, "ira": ira, "vti": vti}


@time_machine.travel("2024-06-03")
def test_holdings_per_account_and_consolidated_with_weights_of_value_plus_cash(
    two_accounts, owner_api
):
    # given cash of 5,000 - 2,001.50 = 2,998.50 in Joint and 2,000 - 1,100 = 900 in the IRA,
    # and 15 VTI at 250 = 3,750: a household worth 3,750 + 2,998.50 + 900 = 7,648.50
    recompute()

    # when
    per_account = owner_api.get("/api/v1/holdings/").json()["results"]
    consolidated = owner_api.get("/api/v1/holdings/?consolidated=true").json()["results"]

    # then IRA: 5 x 250 = 1,250, gain 150, weight 1,250 / 7,648.50 = 0.16343073... -> 0.163431
    # and Joint: 10 x 250 = 2,500, gain 2,500 - 2,001.50 = 498.50, 2,500 / 7,648.50 = 0.326861
    assert [
        (h["account"], h["quantity"], h["cost_basis"], h["market_value"], h["unrealized_gain"])
        for h in per_account
    ] == [("IRA", "5", "1100", "1250", "150"), ("Joint", "10", "2001.5", "2500", "498.5")]
    assert [h["weight"] for h in per_account] == ["0.163431", "0.326861"]
    assert {(h["sleeve"], h["asset_class"]) for h in per_account} == {("core", "us_equity")}
    # and consolidated: 15 shares, cost 3,101.50, value 3,750, gain 648.50,
    # weight 3,750 / 7,648.50 = 0.49029221... -> 0.490292
    row = only(consolidated)
    assert (row["account"], row["quantity"], row["cost_basis"]) == (None, "15", "3101.5")
    assert (row["market_value"], row["unrealized_gain"], row["weight"]) == (
        "3750",
        "648.5",
        "0.490292",
    )


@time_machine.travel("2024-06-03")
def test_holdings_as_of_a_past_date_replay_the_transactions_up_to_it(two_accounts, owner_api):
    # given Joint sells 4 of its 10 VTI on 2024-04-01 for 900
    sell(two_accounts["joint"], "2024-04-01", two_accounts["vti"], 4, 900)
    recompute()

    # when
    before = owner_api.get("/api/v1/holdings/?as_of=2024-03-01&account=Joint").json()
    today = owner_api.get("/api/v1/holdings/?account=Joint").json()

    # then on 2024-03-01 Joint held all 10 (cost 2,001.50) valued at the 2024-01-03 close:
    # 10 x 200 = 2,000
    then = only(before["results"])
    assert (then["quantity"], then["cost_basis"], then["market_value"]) == ("10", "2001.5", "2000")
    # and today 6 remain: FIFO relieves 2,001.50 x 4 / 10 = 800.60, leaving 1,200.90
    now = only(today["results"])
    assert (now["quantity"], now["cost_basis"], now["market_value"]) == ("6", "1200.9", "1500")


# CSV, isolation, parameters, roles


def test_realized_gains_csv_has_every_column_and_every_row(cast, joint, xyz, owner_api):
    # given three sales
    buy(joint, "2024-01-02", xyz, 30, 3000)
    for day in ("2024-02-01", "2024-03-01", "2024-04-01"):
        sell(joint, day, xyz, 10, 1200)
    recompute()

    # when
    response = owner_api.get("/api/v1/realized-gains/?format=csv&page_size=1")

    # then every row, streamed as read
    assert response.streaming
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert lines[0].startswith(
        "account,symbol,acquired,holding_period_start,sold,quantity,proceeds,cost_basis,gain,"
        "wash_sale_disallowed,taxable_gain,term,code"
    )
    # and each sale of 10 shares costing 1,000 for 1,200 gains 200
    assert len(lines) == 1 + 3
    assert lines[1].startswith(
        "Joint,XYZ,2024-01-02,2024-01-02,2024-02-01,10,1200,1000,200,0,200,short,"
    )


def test_realized_gains_csv_is_the_serializers_rows_cell_for_cell(
    tmp_path, cast, joint, xyz, owner_api
):
    # given a sale with a gain in Joint, and in an account whose name looks like a formula
    # a wash-sale loss and a sale from shares carried in without a basis
    odd = AccountFactory(household=cast.household_a, name="=Trading", owner=cast.owner)
    buy(joint, "2024-01-02", xyz, 10, 1000)
    sell(joint, "2024-02-01", xyz, 4, 480)
    buy(odd, "2024-01-02", xyz, 10, 1000)
    sell(odd, "2024-03-01", xyz, 10, 750)
    buy(odd, "2024-03-15", xyz, 10, 800)
    path = tmp_path / "openings.csv"
    path.write_text(
        "id,date,account,type,symbol,quantity,amount\nopen1,2020-01-02,=Trading,OPENING,ABC,5,\n"
    )
    call_command("import_transactions", str(path), household=cast.household_a.name, stdout=None)
    sell(odd, "2024-05-01", Security.objects.get(symbol="ABC"), 5, 600)
    recompute()
    # when the CSV is streamed, and the JSON rows are written by the CSV renderer
    from portfolios.api.ledger import RealizedGainSerializer
    from portfolios.api.renderers import CSVRenderer
    from portfolios.selectors.ledger import realized_gains_list

    body = b"".join(owner_api.get("/api/v1/realized-gains/?format=csv").streaming_content)
    rendered = CSVRenderer().render(
        RealizedGainSerializer(realized_gains_list(household=cast.household_a), many=True).data
    )
    # then both are the same bytes, basis_unknown included
    assert body == rendered
    rows = body.decode().splitlines()
    assert rows[0].endswith(",account_id,security_id,basis_unknown")
    # Joint: 4 of 10 shares costing 1,000 (400) sold for 480: gain 80
    assert rows[1].startswith("Joint,XYZ,2024-01-02,2024-01-02,2024-02-01,4,480,400,80,0,80,")
    # the loss 750 - 1,000 = -250 is disallowed (replaced 14 days later): taxable 0
    assert rows[2].startswith("'=Trading,XYZ,2024-01-02,2024-01-02,2024-03-01,10,750,1000,-250,")
    assert ",-250,250,0,short,W," in rows[2]
    # the shares of unknown basis: proceeds 600, no basis, no gain, no taxable gain
    assert rows[3].startswith("'=Trading,ABC,2020-01-02,2020-01-02,2024-05-01,5,600,,,0,,long,")
    assert rows[3].endswith(",true")


@pytest.mark.parametrize("consolidated", [False, True])
def test_holdings_csv_is_the_serializers_rows_cell_for_cell(
    cast, joint, xyz, owner_api, consolidated
):
    # given XYZ in two accounts (one named like a formula) and a security with no close
    odd = AccountFactory(household=cast.household_a, name="+Trading", owner=cast.owner)
    unpriced = SecurityFactory(symbol="NOPX")
    deposit(joint, "2024-01-02", 5000)
    buy(joint, "2024-01-02", xyz, 10, 1000)
    buy(odd, "2024-03-01", xyz, 5, 750)
    buy(odd, "2024-03-04", unpriced, 2, 50)
    close(xyz, "2024-01-02", 120)
    recompute()
    # when the CSV is read, and the JSON rows are written by the CSV renderer
    from portfolios.api.ledger import HoldingSerializer
    from portfolios.api.renderers import CSVRenderer
    from portfolios.selectors.ledger import holdings_report

    query = "&consolidated=true" if consolidated else ""
    body = owner_api.get(f"/api/v1/holdings/?format=csv{query}").content
    holdings = holdings_report(household=cast.household_a, consolidated=consolidated).holdings
    rendered = CSVRenderer().render(HoldingSerializer(holdings, many=True).data)
    # then both are the same bytes
    assert body == rendered
    rows = body.decode().splitlines()
    if consolidated:
        # 15 XYZ at 120 = 1,800 against a cost of 1,750: gain 50; no account, no sleeve
        assert ",XYZ,15,1750,1800,50," in rows[2]
        assert rows[2].startswith(",XYZ,")
    else:
        # the formula-like account name neutralised; NOPX has no value, gain or weight
        assert rows[1].startswith("'+Trading,NOPX,2,50,,,,")
        assert rows[2].startswith("'+Trading,XYZ,5,750,600,-150,")


def test_lots_and_holdings_csv_columns(cast, joint, xyz, owner_api):
    buy(joint, "2024-01-02", xyz, 30, 3000)
    recompute()
    lots = owner_api.get("/api/v1/lots/", HTTP_ACCEPT="text/csv").content.decode().splitlines()
    holdings = owner_api.get("/api/v1/holdings/?format=csv").content.decode().splitlines()
    assert lots[0].startswith(
        "account,symbol,acquired,holding_period_start,quantity,cost_basis,wash_sale_adjustment,"
        "market_value,unrealized_gain,term"
    )
    assert holdings[0].startswith(
        "account,symbol,quantity,cost_basis,market_value,unrealized_gain,weight,sleeve,asset_class"
    )
    assert len(lots) == len(holdings) == 2


def test_another_households_account_answers_404_and_unknown_filters_400(
    cast, joint, xyz, owner_api
):
    # given household B's owner
    outsider = client_for(cast.outsider)
    # when / then another household's account id is not found
    for route in ("holdings", "lots", "realized-gains"):
        response = outsider.get(f"/api/v1/{route}/?account={joint.pk}")
        assert response.status_code == 404, route
        assert response.json()["errors"] == {}
    # and an unknown account, a bad year and a bad date name their field
    assert owner_api.get("/api/v1/lots/?account=Nowhere").json()["errors"].keys() == {"account"}
    bad_year = owner_api.get("/api/v1/realized-gains/?year=abc")
    assert (bad_year.status_code, list(bad_year.json()["errors"])) == (400, ["year"])
    bad_date = owner_api.get("/api/v1/holdings/?as_of=2024-13-01")
    assert (bad_date.status_code, list(bad_date.json()["errors"])) == (400, ["as_of"])


def test_household_b_sees_none_of_household_as_rows(cast, joint, xyz):
    buy(joint, "2024-01-02", xyz, 10, 1000)
    sell(joint, "2024-02-01", xyz, 5, 600)
    recompute()
    outsider = client_for(cast.outsider)
    for route in ("holdings", "lots", "realized-gains"):
        assert outsider.get(f"/api/v1/{route}/").json()["count"] == 0, route


def test_viewer_and_read_token_can_read(cast, joint, xyz):
    buy(joint, "2024-01-02", xyz, 10, 1000)
    recompute()
    viewer = client_for(cast.viewer)
    token, _ = token_client(cast.viewer, cast.household_a, scope="read")
    for client in (viewer, token):
        for route in ("holdings", "lots", "realized-gains"):
            assert client.get(f"/api/v1/{route}/").status_code == 200, route


def test_a_change_waiting_for_the_worker_is_rebuilt_before_reading(cast, joint, xyz, owner_api):
    # given a rebuilt ledger with 10 shares costing 1,000, then a sale of 4 saved and marked
    # changed while no worker runs (its task is never delivered)
    buy(joint, "2024-01-02", xyz, 10, 1000)
    recompute()
    sell(joint, "2024-02-01", xyz, 4, 480)
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 2, 1))

    # when
    lot = only(owner_api.get("/api/v1/lots/").json()["results"])

    # then the sale is already there: 6 shares left costing 1,000 - 4 x 100 = 600
    assert (lot["quantity"], lot["cost_basis"]) == ("6", "600")


def test_anonymous_is_401(joint, api_client):
    for route in ("holdings", "lots", "realized-gains"):
        assert api_client.get(f"/api/v1/{route}/").status_code == 401


# Query counts: a fixed number whatever the number of rows (no N+1)


@pytest.fixture
def busy_ledger(cast, joint):
    ira = AccountFactory(household=cast.household_a, name="IRA", type=Account.Type.ROTH_IRA)
    for n in range(6):
        security = SecurityFactory(symbol=f"S{n}")
        close(security, "2024-01-02", 10 + n)
        for account in (joint, ira):
            buy(account, "2024-01-02", security, 10, 100)
            buy(account, "2024-02-02", security, 10, 120)
            sell(account, "2024-03-04", security, 5, 90)
    recompute()


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # membership, ledger state, lots with accounts and securities, prices
        ("/api/v1/lots/", 4),
        ("/api/v1/lots/?format=csv", 4),
        # + the account filter
        ("/api/v1/lots/?account=Joint", 5),
        # membership, ledger state, count, page of reliefs with accounts and securities
        ("/api/v1/realized-gains/?year=2024", 4),
        # membership, ledger state, every relief (CSV is not paginated)
        ("/api/v1/realized-gains/?format=csv", 3),
        # membership, ledger state, the data's version, later-transactions check, positions,
        # securities, prices, accounts, cash (the balances the rebuild stored, then the
        # accounts)
        ("/api/v1/holdings/", 10),
        ("/api/v1/holdings/?consolidated=true", 10),
    ],
)
def test_list_endpoints_run_a_fixed_number_of_queries(
    cast, busy_ledger, django_assert_num_queries, url, queries
):
    client = client_for(cast.owner)
    with django_assert_num_queries(queries):
        response = client.get(url)
        if response.streaming:  # the rows are read as the body is sent
            b"".join(response.streaming_content)
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/holdings/", "/api/v1/holdings/?format=csv"])
def test_holdings_read_again_with_nothing_written_are_kept(
    cast, busy_ledger, django_assert_num_queries, url
):
    client = client_for(cast.owner)
    first = client.get(url)
    # then membership, ledger state and the data's version: the rows are the kept ones
    with django_assert_num_queries(3):
        again = client.get(url)
    assert again.content == first.content


# End to end: a Hearth CSV through `manage.py import_transactions`, then the API


def test_imported_file_with_a_wash_sale_and_specific_lots_reads_back_through_the_api(
    cast, tmp_path, owner_api
):
    # given two taxable accounts and a Hearth CSV (DESIGN §3): the Pub 550 wash sale in
    # Joint, and in Spouse two lots of ABC with a sale naming the second by its row id
    AccountFactory(household=cast.household_a, name="Joint")
    AccountFactory(household=cast.household_a, name="Spouse", lot_method="specific")
    csv_file = tmp_path / "history.csv"
    csv_file.write_text(
        "date,account,type,symbol,quantity,price,amount,fees,lots,id\n"
        "2024-01-02,Joint,DEPOSIT,,,,5000,,,d1\n"
        "2024-01-02,Joint,BUY,XYZ,100,10,1000,,,x1\n"
        "2024-03-01,Joint,SELL,XYZ,100,7.50,750,,,x2\n"
        "2024-03-15,Joint,BUY,XYZ,100,8,800,,,x3\n"
        "2024-01-02,Spouse,DEPOSIT,,,,5000,,,d2\n"
        "2024-01-10,Spouse,BUY,ABC,10,20,200,,,a1\n"
        "2024-02-10,Spouse,BUY,ABC,10,30,300,,,a2\n"
        "2024-06-10,Spouse,SELL,ABC,10,35,350,1,a2,a3\n"
    )

    # when the file is imported (no worker runs: the API brings the ledger up to date)
    call_command("import_transactions", str(csv_file), "--household", "Alpha", stdout=None)
    gains = owner_api.get("/api/v1/realized-gains/?year=2024").json()["results"]
    lots = owner_api.get("/api/v1/lots/").json()["results"]

    # then XYZ: the loss 750 - 1,000 = -250 is disallowed and moves into the new lot (1,050)
    xyz = next(g for g in gains if g["symbol"] == "XYZ")
    assert (xyz["gain"], xyz["wash_sale_disallowed"], xyz["taxable_gain"], xyz["code"]) == (
        "-250",
        "250",
        "0",
        "W",
    )
    assert [(lot["symbol"], lot["cost_basis"]) for lot in lots if lot["symbol"] == "XYZ"] == [
        ("XYZ", "1050")
    ]
    # and ABC: the February lot (300) is sold for 350 - 1 fee = 349, a gain of 49
    abc = next(g for g in gains if g["symbol"] == "ABC")
    assert (abc["acquired"], abc["proceeds"], abc["gain"]) == ("2024-02-10", "349", "49")
    assert [(lot["acquired"], lot["opened_by"]) for lot in lots if lot["symbol"] == "ABC"] == [
        ("2024-01-10", "a1")
    ]


def test_lots_csv_is_the_serializers_rows_cell_for_cell(cast, joint, xyz, owner_api):
    # given a lot with a gain (10 XYZ for 1,000, close 120), one with a loss in an account
    # whose name looks like a formula (5 XYZ for 750), and one with no close at all
    odd = AccountFactory(household=cast.household_a, name="=Trading", owner=cast.owner)
    unpriced = SecurityFactory(symbol="NOPX")
    buy(joint, "2024-01-02", xyz, 10, 1000)
    buy(odd, "2024-03-01", xyz, 5, 750)
    buy(odd, "2024-03-04", unpriced, 2, 50)
    close(xyz, "2024-01-02", 120)
    recompute()
    # when the CSV is read, and the JSON rows are written by the CSV renderer
    from portfolios.api.ledger import LotSerializer
    from portfolios.api.renderers import CSVRenderer
    from portfolios.selectors.ledger import open_lots_list

    body = owner_api.get("/api/v1/lots/?format=csv").content
    rendered = CSVRenderer().render(
        LotSerializer(open_lots_list(household=cast.household_a), many=True).data
    )
    # then both are the same bytes: gain 1,200 - 1,000 = 200, loss 600 - 750 = -150, the
    # formula-like name neutralised, the unpriced lot's value and gain empty
    assert body == rendered
    rows = body.decode().splitlines()
    assert len(rows) == 4
    assert rows[1].startswith("'=Trading,NOPX,2024-03-04,2024-03-04,2,50,0,,,")
    assert rows[2].startswith("'=Trading,XYZ,2024-03-01,2024-03-01,5,750,0,600,-150,")
    assert rows[3].startswith("Joint,XYZ,2024-01-02,2024-01-02,10,1000,0,1200,200,")
