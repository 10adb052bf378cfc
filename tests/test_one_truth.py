"""One truth: every number that means the same thing is the same everywhere (issue 10).

A household in New York with three accounts, valued between midnight in New York and
midnight UTC (04:40 UTC on Thu 2026-12-03 is 23:40 on Wed 2026-12-02 in New York), read
through the real HTTP interfaces: the dashboard, the holdings page, `holdings/` (JSON and
CSV), `accounts/`, `lots/`, `performance/`, `alerts/` and the yields page all value at one
as-of (the household's today) with one rounding (each position to the cent, half up).

Every expected figure is worked out by hand below from quantities and closes.

Closes (the latest on or before Wed 2026-12-02, carried forward, DESIGN §7):
    VTI  312.3456 (Wed 12-02)
    JEPI  55.125  (Tue 12-01)
    BND   71.235  (Tue 11-24: eight days old, carried forward)

Joint (taxable): deposit 30,000.00; JEPI 101 @ 58.00 = 5,858.00, 103 @ 57.50 = 5,922.50,
105 @ 57.00 = 5,985.00 (cost 17,765.50); VTI 40 @ 250.00 = 10,000.00.
    cash 30,000.00 − 17,765.50 − 10,000.00 = 2,234.50
    JEPI 309 × 55.125 = 17,033.625 → 17,033.63 (half up); gain 17,033.63 − 17,765.50 = −731.87
    VTI   40 × 312.3456 = 12,493.824 → 12,493.82; gain 12,493.82 − 10,000.00 = 2,493.82
    account 2,234.50 + 17,033.63 + 12,493.82 = 31,761.95
Roth (roth_ira): deposit 7,000.00; BND 33 @ 72.10 = 2,379.30; VTI 7.5 @ 260.00 = 1,950.00.
    cash 7,000.00 − 2,379.30 − 1,950.00 = 2,670.70
    BND 33 × 71.235 = 2,350.755 → 2,350.76;  VTI 7.5 × 312.3456 = 2,342.592 → 2,342.59
    account 2,670.70 + 2,350.76 + 2,342.59 = 7,364.05
Savings (cash): deposit 12,000.00.
Household: invested 17,033.63 + 12,493.82 + 2,350.76 + 2,342.59 = 34,220.80;
    cash 2,234.50 + 2,670.70 + 12,000.00 = 16,905.20; value 51,126.00.

JEPI's three lots share the position's 17,033.63 by cumulative rounding:
    lot 1: round(101 × 55.125 = 5,567.625) = 5,567.63;   loss 5,858.00 − 5,567.63 = 290.37
    lot 2: round(204 × 55.125) − 5,567.63 = 5,677.87;    loss 5,922.50 − 5,677.87 = 244.63
    lot 3: 17,033.63 − 11,245.50 = 5,788.13;             loss 5,985.00 − 5,788.13 = 196.87
    together 731.87 (each lot rounded alone would give 5,567.63 + 5,677.88 + 5,788.13 =
    17,033.64, a cent off the position).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from alerts.models import AlertRule
from alerts.services.recompute import household_recompute
from income.selectors.overview import holding_yields
from portfolios.models import Account, Security
from portfolios.selectors.ledger import holdings_report
from portfolios.services.households import household_create
from reporting.selectors.performance import value_as_of
from reporting.selectors.series import series_get
from tests.conftest import client_for
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit

pytestmark = pytest.mark.django_db
D = Decimal

BEFORE_UTC_MIDNIGHT_IN_NEW_YORK = "2026-12-03 04:40:00+00:00"  # 23:40 Wed 12-02 in New York
AFTER_MIDNIGHT_IN_NEW_YORK = "2026-12-03 05:10:00+00:00"  # 00:10 Thu 12-03 in New York

HOUSEHOLD_VALUE = D("51126.00")
INVESTED = D("34220.80")
CASH = D("16905.20")
JEPI_GAIN = D("-731.87")
JEPI_VALUE = D("17033.63")
JEPI_LOT_VALUES = [D("5567.63"), D("5677.87"), D("5788.13")]
ACCOUNT_VALUES = {"Joint": D("31761.95"), "Roth": D("7364.05"), "Savings": D("12000.00")}
MARKET_VALUES = {
    ("Joint", "JEPI"): D("17033.63"),
    ("Joint", "VTI"): D("12493.82"),
    ("Roth", "BND"): D("2350.76"),
    ("Roth", "VTI"): D("2342.59"),
}


@pytest.fixture
def household(db):
    household = household_create(name="Hearthside", owner_username="olivia", password="pw-1")
    household.time_zone = "America/New_York"
    household.default_benchmark = "VTI:60,BND:40"
    household.save(update_fields=["time_zone", "default_benchmark"])
    vti = SecurityFactory(symbol="VTI", kind=Security.Kind.ETF)
    jepi = SecurityFactory(
        symbol="JEPI", kind=Security.Kind.ETF, asset_class=Security.AssetClass.US_EQUITY
    )
    bnd = SecurityFactory(
        symbol="BND", kind=Security.Kind.ETF, asset_class=Security.AssetClass.BONDS
    )
    joint = AccountFactory(household=household, name="Joint", type=Account.Type.TAXABLE)
    roth = AccountFactory(household=household, name="Roth", type=Account.Type.ROTH_IRA)
    savings = AccountFactory(household=household, name="Savings", type=Account.Type.CASH)
    deposit(joint, "2026-06-01", "30000.00")
    buy(joint, "2026-06-02", jepi, 101, "5858.00")
    buy(joint, "2026-06-03", jepi, 103, "5922.50")
    buy(joint, "2026-06-04", jepi, 105, "5985.00")
    buy(joint, "2026-06-02", vti, 40, "10000.00")
    deposit(roth, "2026-06-01", "7000.00")
    buy(roth, "2026-06-05", bnd, 33, "2379.30")
    buy(roth, "2026-06-05", vti, "7.5", "1950.00")
    deposit(savings, "2026-06-01", "12000.00")
    for security, first, last_day, last in (
        (vti, "250.00", "2026-12-02", "312.3456"),
        (jepi, "58.00", "2026-12-01", "55.125"),
        (bnd, "72.10", "2026-11-24", "71.235"),
    ):
        close(security, "2026-06-01", first)
        close(security, "2026-09-15", D(first) * D("1.01"))
        close(security, last_day, last)
    # Only the rules whose values are checked: a JEPI loss over 500, and value levels.
    for kind, scope, threshold in (
        ("harvestable_loss", "security", 500),
        ("value_level", "household", 1),
        ("value_level", "account", 1),
    ):
        AlertRule.objects.create(
            household=household,
            kind=kind,
            scope=scope,
            threshold=D(threshold),
            direction="above",
            enabled=True,
        )
    return household


def _recompute(household) -> None:
    """What the worker runs after a change: ledger, valuations, projection, then alerts."""
    household_recompute(household=household, full=True)


def _api(household):
    from django.contrib.auth import get_user_model

    return client_for(get_user_model().objects.get(username="olivia"))


def _pages():
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="olivia"))
    return client


def _holdings_json(api) -> list[dict]:
    response = api.get("/api/v1/holdings/?page_size=1000")
    assert response.status_code == 200
    return response.json()["results"]


def _figures(household) -> dict:
    """Every place the household's value and JEPI's gain show, read over HTTP."""
    api, pages = _api(household), _pages()
    holdings = _holdings_json(api)
    csv_response = api.get("/api/v1/holdings/?format=csv")
    assert csv_response.status_code == 200
    csv_rows = list(csv.DictReader(io.StringIO(csv_response.content.decode())))
    accounts = api.get("/api/v1/accounts/").json()["results"]
    performance = api.get("/api/v1/performance/")
    assert performance.status_code == 200
    lots = api.get("/api/v1/lots/?symbol=JEPI").json()["results"]
    alerts = api.get("/api/v1/alerts/?status=open").json()["results"]
    harvest = api.get("/api/v1/harvest/?min_loss=0&min_loss_pct=0").json()["results"]
    dashboard = pages.get("/")
    holdings_page = pages.get("/portfolio/holdings/")
    return {
        "holdings": holdings,
        "csv": csv_rows,
        "accounts": accounts,
        "performance": performance.json(),
        "lots": lots,
        "alerts": alerts,
        "harvest": harvest,
        "dashboard": dashboard,
        "holdings_page": holdings_page,
    }


def _assert_one_truth(household, figures) -> None:
    holdings = figures["holdings"]
    # holdings/: each position at the as-of close, to the cent, as worked out above
    assert {(row["account"], row["symbol"]): D(row["market_value"]) for row in holdings} == (
        MARKET_VALUES
    )
    invested = sum((D(row["market_value"]) for row in holdings), D(0))
    cash = sum((D(row["cash_balance"]) for row in figures["accounts"]), D(0))
    assert (invested, cash) == (INVESTED, CASH)
    assert invested + cash == HOUSEHOLD_VALUE

    # CSV equals JSON, row for row and column for column
    assert len(figures["csv"]) == len(holdings)
    for json_row, csv_row in zip(holdings, figures["csv"], strict=True):
        for column, value in csv_row.items():
            expected = json_row[column]
            if isinstance(expected, bool):
                expected = "true" if expected else "false"
            assert value == ("" if expected is None else str(expected)), column

    # performance/ (no dates: up to the as-of) ends at the same value, with the default
    # benchmark compared without being asked
    performance = figures["performance"]
    assert D(performance["end_value"]) == HOUSEHOLD_VALUE
    assert performance["benchmark_twr"] is not None

    # the stored series at the as-of (what the dashboard's charts and "worth now" read)
    assert value_as_of(household=household) == HOUSEHOLD_VALUE
    assert {
        name: value_as_of(household=household, account=name) for name in ACCOUNT_VALUES
    } == ACCOUNT_VALUES

    # the dashboard: the household value as the page shows it
    dashboard = figures["dashboard"]
    assert dashboard.status_code == 200
    assert "51,126.00" in dashboard.content.decode()

    # JEPI's unrealized gain: holdings page, holdings/, lots/ summed, the harvest alert
    page_report = figures["holdings_page"].context["report"]
    page_jepi = next(h for h in page_report.holdings if h.symbol == "JEPI")
    api_jepi = next(row for row in holdings if row["symbol"] == "JEPI")
    assert page_jepi.unrealized_gain == D(api_jepi["unrealized_gain"]) == JEPI_GAIN
    assert page_report.total == HOUSEHOLD_VALUE
    assert [D(lot["market_value"]) for lot in figures["lots"]] == JEPI_LOT_VALUES
    assert sum((D(lot["unrealized_gain"]) for lot in figures["lots"]), D(0)) == JEPI_GAIN
    harvest = [a for a in figures["alerts"] if a["rule"] == "harvestable_loss"]
    assert [(a["subject"], D(a["value"])) for a in harvest] == [("Joint:JEPI", -JEPI_GAIN)]
    assert "$731.87 loss (3 lots below cost)" in harvest[0]["message"]
    # harvest/: the same loss and the lots' value (all three lots are below cost)
    candidates = {(row["account"], row["symbol"]): row for row in figures["harvest"]}
    jepi = candidates[("Joint", "JEPI")]
    assert (D(jepi["loss"]), D(jepi["market_value"])) == (-JEPI_GAIN, JEPI_VALUE)
    # the value alerts say what the pages say
    levels = {a["subject"]: D(a["value"]) for a in figures["alerts"] if a["rule"] == "value_level"}
    assert levels == {
        "household": HOUSEHOLD_VALUE,
        **{f"account:{name}": value for name, value in ACCOUNT_VALUES.items()},
    }


@time_machine.travel(BEFORE_UTC_MIDNIGHT_IN_NEW_YORK, tick=False)
def test_every_path_values_at_the_households_as_of_between_its_midnight_and_utcs(household):
    # when: the worker's recompute ran at 23:40 in New York (already Thursday in UTC)
    _recompute(household)
    # then: the stored series ends on the household's Wednesday, with the same value
    stored = series_get(household=household, scope="household")
    assert stored.end == date(2026, 12, 2)
    # and every interface agrees to the cent with the hand-worked figures
    _assert_one_truth(household, _figures(household))


def test_the_numbers_at_04_40_and_05_10_utc_are_the_same(household):
    """The issue's window: seen at 04:40 UTC, gone at 05:10 UTC. No close is newer than
    Wednesday, so Wednesday night and Thursday 00:10 in New York value the same."""
    with time_machine.travel(BEFORE_UTC_MIDNIGHT_IN_NEW_YORK, tick=False):
        _recompute(household)
        before = _figures(household)
        _assert_one_truth(household, before)
    with time_machine.travel(AFTER_MIDNIGHT_IN_NEW_YORK, tick=False):
        # the series still ends on Wednesday until the next recompute: the same figures
        after = _figures(household)
        _assert_one_truth(household, after)
        _recompute(household)  # the nightly run extends it to Thursday
        again = _figures(household)
        _assert_one_truth(household, again)
    for key in ("holdings", "csv", "accounts", "lots"):
        assert before[key] == after[key] == again[key], key
    for field in ("end_value", "benchmark_twr"):
        assert before["performance"][field] == after["performance"][field], field


@time_machine.travel(BEFORE_UTC_MIDNIGHT_IN_NEW_YORK, tick=False)
def test_a_close_dated_the_utc_day_is_not_yet_today_for_the_household(household):
    """A provider that dates by the server's clock wrote Thursday's VTI close at 04:40 UTC.
    It is still Wednesday in New York: no path values at it, and all agree."""
    close(Security.objects.get(symbol="VTI"), "2026-12-03", "400.00")
    _recompute(household)
    _assert_one_truth(household, _figures(household))


@time_machine.travel(AFTER_MIDNIGHT_IN_NEW_YORK, tick=False)
def test_after_midnight_in_new_york_thursdays_close_counts_everywhere(household):
    """At 00:10 Thursday in New York the same close is today's: every path moves together.

    VTI at 400.00: Joint 40 × 400 = 16,000.00, Roth 7.5 × 400 = 3,000.00; invested
    17,033.63 + 16,000.00 + 2,350.76 + 3,000.00 = 38,384.39; value 38,384.39 + 16,905.20
    = 55,289.59.
    """
    close(Security.objects.get(symbol="VTI"), "2026-12-03", "400.00")
    _recompute(household)
    api = _api(household)
    invested = sum((D(row["market_value"]) for row in _holdings_json(api)), D(0))
    assert invested == D("38384.39")
    assert D(api.get("/api/v1/performance/").json()["end_value"]) == D("55289.59")
    assert "55,289.59" in _pages().get("/").content.decode()


@time_machine.travel(BEFORE_UTC_MIDNIGHT_IN_NEW_YORK, tick=False)
def test_yields_and_past_days_value_as_the_holdings(household):
    """The yields page's market values are the holdings' (same close, same rounding), and on
    any past day the stored series equals the holdings on that day plus cash."""
    _recompute(household)
    table = holding_yields(household=household, today=date(2026, 12, 2))
    assert {
        (row.position.account_name, row.position.holding.symbol): row.position.market_value
        for row in table.rows
    } == MARKET_VALUES
    assert table.market_value == INVESTED
    response = _pages().get("/income/yields/")
    assert response.status_code == 200
    assert response.context["table"].market_value == INVESTED
    stored = series_get(household=household, scope="household")
    api = _api(household)
    for day in ("2026-06-05", "2026-09-15", "2026-11-24", "2026-11-29", "2026-12-01"):
        report = holdings_report(household=household, as_of=date.fromisoformat(day))
        end_value = D(api.get(f"/api/v1/performance/?end={day}").json()["end_value"])
        assert end_value == report.total, day
        index = (date.fromisoformat(day) - stored.series.start).days
        assert D(int(stored.series.money["value"][index])) / 10000 == report.total, day


@time_machine.travel("2026-11-30 13:00:00+00:00", tick=False)  # Monday 08:00 in New York
def test_weekly_email_values_the_week_as_the_pages_value_that_day(household):
    """The e-mail of the week ending Sun 2026-11-29 says the value the holdings show on that
    day and the performance API ends at.

    Latest closes on or before 11-29: VTI 252.50 and JEPI 58.58 (09-15: 250.00 and 58.00
    × 1.01), BND 71.235 (11-24). JEPI 309 × 58.58 = 18,101.22; VTI 40 × 252.50 = 10,100.00
    and 7.5 × 252.50 = 1,893.75; BND 2,350.76. Invested 32,445.73 + cash 16,905.20 =
    49,350.93.
    """
    from django.contrib.auth import get_user_model
    from django.core import mail

    from alerts.services.weekly_reports import income_reports_send
    from portfolios.models import Membership

    owner = get_user_model().objects.get(username="olivia")
    owner.email = "olivia@example.com"
    owner.save(update_fields=["email"])
    Membership.objects.filter(user=owner).update(weekly_report=True)
    _recompute(household)
    week_value = D("49350.93")
    assert holdings_report(household=household, as_of=date(2026, 11, 29)).total == week_value
    performance = _api(household).get("/api/v1/performance/?end=2026-11-29").json()
    assert D(performance["end_value"]) == week_value
    # when
    run = income_reports_send(week_ending=date(2026, 11, 29))
    # then
    assert run.sent == 1
    weekly = [m for m in mail.outbox if "week ending Nov 29" in m.subject]
    assert len(weekly) == 1
    assert "Value on Nov 29: $49,350.93" in weekly[0].body


@time_machine.travel(BEFORE_UTC_MIDNIGHT_IN_NEW_YORK, tick=False)
def test_a_deposit_dated_tomorrow_waits_for_its_day_everywhere(household):
    """A bank that dates by UTC sent Thursday's 1,000.00 deposit at 23:40 Wednesday in New
    York: not yet in the cash of `accounts/`, the holdings or the value now (51,126.00), and
    in all of them once the household's Thursday starts (52,126.00)."""
    savings = Account.objects.get(household=household, name="Savings")
    deposit(savings, "2026-12-03", "1000.00")
    _recompute(household)
    _assert_one_truth(household, _figures(household))
    with time_machine.travel(AFTER_MIDNIGHT_IN_NEW_YORK, tick=False):
        _recompute(household)
        api = _api(household)
        cash = sum(
            (D(row["cash_balance"]) for row in api.get("/api/v1/accounts/").json()["results"]),
            D(0),
        )
        assert cash == CASH + 1000
        assert D(api.get("/api/v1/performance/").json()["end_value"]) == D("52126.00")
        assert value_as_of(household=household) == D("52126.00")
