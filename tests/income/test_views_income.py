"""The income pages and what they read: overview, calendar, bond ladder, yields, settings.

Today is frozen at Thursday 10 April 2025, noon in New York.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from income.models import IncomeSettings
from income.selectors import received_payments
from income.selectors.overview import bond_ladder_view, holding_yields, income_overview
from portfolios.models import Household, Price, Security
from portfolios.services.ledger import ledger_rebuild
from tests.income.builders import TODAY, buy, deposit, event, security

pytestmark = pytest.mark.usefixtures("frozen_today")
D = Decimal
# Each page, and what it shows of the `holdings` fixture (ladder: that there are no bonds).
PAGES = {
    "/income/": "Brokerage",
    "/income/calendar/": "52.80",
    "/income/calendar/?view=list": "Roth",
    "/income/ladder/": "No bonds held",
    "/income/yields/": "Brokerage",
}


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_tax_withheld_is_set_against_its_payment_and_return_of_capital_apart(cast, received):
    # given the received income (conftest): 7.65 withheld from KO's 51.00 on 14 March

    # when
    ledger = received_payments(household=cast.household_a)

    # then the withholding sits on KO's payment; the 10.00 return of capital is not income
    withheld = [(p.symbol, p.amount, p.tax_withheld) for p in ledger.payments if p.tax_withheld]
    assert withheld == [("KO", D("51.00"), D("7.65"))]
    assert ledger.unmatched_tax_withheld == D(0)
    assert [p.amount for p in ledger.payments if not p.is_income] == [D("10.00")]
    assert len(ledger.income) == len(ledger.payments) - 1


def test_overview_totals_after_tax_estimate_and_groups(cast, received):
    # given the received income (conftest) and the default tax rates: federal 22%,
    # state 5%, qualified 15%

    # when
    overview = income_overview(household=cast.household_a, today=TODAY)

    # then the last 12 months hold it all: 478.34 (return of capital left out); this year
    # 85 + 20 + 52.50 + 12.34 + 51 + 52.50 = 273.34, nothing the year before
    assert overview.trailing_twelve_months == D("478.34")
    assert overview.year_to_date == D("273.34")
    assert overview.year_over_year.previous == D(0)
    # taxable ordinary-rate income 200 + 85 + 20 + 12.34 = 317.34 at 27%, qualified-rate
    # 5 + 51 = 56 at 20%: 85.6818 + 11.20 = 96.8818 -> 96.88; the IRA's 105 owes nothing now
    assert overview.after_tax_received.gross == D("478.34")
    assert overview.after_tax_received.tax == D("96.88")
    assert overview.after_tax_received.net == D("381.46")
    assert overview.return_of_capital == D("10.00")
    assert overview.tax_withheld == D("7.65")
    # alice owns Taxable (373.34), carol the IRA (105.00)
    members = [(g.label, g.amount) for g in overview.groups["member"]]
    assert members == [("alice", D("373.34")), ("carol", D("105.00"))]
    treatments = [(g.label, g.amount) for g in overview.groups["tax_treatment"]]
    assert treatments == [("tax_deferred", D("105.00")), ("taxable", D("373.34"))]


def test_overview_months_short_and_paycheck_against_the_target(cast, holdings):
    # given a 100.00 monthly target and 6 months of reserve asked for; cash is
    # 10,000 - 6,000 + 51 = 4,051 in Brokerage and 20,000 - 11,000 + 52.50 = 9,052.50 in Roth
    Household.objects.filter(pk=cast.household_a.pk).update(monthly_income_target=D(100))
    household = Household.objects.get(pk=cast.household_a.pk)

    # when
    overview = income_overview(household=household, today=TODAY)

    # then O's 52.80 a month falls short by 47.20, except June, September, December and
    # March when KO adds 51.00 (103.80)
    assert [(s.month, s.gap) for s in overview.short][:3] == [
        (date(2025, 4, 1), D("47.20")),
        (date(2025, 5, 1), D("47.20")),
        (date(2025, 7, 1), D("47.20")),
    ]
    assert len(overview.short) == 8
    # without settings the paycheck is the target, paid from all cash: 13,103.50 is 131.035
    # months of 100, above the 6 asked for, and every month is covered
    paycheck = overview.paycheck
    assert (paycheck.amount, paycheck.reserve_cash) == (D(100), D("13103.50"))
    assert paycheck.coverage.reserve_months == D("131.035")
    assert not paycheck.coverage.warning
    assert not paycheck.configured


def test_paycheck_warns_when_the_spending_account_reserve_is_under_the_policy(cast, holdings):
    # given a 2,000 paycheck from Brokerage (4,051 of cash: 2.0255 months, under 6)
    IncomeSettings.objects.create(
        household=cast.household_a,
        paycheck_account=holdings["taxable"],
        paycheck_amount=D(2000),
    )

    # when
    overview = income_overview(household=cast.household_a, today=TODAY)

    # then after April: 4,051 + 52.80 - 2,000 = 2,103.80; May 156.60; June runs out:
    # 156.60 + 103.80 - 2,000 = -1,739.60
    coverage = overview.paycheck.coverage
    assert coverage.reserve_months == D("2.0255")
    assert coverage.below_reserve_target
    assert [(m.reserve_after, m.covered) for m in coverage.months[:3]] == [
        (D("2103.80"), True),
        (D("156.60"), True),
        (D("-1739.60"), False),
    ]


def test_yields_per_holding_and_overall(cast, holdings):
    # given KO closed at 68 and O at 60 on 9 April; KO paid 0.46 a quarter the year before
    ko, realty = Security.objects.get(symbol="KO"), Security.objects.get(symbol="O")
    Price.objects.create(security=ko, date=date(2025, 4, 9), close=D(68))
    Price.objects.create(security=realty, date=date(2025, 4, 9), close=D(60))
    for pay in (date(2023, 6, 14), date(2023, 9, 13), date(2023, 12, 13), date(2024, 3, 14)):
        event(ko, pay.replace(day=1), pay, "0.46")

    # when
    table = holding_yields(household=cast.household_a, today=TODAY)

    # then KO: 4 * 51 = 204 a year on 6,000 of cost (3.4%) and 6,800 of value (3%);
    # per share 3 * 0.485 + 0.51 = 1.965 against 4 * 0.46 = 1.84 a year earlier: +6.79%
    rows = {row.position.holding.symbol: row for row in table.rows}
    assert rows["KO"].forward_income == D("204.00")
    assert rows["KO"].yield_on_cost == D("0.034")
    assert rows["KO"].current_yield == D("0.03")
    assert rows["KO"].growth[1] == D("1.965") / D("1.84") - 1
    assert rows["KO"].growth[3] is None
    # O: 12 * 52.80 = 633.60 on 11,000 of cost and 12,000 of value; received 52.50
    assert rows["O"].forward_income == D("633.60")
    assert rows["O"].current_yield == D("0.0528")
    assert rows["O"].trailing_income == D("52.50")
    # overall: 837.60 / 17,000 and 837.60 / 18,800
    assert table.yield_on_cost == D("837.60") / D(17000)
    assert table.current_yield == D("837.60") / D(18800)


def test_bond_ladder_per_year(cast):
    # given two bonds of 1,000 face: 5 paying 4% semiannually to 15 November 2025, 3 paying
    # 5% annually to 1 March 2027
    account = cast.household_a.accounts.create(name="Bonds")
    short = security(
        "UST-25",
        kind=Security.Kind.BOND,
        face_value=D(1000),
        coupon_rate=D("0.04"),
        coupon_frequency=2,
        maturity=date(2025, 11, 15),
    )
    long = security(
        "CORP-27",
        kind=Security.Kind.BOND,
        face_value=D(1000),
        coupon_rate=D("0.05"),
        coupon_frequency=1,
        maturity=date(2027, 3, 1),
    )
    deposit(account, date(2024, 1, 2), "8000")
    buy(account, short, date(2024, 1, 3), "5", "980")
    buy(account, long, date(2024, 1, 3), "3", "1000")
    ledger_rebuild(household=cast.household_a)

    # when
    years, bonds = bond_ladder_view(household=cast.household_a, today=TODAY)

    # then 2025: 5,000 back and coupons of 0.04 * 5,000 / 2 = 100 in May and November
    # (CORP's 1 March 2025 coupon is past); 2026: CORP's 0.05 * 3,000 = 150 on 1 March;
    # 2027: its last 150 and the 3,000 back
    assert [(y.year, y.maturing_face_value, y.coupon_income) for y in years] == [
        (2025, D("5000.00"), D("200.00")),
        (2026, D(0), D("150.00")),
        (2027, D("3000.00"), D("150.00")),
    ]
    assert [bond.position.holding.symbol for bond in bonds] == ["UST-25", "CORP-27"]


@pytest.mark.parametrize("role", ["owner", "member", "viewer"])
def test_members_see_every_income_page(cast, holdings, role):
    client = _browser(getattr(cast, role))
    for url, shown in PAGES.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert shown in response.content.decode(), url


def test_income_page_draws_with_our_own_plotly_and_the_target(cast, holdings):
    # when
    html = _browser(cast.owner).get("/income/").content.decode()

    # then plotly.js comes from our static files; the chart data holds both kinds of bars
    assert "/static/plotly/plotly.min.js" in html
    assert "cdn" not in html.lower()
    assert 'id="income-chart-data"' in html
    assert "Ordinary dividends (projected)" in html
    assert "Qualified dividends (received)" in html


def test_other_household_sees_nothing_of_household_a(cast, holdings, received):
    client = _browser(cast.outsider)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        # (">KO<": a CSRF token may happen to hold the letters KO)
        for name in (b"Brokerage", b"Taxable", b">KO<", b"52.8"):
            assert name not in response.content, (url, name)


def test_anonymous_is_sent_to_login(db):
    for url in PAGES:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_calendar_grid_and_list_show_statuses_and_ex_dates(cast, holdings):
    # when April 2025 is shown both ways
    client = _browser(cast.viewer)
    grid = client.get("/income/calendar/?month=2025-04").content.decode()
    listed = client.get("/income/calendar/?month=2025-04&view=list").content.decode()
    march = client.get("/income/calendar/?month=2025-03&view=list").content.decode()

    # then O's 15 April payment is declared and its 31 March ex-date shows in March
    assert "status-declared" in grid
    assert "2025-04-15" in listed
    assert "52.80" in listed
    assert "status-received" in march
    assert 'id="calendar-ex-dates"' in march


def test_viewer_cannot_change_settings_and_a_member_can(cast, holdings):
    form = {
        "paycheck_account": holdings["taxable"].pk,
        "paycheck_amount": "1500",
        "cash_interest_rate": "4",
        "include_option_premium": "on",
        "dividend_cut_threshold": "15",
    }
    assert _browser(cast.viewer).post("/income/settings/", form).status_code == 403
    assert not IncomeSettings.objects.exists()

    response = _browser(cast.member).post("/income/settings/", form)

    assert response.status_code == 302
    saved = IncomeSettings.objects.get(household=cast.household_a)
    assert (saved.paycheck_account, saved.paycheck_amount) == (holdings["taxable"], D(1500))
    assert (saved.cash_rate, saved.cut_threshold) == (D("0.04"), D("0.15"))


def test_settings_refuse_another_households_account(cast, holdings):
    foreign = cast.household_b.accounts.create(name="Elsewhere")
    form = {"paycheck_account": foreign.pk, "paycheck_amount": "1", "dividend_cut_threshold": "10"}

    response = _browser(cast.owner).post("/income/settings/", form)

    assert response.status_code == 302
    assert not IncomeSettings.objects.exists()
