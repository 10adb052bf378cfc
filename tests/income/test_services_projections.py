"""The stored income projection (DESIGN §7) built from a household's ledger and market data.

Today is frozen at Thursday 10 April 2025 (noon in New York); the 12-month window runs to
31 March 2026. Holdings come from the ledger's tax lots (`ledger_rebuild`) unless a test
says otherwise.
"""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from income.models import ProjectedPayment, ProjectionState
from income.selectors import dividend_cuts, income_inputs, projected_income_by_month
from income.services.projections import projections_rebuild, projections_refresh_if_stale
from portfolios.models import Account, PendingRecompute, Security, Transaction
from portfolios.services.ledger import ledger_rebuild
from portfolios.services.recompute import ledger_mark_changed, recompute_pending_clear
from portfolios.services.transactions import transaction_delete
from tests.income.builders import (
    TODAY,
    buy,
    deposit,
    event,
    income,
    monthly_events,
    security,
    sell,
)
from tests.portfolios.factories import AccountFactory

D = Decimal
pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.fixture
def accounts(cast):
    return {
        "taxable": AccountFactory(household=cast.household_a, name="Taxable"),
        "ira": AccountFactory(
            household=cast.household_a, name="IRA", type=Account.Type.TRADITIONAL_IRA
        ),
    }


def _rows(household, **filters) -> list[tuple]:
    return [
        (p.pay_date, p.symbol, p.source, p.amount, p.status)
        for p in ProjectedPayment.objects.filter(household=household, **filters).order_by(
            "pay_date", "symbol", "source"
        )
    ]


def _rebuild(household) -> None:
    ledger_rebuild(household=household)
    projections_rebuild(household=household)


def test_quarterly_payer_declared_then_last_years_pattern_at_the_latest_amount(cast, accounts):
    # given 100 KO bought in January 2024; paid mid-June, September, December and March,
    # raised from 0.485 to 0.51 in March; June's 0.51 already declared
    ko = security("KO", kind=Security.Kind.STOCK, dividend_frequency="quarterly")
    deposit(accounts["taxable"], date(2024, 1, 2), "10000")
    buy(accounts["taxable"], ko, date(2024, 1, 5), "100", "60")
    event(ko, date(2024, 5, 31), date(2024, 6, 14), "0.485")
    event(ko, date(2024, 8, 30), date(2024, 9, 13), "0.485")
    event(ko, date(2024, 11, 29), date(2024, 12, 13), "0.485")
    event(ko, date(2025, 2, 28), date(2025, 3, 14), "0.51")
    event(ko, date(2025, 5, 30), date(2025, 6, 13), "0.51")

    # when
    _rebuild(cast.household_a)

    # then June is declared (it replaces last year's 14 June); September, December and March
    # repeat last year's pay dates; each is 100 * 0.51 = 51.00, qualified by default
    assert _rows(cast.household_a, pay_date__lte=date(2026, 3, 31)) == [
        (date(2025, 6, 13), "KO", "qualified_dividend", D("51.00"), "declared"),
        (date(2025, 9, 13), "KO", "qualified_dividend", D("51.00"), "estimated"),
        (date(2025, 12, 13), "KO", "qualified_dividend", D("51.00"), "estimated"),
        (date(2026, 3, 14), "KO", "qualified_dividend", D("51.00"), "estimated"),
    ]


def test_monthly_payer_in_an_ira_is_an_ordinary_dividend_every_month(cast, accounts):
    # given 200 O (a REIT, not qualified) in the IRA, paid on the 15th from April 2024 to
    # March 2025 at 0.2625; April 2025's raise to 0.264 declared
    realty = security(
        "O", kind=Security.Kind.REIT, dividend_frequency="monthly", qualified_default=False
    )
    deposit(accounts["ira"], date(2024, 1, 2), "20000")
    buy(accounts["ira"], realty, date(2024, 2, 1), "200", "55")
    monthly_events(realty, date(2024, 4, 15), 12, "0.2625")
    event(realty, date(2025, 3, 31), date(2025, 4, 15), "0.264")

    # when
    _rebuild(cast.household_a)

    # then 12 payments of 200 * 0.264 = 52.80: April declared, May to March estimated
    rows = _rows(cast.household_a, pay_date__lte=date(2026, 3, 31))
    assert [row[0] for row in rows] == [date(2025, 4, 15)] + [
        date(2025 + (month > 12), (month - 1) % 12 + 1, 15) for month in range(5, 16)
    ]
    assert {row[2:4] for row in rows} == {("ordinary_dividend", D("52.80"))}
    assert [row[4] for row in rows] == ["declared"] + ["estimated"] * 11
    # and 12 * 52.80 = 633.60 over the 12 months, 52.80 in each
    by_month = projected_income_by_month(household=cast.household_a, today=TODAY)
    assert sum(by_month.values()) == D("633.60")
    assert set(by_month.values()) == {D("52.80")}


def test_holding_bought_mid_year_projects_from_its_own_received_dividends(cast, accounts):
    # given PEP with no dividend events at all, bought 1 October 2024 (60 shares): the
    # household received 30.00 on 16 December (0.50 a share) and 31.20 on 17 March (0.52)
    pep = security("PEP", kind=Security.Kind.STOCK, dividend_frequency="quarterly")
    deposit(accounts["taxable"], date(2024, 9, 30), "10000")
    buy(accounts["taxable"], pep, date(2024, 10, 1), "60", "160")
    income(accounts["taxable"], date(2024, 12, 16), "30.00", held=pep)
    income(accounts["taxable"], date(2025, 3, 17), "31.20", held=pep)

    # when
    _rebuild(cast.household_a)

    # then only two payments came after the purchase; the quarterly frequency fills the
    # other two from 17 March: 17 June and 17 September, then 16 December and 17 March
    # repeat last year. Each is 60 * 0.52 (the latest per share) = 31.20, estimated
    assert _rows(cast.household_a)[:4] == [
        (date(2025, 6, 17), "PEP", "qualified_dividend", D("31.20"), "estimated"),
        (date(2025, 9, 17), "PEP", "qualified_dividend", D("31.20"), "estimated"),
        (date(2025, 12, 16), "PEP", "qualified_dividend", D("31.20"), "estimated"),
        (date(2026, 3, 17), "PEP", "qualified_dividend", D("31.20"), "estimated"),
    ]


def test_declared_dividend_with_an_ex_date_before_the_purchase_is_not_projected(cast, accounts):
    # given HD bought 8 April 2025 (10 shares), after the 13 March ex-date of the 2.30
    # declared for 17 April; HD paid 2.25 in mid-July, October and January before that
    hd = security("HD", kind=Security.Kind.STOCK, dividend_frequency="quarterly")
    deposit(accounts["taxable"], date(2025, 4, 1), "5000")
    buy(accounts["taxable"], hd, date(2025, 4, 8), "10", "350")
    event(hd, date(2024, 6, 13), date(2024, 6, 20), "2.25")
    event(hd, date(2024, 9, 12), date(2024, 9, 19), "2.25")
    event(hd, date(2024, 12, 12), date(2024, 12, 19), "2.25")
    event(hd, date(2025, 3, 13), date(2025, 4, 17), "2.30")

    # when
    _rebuild(cast.household_a)

    # then no April payment: the shares were bought after its ex-date. The rest repeat
    # last year's dates at 10 * 2.30 = 23.00
    assert _rows(cast.household_a)[:3] == [
        (date(2025, 6, 20), "HD", "qualified_dividend", D("23.00"), "estimated"),
        (date(2025, 9, 19), "HD", "qualified_dividend", D("23.00"), "estimated"),
        (date(2025, 12, 19), "HD", "qualified_dividend", D("23.00"), "estimated"),
    ]


def test_a_sale_before_the_ex_date_leaves_nothing_projected(cast, accounts):
    # given T, 100 shares bought in 2024 and all sold on 1 April 2025, before the ex-date
    # (20 April) of a dividend declared for 1 May
    att = security("T", kind=Security.Kind.STOCK, dividend_frequency="quarterly")
    deposit(accounts["taxable"], date(2024, 1, 2), "5000")
    buy(accounts["taxable"], att, date(2024, 1, 10), "100", "17")
    event(att, date(2024, 7, 10), date(2024, 8, 1), "0.2775")
    event(att, date(2025, 1, 10), date(2025, 2, 3), "0.2775")
    sell(accounts["taxable"], att, date(2025, 4, 1), "100", "22")
    event(att, date(2025, 4, 20), date(2025, 5, 1), "0.2775")

    # when
    _rebuild(cast.household_a)

    # then
    assert _rows(cast.household_a) == []


def test_a_partial_sale_projects_on_the_shares_left(cast, accounts):
    # given 100 T bought, 40 sold before the 20 April ex-date of the 0.2775 paid 1 May
    att = security("T", kind=Security.Kind.STOCK)
    deposit(accounts["taxable"], date(2024, 1, 2), "5000")
    buy(accounts["taxable"], att, date(2024, 1, 10), "100", "17")
    sell(accounts["taxable"], att, date(2025, 4, 1), "40", "22")
    event(att, date(2025, 4, 20), date(2025, 5, 1), "0.2775")

    # when
    _rebuild(cast.household_a)

    # then 60 * 0.2775 = 16.65
    assert _rows(cast.household_a) == [
        (date(2025, 5, 1), "T", "qualified_dividend", D("16.65"), "declared")
    ]


def test_bond_maturing_in_the_window_pays_coupons_then_principal_apart(cast, accounts):
    # given 10 bonds of 1,000 face, 4% semiannual, maturing 15 November 2025
    bond = security(
        "UST-2025-11",
        kind=Security.Kind.BOND,
        face_value=D(1000),
        coupon_rate=D("0.04"),
        coupon_frequency=2,
        maturity=date(2025, 11, 15),
    )
    deposit(accounts["taxable"], date(2023, 11, 1), "10000")
    buy(accounts["taxable"], bond, date(2023, 11, 15), "10", "990")

    # when
    _rebuild(cast.household_a)

    # then coupons of 0.04 * 1000 * 10 / 2 = 200.00 on 15 May and 15 November; the
    # 10 * 1000 = 10,000 principal on 15 November is its own source, not income
    assert _rows(cast.household_a) == [
        (date(2025, 5, 15), "UST-2025-11", "bond_coupon", D("200.00"), "declared"),
        (date(2025, 11, 15), "UST-2025-11", "bond_coupon", D("200.00"), "declared"),
        (date(2025, 11, 15), "UST-2025-11", "bond_principal", D("10000.00"), "declared"),
    ]
    by_month = projected_income_by_month(household=cast.household_a, today=TODAY)
    assert by_month[date(2025, 11, 1)] == D("200.00")
    assert sum(by_month.values()) == D("400.00")


def test_cash_interest_and_option_premium_only_when_the_settings_ask(cast, accounts):
    # given 12,000 in a savings account, and 1,200 of option premium in the taxable account
    # in the last 12 months (100 a month from May 2024 to April 2025; March 2024's 600 is
    # too old)
    from income.services.settings import income_settings_update

    savings = AccountFactory(household=cast.household_a, name="Savings", type=Account.Type.CASH)
    deposit(savings, date(2024, 1, 2), "12000")
    for month in range(5, 17):
        day = date(2024 + (month > 12), (month - 1) % 12 + 1, 5)
        income(accounts["taxable"], day, "100", type=Transaction.Type.OPTION_PREMIUM)
    income(accounts["taxable"], date(2024, 3, 5), "600", type=Transaction.Type.OPTION_PREMIUM)
    _rebuild(cast.household_a)
    assert _rows(cast.household_a) == []

    # when the household sets 4.5% on cash and opts in to option premium
    income_settings_update(
        household=cast.household_a,
        paycheck_account=None,
        paycheck_amount=D(0),
        cash_interest_rate=D("4.5"),
        include_option_premium=True,
        dividend_cut_threshold=D(10),
    )
    projections_rebuild(household=cast.household_a)

    # then the savings account earns 12,000 * 0.045 / 12 = 45.00 at each month's end (the
    # taxable account's 1,800 of idle cash earns nothing), and the taxable account's
    # premium is expected at 1,200 / 12 = 100.00 a month
    april = ProjectedPayment.objects.filter(household=cast.household_a, month=date(2025, 4, 1))
    assert sorted((p.pay_date, p.account.name, p.source, p.amount) for p in april) == [
        (date(2025, 4, 30), "Savings", "interest", D("45.00")),
        (date(2025, 4, 30), "Taxable", "option_premium", D("100.00")),
    ]
    assert {p.status for p in april} == {"estimated"}
    assert ProjectedPayment.objects.filter(household=cast.household_a).count() == 2 * 24


def test_without_a_ledger_rebuild_positions_are_replayed_from_transactions(cast, accounts):
    # given KO bought twice and partly sold, and no ledger rebuild yet (no tax lots)
    ko = security("KO", kind=Security.Kind.STOCK)
    deposit(accounts["taxable"], date(2024, 1, 2), "20000")
    buy(accounts["taxable"], ko, date(2024, 1, 5), "100", "60")
    buy(accounts["taxable"], ko, date(2024, 6, 3), "50", "62")
    sell(accounts["taxable"], ko, date(2025, 2, 3), "30", "65")
    event(ko, date(2025, 5, 30), date(2025, 6, 13), "0.51")

    # when
    projections_rebuild(household=cast.household_a)

    # then 100 + 50 - 30 = 120 shares: 120 * 0.51 = 61.20
    assert _rows(cast.household_a) == [
        (date(2025, 6, 13), "KO", "qualified_dividend", D("61.20"), "declared")
    ]


def test_rebuild_replaces_the_stored_rows_and_a_read_refreshes_a_stale_projection(cast, accounts):
    # given a projection of 100 KO
    ko = security("KO", kind=Security.Kind.STOCK)
    deposit(accounts["taxable"], date(2024, 1, 2), "20000")
    buy(accounts["taxable"], ko, date(2024, 1, 5), "100", "60")
    event(ko, date(2025, 5, 30), date(2025, 6, 13), "0.51")
    _rebuild(cast.household_a)
    assert projections_refresh_if_stale(household=cast.household_a) is False

    # when 100 more are bought (a new transaction, marked for the worker's recompute)
    buy(accounts["taxable"], ko, date(2025, 4, 9), "100", "61")
    ledger_mark_changed(household=cast.household_a, from_date=date(2025, 4, 9))
    refreshed = projections_refresh_if_stale(household=cast.household_a)

    # then the read rebuilt it (replayed, as the ledger has not caught up): 200 * 0.51
    assert refreshed is True
    assert _rows(cast.household_a) == [
        (date(2025, 6, 13), "KO", "qualified_dividend", D("102.00"), "declared")
    ]
    # and so it is after a newly declared dividend, and on the next day
    event(ko, date(2025, 8, 29), date(2025, 9, 12), "0.51")
    assert projections_refresh_if_stale(household=cast.household_a) is True
    assert projections_refresh_if_stale(household=cast.household_a) is False
    with time_machine.travel("2025-04-11 16:00Z", tick=False):
        assert projections_refresh_if_stale(household=cast.household_a) is True
    assert ProjectionState.objects.get(household=cast.household_a).as_of == date(2025, 4, 11)


def test_a_transaction_deleted_through_the_service_makes_the_projection_stale(cast, accounts):
    # given 100 + 50 KO, projected
    ko = security("KO", kind=Security.Kind.STOCK)
    deposit(accounts["taxable"], date(2024, 1, 2), "20000")
    buy(accounts["taxable"], ko, date(2024, 1, 5), "100", "60")
    later = buy(accounts["taxable"], ko, date(2025, 2, 3), "50", "62")
    event(ko, date(2025, 5, 30), date(2025, 6, 13), "0.51")
    _rebuild(cast.household_a)
    assert projections_refresh_if_stale(household=cast.household_a) is False

    # when the 50 are deleted (the delete marks the household, nothing else tells)
    transaction_delete(txn=later)

    # then the read rebuilds the projection on the 100 left: 100 x 0.51
    assert projections_refresh_if_stale(household=cast.household_a) is True
    assert _rows(cast.household_a) == [
        (date(2025, 6, 13), "KO", "qualified_dividend", D("51.00"), "declared")
    ]


def test_a_projection_made_under_a_mark_stays_current_once_the_chain_clears_it(cast, accounts):
    # given 100 KO projected, then 100 more bought and marked, and a read that rebuilt
    ko = security("KO", kind=Security.Kind.STOCK)
    deposit(accounts["taxable"], date(2024, 1, 2), "20000")
    buy(accounts["taxable"], ko, date(2024, 1, 5), "100", "60")
    event(ko, date(2025, 5, 30), date(2025, 6, 13), "0.51")
    _rebuild(cast.household_a)
    buy(accounts["taxable"], ko, date(2025, 4, 9), "100", "61")
    ledger_mark_changed(household=cast.household_a, from_date=date(2025, 4, 9))
    assert projections_refresh_if_stale(household=cast.household_a) is True

    # when the recompute chain runs as the worker does: ledger, projection, then the mark
    # cleared (its version unchanged)
    pending = PendingRecompute.objects.get(household=cast.household_a)
    _rebuild(cast.household_a)
    computed_at = ProjectionState.objects.get(household=cast.household_a).computed_at
    assert recompute_pending_clear(household_id=cast.household_a.pk, version=pending.version)

    # then the projection is current: not rebuilt again, only its fingerprint moved on
    assert projections_refresh_if_stale(household=cast.household_a) is False
    assert projections_refresh_if_stale(household=cast.household_a) is False
    assert ProjectionState.objects.get(household=cast.household_a).computed_at == computed_at
    assert _rows(cast.household_a) == [
        (date(2025, 6, 13), "KO", "qualified_dividend", D("102.00"), "declared")
    ]
    # but a mark gone with the ledger rebuilt since the projection (a minute later) is a
    # change
    ledger_mark_changed(household=cast.household_a, from_date=date(2025, 4, 9))
    assert projections_refresh_if_stale(household=cast.household_a) is True
    pending = PendingRecompute.objects.get(household=cast.household_a)
    with time_machine.travel("2025-04-10 16:01Z", tick=False):
        ledger_rebuild(household=cast.household_a)
        recompute_pending_clear(household_id=cast.household_a.pk, version=pending.version)
        assert projections_refresh_if_stale(household=cast.household_a) is True


def test_dividend_cut_below_the_threshold_is_detected_for_alerts(cast, accounts):
    # given VNQ cut from 0.90 to 0.72 (-20%) and KO trimmed from 0.90 to 0.85 (-5.6%,
    # inside the default 10% threshold), both held
    vnq = security("VNQ", kind=Security.Kind.REIT)
    ko = security("KO", kind=Security.Kind.STOCK)
    deposit(accounts["taxable"], date(2024, 1, 2), "20000")
    buy(accounts["taxable"], vnq, date(2024, 1, 5), "10", "85")
    buy(accounts["taxable"], ko, date(2024, 1, 5), "10", "60")
    for held, latest in ((vnq, "0.72"), (ko, "0.85")):
        event(held, date(2024, 9, 20), date(2024, 9, 27), "0.90")
        event(held, date(2024, 12, 20), date(2024, 12, 27), "0.90")
        event(held, date(2025, 3, 20), date(2025, 3, 27), latest)
    ledger_rebuild(household=cast.household_a)

    # when
    cuts = dividend_cuts(household=cast.household_a)

    # then change = (0.72 - 0.90) / 0.90 = -0.2
    assert [(c.symbol, c.previous_amount, c.latest_amount, c.change) for c in cuts] == [
        ("VNQ", D("0.90"), D("0.72"), D("-0.2"))
    ]
    # and household B, which holds nothing, has none
    assert dividend_cuts(household=cast.household_b) == []


def test_a_security_whose_stored_dividends_are_all_older_than_a_year_projects_nothing(
    cast, accounts
):
    # given T, quarterly, whose only stored events were paid in June and September 2023
    # (before 10 April 2024, a year before today), while the household's own records show
    # four dividends of 40.00 on its 100 shares in the last year
    t = security("T", kind=Security.Kind.STOCK, dividend_frequency="quarterly")
    deposit(accounts["taxable"], date(2023, 1, 2), "10000")
    buy(accounts["taxable"], t, date(2023, 1, 5), "100", "20")
    event(t, date(2023, 6, 1), date(2023, 6, 15), "0.40")
    event(t, date(2023, 9, 1), date(2023, 9, 15), "0.40")
    for paid in (date(2024, 6, 17), date(2024, 9, 16), date(2024, 12, 16), date(2025, 3, 17)):
        income(accounts["taxable"], paid, "40.00", held=t)

    # when
    _rebuild(cast.household_a)

    # then T has stored events, so nothing is inferred from the received dividends, and
    # none of them falls in the last year: nothing is expected (the schedule's rule 2)
    assert _rows(cast.household_a) == []


def test_the_projection_reads_only_the_dividends_paid_in_the_last_year(cast, accounts):
    # given KO with events paid 14 March 2024 (0.46, before 10 April 2024) and 13 June
    # 2024 (0.485), and PEP without events whose two received dividends of 30.00 on 60
    # shares were paid 15 March 2024 and 17 June 2024
    ko = security("KO", kind=Security.Kind.STOCK)
    pep = security("PEP", kind=Security.Kind.STOCK)
    deposit(accounts["taxable"], date(2023, 12, 1), "20000")
    buy(accounts["taxable"], ko, date(2024, 1, 5), "100", "60")
    buy(accounts["taxable"], pep, date(2024, 1, 5), "60", "160")
    event(ko, date(2024, 2, 29), date(2024, 3, 14), "0.46")
    event(ko, date(2024, 5, 31), date(2024, 6, 13), "0.485")
    income(accounts["taxable"], date(2024, 3, 15), "30.00", held=pep)
    income(accounts["taxable"], date(2024, 6, 17), "30.00", held=pep)
    ledger_rebuild(household=cast.household_a)

    # when
    inputs = income_inputs(household=cast.household_a, today=TODAY, events_since=date(2024, 4, 10))

    # then KO's June event is read, not March's; PEP's June dividend is inferred as
    # 30.00 / 60 = 0.5 a share (ex-date taken as the pay date), not March's
    assert sorted(
        (inputs.symbols[e.security_id], e.ex_date, e.pay_date, e.amount)
        for e in inputs.dividend_events
    ) == [
        ("KO", date(2024, 5, 31), date(2024, 6, 13), D("0.485")),
        ("PEP", date(2024, 6, 17), date(2024, 6, 17), D("0.50000000")),
    ]
    # and without it every event is read
    assert len(income_inputs(household=cast.household_a, today=TODAY).dividend_events) == 4


def test_dividend_cuts_with_a_threshold_of_zero_report_every_fall(cast, accounts):
    # given KO trimmed from 0.90 to 0.85 and VNQ cut from 0.90 to 0.72, both held
    vnq = security("VNQ", kind=Security.Kind.REIT)
    ko = security("KO", kind=Security.Kind.STOCK)
    deposit(accounts["taxable"], date(2024, 1, 2), "20000")
    buy(accounts["taxable"], vnq, date(2024, 1, 5), "10", "85")
    buy(accounts["taxable"], ko, date(2024, 1, 5), "10", "60")
    for held, latest in ((vnq, "0.72"), (ko, "0.85")):
        event(held, date(2024, 12, 20), date(2024, 12, 27), "0.90")
        event(held, date(2025, 3, 20), date(2025, 3, 27), latest)
    ledger_rebuild(household=cast.household_a)

    # when the alerts ask for every fall (each rule applies its own threshold)
    cuts = dividend_cuts(household=cast.household_a, threshold=D(0))

    # then KO's -0.05 / 0.90 = -1/18 is reported beside VNQ's -0.2
    assert sorted((c.symbol, c.change) for c in cuts) == [
        ("KO", D("-0.05555555555555555555555555556")),
        ("VNQ", D("-0.2")),
    ]
