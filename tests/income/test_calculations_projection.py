"""Income projection (DESIGN §7), paycheck coverage and months short of the income target.

Every projection runs on a fixed "today" of Thursday 10 April 2025 unless a test says
otherwise. With the default 12 months the window is 10 April 2025 to 31 March 2026.
"""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from income.calculations import (
    DividendEventInput,
    HoldingInput,
    IncomeSource,
    PaymentStatus,
    ReceivedIncome,
    monthly_totals,
    months_short,
    paycheck_coverage,
    project_income,
    projection_months,
)

TODAY = date(2025, 4, 10)
D = Decimal


def _holding(**overrides) -> HoldingInput:
    fields = {
        "account_id": 1,
        "security_id": 1,
        "symbol": "KO",
        "kind": "stock",
        "quantity": D(100),
    }
    return HoldingInput(**(fields | overrides))


def _event(ex_date: date, pay_date: date, amount: str, security_id: int = 1) -> DividendEventInput:
    return DividendEventInput(
        security_id=security_id, ex_date=ex_date, pay_date=pay_date, amount=D(amount)
    )


# A quarterly payer: paid mid-March/June/September/December, raised from 0.24 to 0.25 in 2025.
QUARTERLY_EVENTS = [
    _event(date(2024, 3, 1), date(2024, 3, 15), "0.24"),
    _event(date(2024, 5, 31), date(2024, 6, 14), "0.24"),
    _event(date(2024, 8, 30), date(2024, 9, 13), "0.24"),
    _event(date(2024, 11, 29), date(2024, 12, 13), "0.24"),
    _event(date(2025, 2, 28), date(2025, 3, 14), "0.25"),
]


def _summary(payments) -> list[tuple]:
    return [(p.pay_date, p.amount, p.status) for p in payments]


def test_quarterly_payer_projects_four_payments_at_the_latest_amount_times_shares():
    # given 100 shares of a quarterly payer whose latest dividend is 0.25 a share
    holding = _holding()

    # when
    payments = project_income(today=TODAY, holdings=[holding], dividend_events=QUARTERLY_EVENTS)

    # then the pay dates of [10 Apr 2024, 10 Apr 2025) move forward a year:
    # 14 Jun, 13 Sep, 13 Dec 2024 and 14 Mar 2025 -> 2025-06-14, 2025-09-13, 2025-12-13,
    # 2026-03-14; 15 Mar 2024 is older than a year and adds no fifth payment.
    # Each is 0.25 * 100 = 25.00.
    estimated = PaymentStatus.ESTIMATED
    assert _summary(payments) == [
        (date(2025, 6, 14), D("25.00"), estimated),
        (date(2025, 9, 13), D("25.00"), estimated),
        (date(2025, 12, 13), D("25.00"), estimated),
        (date(2026, 3, 14), D("25.00"), estimated),
    ]
    first = payments[0]
    assert first.month == date(2025, 6, 1)
    assert first.ex_date is None
    assert (first.account_id, first.security_id, first.symbol) == (1, 1, "KO")
    assert first.source == IncomeSource.QUALIFIED_DIVIDEND


def test_monthly_reit_projects_twelve_ordinary_dividends_rounded_half_up_to_the_cent():
    # given 50 shares of a monthly-paying REIT (not qualified) paid on the 15th of
    # April 2024 to March 2025 (ex-date the 1st), the latest at 0.2633 a share
    pay_dates = [date(2024, month, 15) for month in range(4, 13)] + [
        date(2025, 1, 15),
        date(2025, 2, 15),
    ]
    events = [
        *(_event(day.replace(day=1), day, "0.2625", security_id=2) for day in pay_dates),
        _event(date(2025, 3, 1), date(2025, 3, 15), "0.2633", security_id=2),
    ]
    holding = _holding(
        security_id=2, symbol="O", kind="reit", quantity=D(50), qualified_default=False
    )

    # when
    payments = project_income(today=TODAY, holdings=[holding], dividend_events=events)
    totals = monthly_totals(payments, projection_months(today=TODAY))

    # then 15 Apr 2025 ... 15 Mar 2026, each 0.2633 * 50 = 13.165 -> 13.17 (half up)
    assert [p.pay_date for p in payments] == [
        *(date(2025, month, 15) for month in range(4, 13)),
        *(date(2026, month, 15) for month in range(1, 4)),
    ]
    assert {p.amount for p in payments} == {D("13.17")}
    assert {p.source for p in payments} == {IncomeSource.ORDINARY_DIVIDEND}
    # every month of April 2025 .. March 2026 holds one payment; 12 * 13.17 = 158.04
    assert [amount for _, amount in totals] == [D("13.17")] * 12
    assert sum(amount for _, amount in totals) == D("158.04")


SHORT_HISTORY = [
    _event(date(2024, 11, 29), date(2024, 12, 13), "0.30", security_id=3),
    _event(date(2025, 2, 28), date(2025, 3, 14), "0.30", security_id=3),
]


def test_short_history_without_frequency_projects_only_the_payments_seen():
    """A security whose known dividends start in December 2024 (a new payer, or one whose
    events are on record only since the household bought it) shows two payments in its
    last year; without a frequency, only those two repeat, and the June and September
    quarters are missed."""
    # given 40 shares and two known quarterly payments
    holding = _holding(security_id=3, symbol="NEW", quantity=D(40))

    # when
    payments = project_income(today=TODAY, holdings=[holding], dividend_events=SHORT_HISTORY)

    # then 13 Dec 2024 and 14 Mar 2025 move a year forward; 0.30 * 40 = 12.00 each
    assert _summary(payments) == [
        (date(2025, 12, 13), D("12.00"), PaymentStatus.ESTIMATED),
        (date(2026, 3, 14), D("12.00"), PaymentStatus.ESTIMATED),
    ]


def test_short_history_with_quarterly_frequency_infers_the_missing_quarters():
    # given the same two known payments, and the security is known to pay quarterly
    holding = _holding(security_id=3, symbol="NEW", quantity=D(40), dividend_frequency="quarterly")

    # when
    payments = project_income(today=TODAY, holdings=[holding], dividend_events=SHORT_HISTORY)

    # then stepping 3 months from the latest pay date, 14 Mar 2025, gives 14 Jun and
    # 14 Sep 2025; 14 Dec 2025 is 1 day from the moved 13 Dec 2025 and 14 Mar 2026 is the
    # moved 14 Mar 2025 (within 45 days: the same payment), so they are not added twice.
    # 4 payments of 0.30 * 40 = 12.00
    assert _summary(payments) == [
        (date(2025, 6, 14), D("12.00"), PaymentStatus.ESTIMATED),
        (date(2025, 9, 14), D("12.00"), PaymentStatus.ESTIMATED),
        (date(2025, 12, 13), D("12.00"), PaymentStatus.ESTIMATED),
        (date(2026, 3, 14), D("12.00"), PaymentStatus.ESTIMATED),
    ]


def test_declared_dividend_replaces_the_estimate_of_its_month_and_sets_the_amount():
    # given the quarterly payer has declared 0.27 (ex 30 May, paid 13 Jun 2025)
    events = [*QUARTERLY_EVENTS, _event(date(2025, 5, 30), date(2025, 6, 13), "0.27")]

    # when
    payments = project_income(today=TODAY, holdings=[_holding()], dividend_events=events)

    # then June holds the declared 0.27 * 100 = 27.00 instead of the estimate for 14 Jun,
    # and the later estimates use the latest amount too: 27.00
    assert _summary(payments) == [
        (date(2025, 6, 13), D("27.00"), PaymentStatus.DECLARED),
        (date(2025, 9, 13), D("27.00"), PaymentStatus.ESTIMATED),
        (date(2025, 12, 13), D("27.00"), PaymentStatus.ESTIMATED),
        (date(2026, 3, 14), D("27.00"), PaymentStatus.ESTIMATED),
    ]
    assert payments[0].ex_date == date(2025, 5, 30)


def test_declared_dividend_moved_into_the_next_month_still_replaces_that_quarters_estimate():
    # given the June payment was declared for 1 July 2025 (17 days after the 14 Jun estimate)
    events = [*QUARTERLY_EVENTS, _event(date(2025, 6, 13), date(2025, 7, 1), "0.25")]

    # when
    payments = project_income(today=TODAY, holdings=[_holding()], dividend_events=events)
    totals = dict(monthly_totals(payments, projection_months(today=TODAY)))

    # then 17 days < 45 (half a quarter): one payment, in July, none in June
    assert _summary(payments) == [
        (date(2025, 7, 1), D("25.00"), PaymentStatus.DECLARED),
        (date(2025, 9, 13), D("25.00"), PaymentStatus.ESTIMATED),
        (date(2025, 12, 13), D("25.00"), PaymentStatus.ESTIMATED),
        (date(2026, 3, 14), D("25.00"), PaymentStatus.ESTIMATED),
    ]
    assert totals[date(2025, 6, 1)] == D(0)
    assert totals[date(2025, 7, 1)] == D("25.00")


def test_position_sold_before_the_ex_date_projects_nothing():
    # given every share was sold (quantity 0) before a declared dividend's ex-date
    events = [*QUARTERLY_EVENTS, _event(date(2025, 5, 30), date(2025, 6, 13), "0.27")]

    # when
    payments = project_income(
        today=TODAY, holdings=[_holding(quantity=D(0))], dividend_events=events
    )

    # then
    assert payments == []


def test_declared_dividend_past_its_ex_date_counts_only_for_shares_bought_before_it():
    # given a dividend of 0.50 went ex on 1 Apr 2025 and pays on 20 Apr 2025;
    # account 1 bought in 2024, account 2 bought on the ex-date, account 3's date is unknown
    events = [_event(date(2025, 4, 1), date(2025, 4, 20), "0.50", security_id=5)]
    holdings = [
        _holding(
            account_id=1, security_id=5, symbol="XYZ", quantity=D(10), acquired=date(2024, 1, 2)
        ),
        _holding(
            account_id=2, security_id=5, symbol="XYZ", quantity=D(10), acquired=date(2025, 4, 1)
        ),
        _holding(account_id=3, security_id=5, symbol="XYZ", quantity=D(10)),
    ]

    # when
    payments = project_income(today=TODAY, holdings=holdings, dividend_events=events)

    # then accounts 1 and 3 get 0.50 * 10 = 5.00; a buyer on the ex-date is not entitled
    assert [(p.account_id, p.pay_date, p.amount) for p in payments] == [
        (1, date(2025, 4, 20), D("5.00")),
        (3, date(2025, 4, 20), D("5.00")),
    ]


def test_security_without_dividends_in_the_last_year_projects_nothing_whatever_its_frequency():
    # given security 6 last paid in 2023, and security 7 has no dividend events at all
    events = [_event(date(2023, 6, 1), date(2023, 6, 15), "0.40", security_id=6)]
    holdings = [
        _holding(security_id=6, symbol="STOP", dividend_frequency="quarterly"),
        _holding(security_id=7, symbol="NONE", dividend_frequency="monthly"),
    ]

    # when
    payments = project_income(today=TODAY, holdings=holdings, dividend_events=events)

    # then a suspended dividend stays suspended, and no amount can be guessed for the other
    assert payments == []


def test_preferred_stock_dividends_are_their_own_source():
    # given 200 preferred shares with a declared 0.3125 dividend
    events = [_event(date(2025, 4, 30), date(2025, 5, 15), "0.3125", security_id=8)]
    holding = _holding(security_id=8, symbol="PFF.PR", kind="preferred", quantity=D(200))

    # when
    payments = project_income(today=TODAY, holdings=[holding], dividend_events=events)

    # then 0.3125 * 200 = 62.50, labelled preferred_dividend
    assert [(p.source, p.amount) for p in payments] == [
        (IncomeSource.PREFERRED_DIVIDEND, D("62.50"))
    ]


def _bond(**overrides) -> HoldingInput:
    fields = {"security_id": 10, "symbol": "T-BOND", "kind": "bond", "face_value": D(1000)}
    return _holding(**(fields | overrides))


def test_bond_maturing_in_the_window_pays_coupons_until_maturity_and_principal_apart():
    # given 10 bonds of 1,000 face, 5% semiannual coupon, maturing 15 Nov 2025
    bond = _bond(
        quantity=D(10), coupon_rate=D("0.05"), coupon_frequency=2, maturity=date(2025, 11, 15)
    )

    # when
    payments = project_income(today=TODAY, holdings=[bond], dividend_events=[])
    totals = dict(monthly_totals(payments, projection_months(today=TODAY)))

    # then coupons of 0.05 * 1000 * 10 / 2 = 250.00 on 15 May and 15 Nov 2025 (6 months
    # back from maturity; 15 Nov 2024 is past), and principal 1000 * 10 = 10,000.00
    assert [(p.pay_date, p.source, p.amount, p.status) for p in payments] == [
        (date(2025, 5, 15), IncomeSource.BOND_COUPON, D("250.00"), PaymentStatus.DECLARED),
        (date(2025, 11, 15), IncomeSource.BOND_COUPON, D("250.00"), PaymentStatus.DECLARED),
        (date(2025, 11, 15), IncomeSource.BOND_PRINCIPAL, D("10000.00"), PaymentStatus.DECLARED),
    ]
    # the principal is not income: November totals only its coupon
    assert totals[date(2025, 5, 1)] == D("250.00")
    assert totals[date(2025, 11, 1)] == D("250.00")
    assert sum(totals.values()) == D("500.00")


def test_bond_maturing_after_the_window_pays_coupons_stepped_back_from_maturity():
    # given 5 bonds of 1,000 face, 4% quarterly coupon, maturing 28 Feb 2030
    bond = _bond(
        quantity=D(5), coupon_rate=D("0.04"), coupon_frequency=4, maturity=date(2030, 2, 28)
    )

    # when
    payments = project_income(today=TODAY, holdings=[bond], dividend_events=[])

    # then every 3 months back from 28 Feb 2030 inside [10 Apr 2025, 31 Mar 2026]:
    # 28 May, 28 Aug, 28 Nov 2025, 28 Feb 2026; each 0.04 * 1000 * 5 / 4 = 50.00; no principal
    assert [(p.pay_date, p.source, p.amount) for p in payments] == [
        (date(2025, 5, 28), IncomeSource.BOND_COUPON, D("50.00")),
        (date(2025, 8, 28), IncomeSource.BOND_COUPON, D("50.00")),
        (date(2025, 11, 28), IncomeSource.BOND_COUPON, D("50.00")),
        (date(2026, 2, 28), IncomeSource.BOND_COUPON, D("50.00")),
    ]


def test_cash_interest_is_paid_monthly_at_month_end_on_positive_balances():
    # given account 1 holds 12,000 cash, account 2 none, account 3 a 500 margin loan; 4.5% rate
    balances = {1: D(12000), 2: D(0), 3: D(-500)}

    # when
    payments = project_income(
        today=TODAY, holdings=[], dividend_events=[], cash_balances=balances, cash_rate=D("0.045")
    )

    # then 12000 * 0.045 / 12 = 540 / 12 = 45.00 at the end of April 2025 ... March 2026
    month_ends = [
        date(2025, 4, 30), date(2025, 5, 31), date(2025, 6, 30), date(2025, 7, 31),
        date(2025, 8, 31), date(2025, 9, 30), date(2025, 10, 31), date(2025, 11, 30),
        date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31),
    ]  # fmt: skip
    assert [(p.account_id, p.pay_date, p.amount) for p in payments] == [
        (1, day, D("45.00")) for day in month_ends
    ]
    assert {(p.source, p.status, p.symbol, p.security_id) for p in payments} == {
        (IncomeSource.INTEREST, PaymentStatus.ESTIMATED, "", None)
    }


def test_cash_earns_nothing_without_a_rate():
    # given cash but no assumed rate
    balances = {1: D(12000)}

    # when
    payments = project_income(today=TODAY, holdings=[], dividend_events=[], cash_balances=balances)

    # then
    assert payments == []


OPTION_PREMIUM_HISTORY = [
    ReceivedIncome(pay_date=day, account_id=1, security_id=1, symbol="KO",
                   source=IncomeSource.OPTION_PREMIUM, amount=D(amount))
    for day, amount in [
        (date(2024, 3, 20), "999.00"),  # older than a year
        (date(2024, 6, 21), "300.00"),
        (date(2024, 12, 20), "600.00"),
        (date(2025, 3, 21), "300.00"),
    ]
]  # fmt: skip


def test_option_premium_is_the_trailing_year_monthly_average_when_asked_for():
    # given 300 + 600 + 300 = 1,200 of premium in the last 12 months

    # when
    payments = project_income(
        today=TODAY,
        holdings=[],
        dividend_events=[],
        option_premium_history=OPTION_PREMIUM_HISTORY,
        include_option_premium=True,
    )

    # then 1200 / 12 = 100.00 at each of the 12 month ends, estimated, with no security
    assert len(payments) == 12
    assert {(p.account_id, p.source, p.amount, p.status, p.security_id) for p in payments} == {
        (1, IncomeSource.OPTION_PREMIUM, D("100.00"), PaymentStatus.ESTIMATED, None)
    }
    assert payments[0].pay_date == date(2025, 4, 30)


def test_option_premium_is_left_out_by_default():
    # given a history of option premium

    # when
    payments = project_income(
        today=TODAY, holdings=[], dividend_events=[], option_premium_history=OPTION_PREMIUM_HISTORY
    )

    # then
    assert payments == []


def test_window_starts_today_inclusive_and_ends_with_the_last_requested_month():
    # given the quarterly payer, viewed on 14 Jun 2025 (a year after its 14 Jun 2024 payment)
    today = date(2025, 6, 14)

    # when asking for 3 months: June, July, August 2025
    payments = project_income(
        today=today, holdings=[_holding()], dividend_events=QUARTERLY_EVENTS, months=3
    )

    # then the payment expected today is in; 13 Sep 2025 is after 31 Aug 2025 and is out
    assert _summary(payments) == [(date(2025, 6, 14), D("25.00"), PaymentStatus.ESTIMATED)]
    assert projection_months(today=today, months=3) == [
        date(2025, 6, 1),
        date(2025, 7, 1),
        date(2025, 8, 1),
    ]


@given(
    today=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    months=st.integers(min_value=1, max_value=30),
    first_pay_date=st.dates(min_value=date(2022, 1, 1), max_value=date(2027, 12, 31)),
    maturity=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
)
def test_every_projected_payment_falls_inside_the_window(today, months, first_pay_date, maturity):
    # given a quarterly payer with a regular history and a semiannual bond
    events = [
        _event(pay_date - timedelta(days=14), pay_date, "0.25")
        for pay_date in (first_pay_date + timedelta(days=91 * k) for k in range(8))
    ]
    holdings = [
        _holding(dividend_frequency="quarterly"),
        _bond(quantity=D(3), coupon_rate=D("0.05"), coupon_frequency=2, maturity=maturity),
    ]

    # when
    payments = project_income(today=today, holdings=holdings, dividend_events=events, months=months)

    # then
    window = projection_months(today=today, months=months)
    assert all(p.pay_date >= today and p.month in window for p in payments)
    assert all(p.month == p.pay_date.replace(day=1) for p in payments)
    assert all(p.amount > 0 for p in payments)


def test_paycheck_coverage_draws_down_the_reserve_and_warns_when_it_runs_out():
    # given 6,000 of reserve, a 2,000 monthly paycheck and a 6-month reserve target
    projected = {
        date(2025, 4, 1): D(1500),
        date(2025, 5, 1): D(3000),
        date(2025, 6, 1): D(500),
        date(2025, 7, 1): D(0),
        date(2025, 8, 1): D(0),
        date(2025, 9, 1): D(0),
    }

    # when
    coverage = paycheck_coverage(
        reserve_cash=D(6000), monthly_amount=D(2000), projected_by_month=projected, min_months=D(6)
    )

    # then 6000 / 2000 = 3 months of reserve, under the 6-month target;
    # reserve: 6000 + 1500 - 2000 = 5500; +3000 - 2000 = 6500; +500 - 2000 = 5000;
    # -2000 = 3000; -2000 = 1000; -2000 = -1000 (September is not covered)
    assert coverage.reserve_months == D(3)
    assert [(m.reserve_after, m.covered) for m in coverage.months] == [
        (D(5500), True),
        (D(6500), True),
        (D(5000), True),
        (D(3000), True),
        (D(1000), True),
        (D(-1000), False),
    ]
    assert coverage.below_reserve_target is True
    assert coverage.warning is True


def test_paycheck_coverage_gives_no_warning_when_reserve_meets_target_and_months_are_covered():
    # given 12,000 of reserve for a 2,000 paycheck (exactly the 6-month target)
    projected = {date(2025, 4, 1): D(2500), date(2025, 5, 1): D(1800), date(2025, 6, 1): D(2000)}

    # when
    coverage = paycheck_coverage(
        reserve_cash=D(12000), monthly_amount=D(2000), projected_by_month=projected, min_months=D(6)
    )

    # then 12000 / 2000 = 6 months; reserve 12000 + 500 = 12500, - 200 = 12300, + 0 = 12300
    assert coverage.reserve_months == D(6)
    assert [m.reserve_after for m in coverage.months] == [D(12500), D(12300), D(12300)]
    assert coverage.below_reserve_target is False
    assert coverage.warning is False


def test_months_short_lists_months_below_the_target_with_the_gap():
    # given a monthly income target of 1,000
    projected = {
        date(2025, 4, 1): D(1200),
        date(2025, 5, 1): D(800),
        date(2025, 6, 1): D(1000),
        date(2025, 7, 1): D(0),
    }

    # when
    short = months_short(projected, target=D(1000))

    # then May is 1000 - 800 = 200 short, July 1000 - 0 = 1000; June exactly meets it
    assert [(s.month, s.projected, s.gap) for s in short] == [
        (date(2025, 5, 1), D(800), D(200)),
        (date(2025, 7, 1), D(0), D(1000)),
    ]
