"""The front page and the account page: every figure worked out by hand on a small household.

The household on Wednesday 2026-03-18 (noon in New York; closes stored through the 17th):

* Joint (taxable, no owner, core sleeve): deposited 10,000 on 2025-12-01 and bought 50 VTI at
  100 and 40 BND at 50; deposited 1,000 more on 2026-03-02. VTI closes at 110 from 03-11.
  Today: 50 x 110 + 40 x 50 + cash 4,000 = 11,500.
* Alice's IRA (traditional IRA, owner alice, income sleeve): deposited 4,000 on 2025-12-01 and
  bought 60 BND at 50; BND paid a 30.00 dividend on 2026-03-05. Today: 3,000 + 1,030 = 4,030.
* Old account (closed, empty).

Net worth 15,530. Over the month (from the close of 02-18, 14,000): +1,530, of which 1,000 put
in; TWR = 15,000/15,000 (deposit day) x 15,030/15,000 (dividend) x 15,530/15,030 - 1 =
15,530/15,000 - 1 = +3.53%.
Sleeves of 15,530 (targets core 70, income 20, growth 10; band 5 pp): core 11,500 = 74.0502%
(+4.1 pp, within), income 4,030 = 25.9498% (+5.9 pp, over), growth 0 (-10.0 pp, under).
Within core (targets US equity 60, bonds 40): US equity 5,500/11,500 = 47.8261% (-12.2 pp),
bonds 2,000/11,500 = 17.3913% (-22.6 pp), both under.
Income: BND declared 0.15 a share, ex 03-20, paid 03-25: 40 x 0.15 = 6.00 (Joint) and
60 x 0.15 = 9.00 (IRA) in the next 14 days. This month: 30.00 received + 15.00 expected = 45.00
of the 100.00 target.
"""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from alerts.services.recompute import household_recompute
from portfolios.models import Account, DividendEvent, Household, Security, Target, Transaction
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory
from tests.portfolios.ledger_builders import buy, close, deposit

pytestmark = pytest.mark.django_db
NOW = "2026-03-18 16:00Z"  # noon in New York


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def family(cast):
    household = cast.household_a
    Household.objects.filter(pk=household.pk).update(
        monthly_income_target=Decimal(100), default_benchmark="VTI"
    )
    household.refresh_from_db()
    core = household.sleeves.get(name="core")
    income = household.sleeves.get(name="income")
    Target.objects.create(sleeve=core, asset_class="us_equity", target_weight=60)
    Target.objects.create(sleeve=core, asset_class="bonds", target_weight=40)
    vti = SecurityFactory(symbol="VTI", name="Vanguard Total Stock Market ETF")
    bnd = SecurityFactory(symbol="BND", name="Vanguard Total Bond Market ETF", asset_class="bonds")
    joint = AccountFactory(household=household, name="Joint", default_sleeve=core)
    ira = AccountFactory(
        household=household,
        name="Alice IRA",
        type=Account.Type.TRADITIONAL_IRA,
        owner=cast.owner,
        default_sleeve=income,
    )
    AccountFactory(household=household, name="Old account", closed_on=date(2025, 6, 30))
    deposit(joint, "2025-12-01", 10000)
    buy(joint, "2025-12-01", vti, 50, 5000)
    buy(joint, "2025-12-01", bnd, 40, 2000)
    deposit(joint, "2026-03-02", 1000)
    deposit(ira, "2025-12-01", 4000)
    buy(ira, "2025-12-01", bnd, 60, 3000)
    TransactionFactory(
        account=ira,
        trade_date=date(2026, 3, 5),
        type=Transaction.Type.DIVIDEND,
        security=bnd,
        amount=Decimal("30.00"),
    )
    for day in ("2025-12-01", "2026-02-18", "2026-03-10"):
        close(vti, day, 100)
    for day in ("2026-03-11", "2026-03-17"):
        close(vti, day, 110)
    for day in ("2025-12-01", "2026-03-17"):
        close(bnd, day, 50)
    DividendEvent.objects.create(
        security=bnd,
        ex_date=date(2026, 3, 20),
        pay_date=date(2026, 3, 25),
        amount=Decimal("0.15"),
    )
    household_recompute(household=household)
    return {"household": household, "joint": joint, "ira": ira}


def _get(user, path):
    client = Client()
    client.force_login(user)
    return client.get(path)


def _text(html: str, element_id: str) -> str:
    """Return the text inside the element with this id, tags removed, spaces collapsed."""
    start = html.index(f'id="{element_id}"')
    start = html.index(">", start) + 1
    depth, position = 1, start
    tag = re.compile(r"<(/?)(div|section|ul|table|li|span|p|dl|dd|dt|tr|td|tbody|strong|a)\b[^>]*>")
    while depth:
        match = tag.search(html, position)
        depth += -1 if match.group(1) else 1
        position = match.end()
    text = re.sub(r"<[^>]+>", " ", html[start:position])
    return re.sub(r"\s+", " ", text).strip()


def _chart_data(html: str) -> dict:
    embedded = html.split('<script id="dashboard-data" type="application/json">')[1]
    return json.loads(embedded.split("</script>")[0])


def test_net_worth_and_the_month_split_into_put_in_and_return(cast, family):
    html = _get(cast.viewer, "/").content.decode()
    assert _text(html, "kpi-total") == "$15,530.00"
    month = _text(html, "change-1m")
    assert "since Feb 18" in month
    assert "+$1,530.00" in month
    assert "Put in +$1,000.00" in month
    assert "Return +3.53%" in month
    day = _text(html, "change-1d")  # Tuesday's close against Wednesday's: nothing moved
    assert "$0.00" in day and "since Mar 17" in day
    ytd = _text(html, "change-ytd")
    assert "+$1,530.00" in ytd and "Put in +$1,000.00" in ytd and "+3.53%" in ytd
    year = _text(html, "change-1y")  # the history starts before 2025-12-01: from 0
    assert "+$15,530.00" in year and "Put in +$15,000.00" in year and "+3.53%" in year


def test_sleeves_drift_in_points_and_the_out_of_band_ones_are_called_out(cast, family):
    html = _get(cast.owner, "/").content.decode()
    callouts = _text(html, "out-of-band")
    lines = re.findall(r"[−+]\d+\.\d pp [^%]+%, target [\d.]+%", callouts)
    assert lines == [
        "−22.6 pp Bonds in the Core sleeve 17.4%, target 40.0%",
        "−12.2 pp US equity in the Core sleeve 47.8%, target 60.0%",
        "−10.0 pp Growth 0.0%, target 10.0%",
        "+5.9 pp Income 25.9%, target 20.0%",
    ]
    assert 'class="status-under">−22.6 pp' in html
    assert 'class="status-over">+5.9 pp' in html
    sunburst = _chart_data(html)["sunburst"]["data"][0]
    labels = dict(zip(sunburst["ids"], sunburst["labels"], strict=True))
    assert labels["s:core"] == "Core<br>+4.1 pp"  # within its band: not called out
    assert labels["s:income"] == "Income<br>+5.9 pp"
    assert labels["s:core/us_equity"] == "US equity<br>−12.2 pp"
    assert labels["s:core/cash"] == "Cash"  # no target
    values = dict(zip(sunburst["ids"], sunburst["values"], strict=True))
    assert values == {
        "all": 15530.0,
        "s:core": 11500.0,
        "s:core/us_equity": 5500.0,
        "s:core/cash": 4000.0,
        "s:core/bonds": 2000.0,
        "s:income": 4030.0,
        "s:income/bonds": 3000.0,
        "s:income/cash": 1030.0,
    }


def test_income_this_month_against_the_target_and_the_next_fourteen_days(cast, family):
    html = _get(cast.owner, "/").content.decode()
    month = _text(html, "income-month")
    assert month == "$45.00 of $100.00"
    assert "$30.00 received so far, $15.00 still expected" in _text(html, "income-card")
    upcoming = _text(html, "upcoming-payments")
    assert upcoming.count("Mar 25") == 2
    assert "BND · Vanguard Total Bond Market ETF" in upcoming
    assert "$6.00" in upcoming and "$9.00" in upcoming
    assert "2 payments, $15.00 in all." in _text(html, "upcoming-card")
    figure = _chart_data(html)["income"]
    target = next(trace for trace in figure["data"] if trace["name"] == "Monthly target")
    assert set(target["y"]) == {100.0}


def test_last_twelve_months_of_income_is_the_income_pages_figure(cast, family):
    # given payments on the edges of (2025-03-18, 2026-03-18]: the day itself 12 months ago
    # is out, the next day in, with the 30.00 of 5 March 2026
    ira, bnd = family["ira"], Security.objects.get(symbol="BND")
    for day, amount in (("2025-03-18", "7.00"), ("2025-03-19", "11.00")):
        TransactionFactory(
            account=ira,
            trade_date=date.fromisoformat(day),
            type=Transaction.Type.DIVIDEND,
            security=bnd,
            amount=Decimal(amount),
        )
    dashboard = _get(cast.owner, "/").content.decode()
    income_page = _get(cast.owner, "/income/").content.decode()
    assert _text(dashboard, "income-received") == "$41.00"  # 11.00 + 30.00
    assert _text(income_page, "kpi-ttm") == "$41.00"


@pytest.mark.parametrize(
    ("show", "worth", "month_change", "put_in", "twr"),
    [
        ("joint", "$11,500.00", "+$1,500.00", "+$1,000.00", "+4.55%"),  # 11,500/11,000 - 1
        ("retirement", "$4,030.00", "+$30.00", "$0.00", "+0.75%"),  # 4,030/4,000 - 1
        ("taxable", "$11,500.00", "+$1,500.00", "+$1,000.00", "+4.55%"),
    ],
)
def test_a_group_of_accounts_has_its_own_figures(
    cast, family, show, worth, month_change, put_in, twr
):
    html = _get(cast.owner, f"/?show={show}").content.decode()
    assert _text(html, "kpi-total") == worth
    month = _text(html, "change-1m")
    assert month_change in month and f"Put in {put_in}" in month and f"Return {twr}" in month
    sunburst = _chart_data(html)["sunburst"]["data"][0]
    sleeve_labels = [
        label
        for id_, label in zip(sunburst["ids"], sunburst["labels"], strict=True)
        if id_.count(":") == 1 and "/" not in id_
    ]
    assert sleeve_labels in (["Core"], ["Income"])  # a group has no sleeve targets of its own
    accounts = _text(html, "accounts-table")
    assert ("Joint" in accounts) == (show != "retirement")
    assert ("Alice IRA" in accounts) == (show == "retirement")


def test_a_members_accounts_and_the_income_of_a_group(cast, family):
    html = _get(cast.owner, f"/?show=member-{cast.owner.pk}").content.decode()
    assert _text(html, "kpi-total") == "$4,030.00"
    assert "$30.00 received so far, $9.00 still expected" in _text(html, "income-card")
    assert _text(html, "income-month") == "$39.00"  # the target is the household's
    assert "$9.00" in _text(html, "upcoming-payments")
    assert "$6.00" not in _text(html, "upcoming-payments")


def test_closed_accounts_are_off_the_list_but_unknown_groups_show_everything(cast, family):
    html = _get(cast.owner, "/?show=nonsense").content.decode()
    accounts = _text(html, "accounts-table")
    assert "Joint" in accounts and "Alice IRA" in accounts
    assert "Old account" not in accounts
    assert _text(html, "kpi-total") == "$15,530.00"


def test_account_page_shows_its_value_holdings_lots_income_and_ledger(cast, family):
    response = _get(cast.viewer, f"/portfolio/accounts/{family['joint'].pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _text(html, "kpi-total") == "$11,500.00"
    holdings = _text(html, "account-holdings")
    assert "VTI · Vanguard Total Stock Market ETF" in holdings
    assert "$5,500.00" in holdings and "+$500.00" in holdings  # 50 x (110 - 100)
    lots = _text(html, "account-lots")
    assert "Dec 1, 2025" in lots and "+$500.00" in lots
    assert "$6.00" in _text(html, "upcoming-payments")
    ledger = _text(html, "account-ledger")
    assert ledger.count("Deposit") == 2 and "Buy" in ledger
    assert "Alice IRA" not in html.split('id="ledger"')[1]
    assert _chart_data(html)["lines"]["1M"]["value"][-1] == 11500.0


def test_other_households_account_is_404_and_a_household_without_accounts_gets_the_checklist(
    cast, family
):
    assert _get(cast.outsider, f"/portfolio/accounts/{family['joint'].pk}/").status_code == 404
    first_run = _get(cast.outsider, "/")
    assert first_run.status_code == 200
    assert "Joint" not in first_run.content.decode()
    assert 'id="accounts-table"' not in first_run.content.decode()


def test_the_dashboard_reads_stored_series_in_a_bounded_number_of_queries(cast, family):
    client = Client()
    client.force_login(cast.owner)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    assert len(queries) <= 40
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any("INSERT" in q or "UPDATE" in q for q in sql)
    # the accounts' cash is read from the stored series, not summed over every transaction
    assert not any('SUM("portfolios_transaction"."amount")' in q for q in sql)


def test_before_the_first_valuation_the_page_shows_todays_value_and_says_so(cast):
    account = AccountFactory(household=cast.household_a, name="New brokerage")
    deposit(account, "2026-03-02", 2500)
    html = _get(cast.owner, "/").content.decode()
    assert _text(html, "kpi-total") == "$2,500.00"
    assert "its history is still being computed" in html
    assert 'id="chart-value"' not in html
    assert _chart_data(html)["lines"] == {}


def test_a_benchmark_without_prices_is_left_out_with_a_note(cast, family):
    Household.objects.filter(pk=family["household"].pk).update(default_benchmark="NOPE")
    html = _get(cast.owner, "/").content.decode()
    assert "Benchmark left out: no prices stored for NOPE." in html
    assert all(lines["benchmark"] is None for lines in _chart_data(html)["lines"].values())
    assert _text(html, "kpi-total") == "$15,530.00"


def test_cash_comes_from_the_ledger_when_the_stored_series_are_older_than_it(cast, family):
    # given, an hour later, a deposit the worker has not valued yet (the page catches up
    # the lots only)
    from portfolios.services.recompute import ledger_mark_changed

    with time_machine.travel("2026-03-18 17:00Z", tick=False):
        deposit(family["joint"], "2026-03-18", 100)
        ledger_mark_changed(household=family["household"], from_date=date(2026, 3, 18))
        html = _get(cast.owner, "/").content.decode()
    # then today's accounts count it, while the stored net worth is the last valuation's
    assert "$15,630.00" in _text(html, "accounts-table")
    assert _text(html, "kpi-total") == "$15,530.00"


def test_the_account_ledger_is_paginated_newest_first(cast, family):
    for day in range(1, 28):  # 27 deposits and 27 fees besides its deposit, buy and dividend
        deposit(family["ira"], f"2026-02-{day:02d}", 10)
        TransactionFactory(
            account=family["ira"],
            trade_date=date(2026, 2, day),
            type=Transaction.Type.FEE,
            amount=Decimal("1.00"),
        )
    first = _get(cast.owner, f"/portfolio/accounts/{family['ira'].pk}/").content.decode()
    assert "Page 1 of 2 · 57 transactions" in first
    assert _text(first, "account-ledger").split(" Memo ")[1].startswith("2026-03-05 Dividend")
    second = _get(cast.owner, f"/portfolio/accounts/{family['ira'].pk}/?page=2").content.decode()
    assert "Page 2 of 2" in second
    assert _text(second, "account-ledger").count("2025-12-01") == 2  # deposit and buy


@pytest.mark.parametrize("opened", [2, 7])
def test_open_alerts_are_counted_in_the_attention_card_and_the_menu_badge(cast, family, opened):
    # given the household's alerts after the recompute, plus `opened` new open episodes,
    # one acknowledged and one resolved (neither counts)
    from django.utils import timezone

    from alerts.models import AlertEpisode, AlertRule

    household = family["household"]
    before = AlertEpisode.objects.filter(
        household=household, resolved_at=None, acknowledged_at=None
    ).count()
    rule = AlertRule.objects.filter(household=household).first()
    now = timezone.now()
    for n in range(opened + 2):
        AlertEpisode.objects.create(
            rule=rule, household=household, subject=f"s{n}", message=f"episode {n}",
            opened_at=now, last_seen_at=now,
            acknowledged_at=now if n == opened else None,
            resolved_at=now if n == opened + 1 else None,
        )  # fmt: skip
    # when
    html = _get(cast.owner, "/").content.decode()
    # then the card and the menu's badge both count the open ones only
    count = before + opened
    assert _text(html, "open-alert-count") == str(count)
    assert f'aria-label="{count} open alerts">{count}</span>' in html
    # and the card lists at most three
    assert len(re.findall(r"<li>", _text_html(html, "top-alerts"))) == min(count, 3)


def _text_html(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</ul>", start)]
