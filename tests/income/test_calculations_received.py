"""Received-income summaries, dividend growth and cuts, reliability and after-tax income.

"Today" is Thursday 10 April 2025 throughout.
"""

from datetime import date
from decimal import Decimal

import pytest

from income.calculations import (
    DividendEventInput,
    IncomeSource,
    ReceivedIncome,
    after_tax_income,
    current_yield,
    detect_dividend_cuts,
    dividend_growth,
    group_received,
    reliability,
    trailing_twelve_months_total,
    year_over_year,
    year_to_date_total,
    yield_on_cost,
)

TODAY = date(2025, 4, 10)
D = Decimal
QUALIFIED = IncomeSource.QUALIFIED_DIVIDEND
ORDINARY = IncomeSource.ORDINARY_DIVIDEND
INTEREST = IncomeSource.INTEREST


def _received(day: date, account_id: int, symbol: str, source: str, amount: str):
    return ReceivedIncome(
        pay_date=day,
        account_id=account_id,
        security_id={"KO": 1, "O": 2}.get(symbol),
        symbol=symbol,
        source=source,
        amount=D(amount),
    )


RECEIVED = [
    _received(date(2024, 3, 15), 1, "KO", QUALIFIED, "24.00"),
    _received(date(2024, 4, 10), 1, "KO", QUALIFIED, "24.00"),  # exactly a year ago
    _received(date(2024, 6, 14), 1, "KO", QUALIFIED, "24.00"),
    _received(date(2024, 12, 31), 2, "", INTEREST, "10.00"),
    _received(date(2025, 1, 15), 2, "O", ORDINARY, "13.00"),
    _received(date(2025, 3, 14), 1, "KO", QUALIFIED, "25.00"),
    _received(date(2025, 4, 10), 2, "O", ORDINARY, "13.00"),  # today
]


def test_group_received_by_month():
    # given the received payments above

    # when
    by_month = group_received(RECEIVED, group_by="month")

    # then one row per month, in month order
    assert by_month == [
        (date(2024, 3, 1), D("24.00")),
        (date(2024, 4, 1), D("24.00")),
        (date(2024, 6, 1), D("24.00")),
        (date(2024, 12, 1), D("10.00")),
        (date(2025, 1, 1), D("13.00")),
        (date(2025, 3, 1), D("25.00")),
        (date(2025, 4, 1), D("13.00")),
    ]


def test_group_received_by_source_account_and_symbol():
    # given the received payments above

    # when
    by_source = group_received(RECEIVED, group_by="source")
    by_account = group_received(RECEIVED, group_by="account")
    by_symbol = group_received(RECEIVED, group_by="symbol")

    # then qualified 24 * 3 + 25 = 97, ordinary 13 + 13 = 26, interest 10;
    # account 1 = 97 (all KO), account 2 = 10 + 13 + 13 = 36; cash interest has no symbol
    assert by_source == [
        ("interest", D("10.00")),
        ("ordinary_dividend", D("26.00")),
        ("qualified_dividend", D("97.00")),
    ]
    assert by_account == [(1, D("97.00")), (2, D("36.00"))]
    assert by_symbol == [("", D("10.00")), ("KO", D("97.00")), ("O", D("26.00"))]


def test_trailing_twelve_months_and_year_to_date_totals():
    # given the received payments above

    # when
    trailing = trailing_twelve_months_total(RECEIVED, today=TODAY)
    year_to_date = year_to_date_total(RECEIVED, today=TODAY)

    # then (10 Apr 2024, 10 Apr 2025]: 24 + 10 + 13 + 25 + 13 = 85 (10 Apr 2024 is out,
    # today is in); 1 Jan - 10 Apr 2025: 13 + 25 + 13 = 51
    assert trailing == D("85.00")
    assert year_to_date == D("51.00")


def test_year_over_year_compares_with_the_same_days_of_last_year():
    # given the received payments above

    # when
    change = year_over_year(RECEIVED, today=TODAY)

    # then this year 51; 1 Jan - 10 Apr 2024: 24 + 24 = 48; change 3, 3 / 48 = 0.0625
    assert change.current == D("51.00")
    assert change.previous == D("48.00")
    assert change.change == D("3.00")
    assert change.change_fraction == D("0.0625")


def test_year_over_year_change_fraction_is_none_without_income_last_year():
    # given income only this year
    received = [_received(date(2025, 2, 1), 1, "KO", QUALIFIED, "10.00")]

    # when
    change = year_over_year(received, today=TODAY)

    # then
    assert (change.previous, change.change, change.change_fraction) == (D(0), D("10.00"), None)


def test_yield_on_cost_and_current_yield_are_fractions_and_none_without_a_base():
    # given 400 a year of income on 10,000 of cost now worth 8,000

    # when / then 400 / 10000 = 0.04; 400 / 8000 = 0.05
    assert yield_on_cost(D(400), D(10000)) == D("0.04")
    assert current_yield(D(400), D(8000)) == D("0.05")
    assert yield_on_cost(D(400), D(0)) is None
    assert current_yield(D(400), D(0)) is None


def _quarterly(year: int, amount: str, security_id: int = 1) -> list[DividendEventInput]:
    return [
        DividendEventInput(
            security_id=security_id,
            ex_date=date(year, month, 1),
            pay_date=date(year, month, 14),
            amount=D(amount),
        )
        for month in (3, 6, 9, 12)
    ]


def test_dividend_growth_is_the_yearly_rate_over_trailing_year_dividends():
    # given 0.50 a quarter in Jun 2022 - Mar 2023, 0.55 the year after, 0.605 in the last year
    events = [
        *_quarterly(2022, "0.50")[1:],
        *_quarterly(2023, "0.50")[:1],
        *_quarterly(2023, "0.55")[1:],
        *_quarterly(2024, "0.55")[:1],
        *_quarterly(2024, "0.605")[1:],
        *_quarterly(2025, "0.605")[:1],
    ]

    # when
    growth = dividend_growth(events, years=2, today=TODAY)

    # then now (10 Apr 2024, 10 Apr 2025]: 4 * 0.605 = 2.42; two years earlier
    # (10 Apr 2022, 10 Apr 2023]: 4 * 0.50 = 2.00; (2.42 / 2.00) ^ (1/2) - 1 = 1.1 - 1 = 0.10
    assert growth == D("0.1")


def test_dividend_growth_is_none_without_a_full_earlier_year():
    # given the dividends are known from December 2022 only: 2 payments in the earlier year
    events = [*_quarterly(2022, "0.50")[3:], *_quarterly(2023, "0.50"), *_quarterly(2024, "0.55")]
    events += _quarterly(2025, "0.55")[:1]

    # when
    growth = dividend_growth(events, years=2, today=TODAY)
    no_history = dividend_growth(_quarterly(2024, "0.55"), years=2, today=TODAY)

    # then 2 earlier payments against 4 now would overstate growth; no earlier payments at all
    assert growth is None
    assert no_history is None


def test_detect_dividend_cuts_flags_falls_beyond_the_threshold():
    # given the last two dividends per share of five securities (events in any order)
    def event(security_id: int, ex_date: date, amount: str) -> DividendEventInput:
        return DividendEventInput(
            security_id=security_id, ex_date=ex_date, pay_date=ex_date, amount=D(amount)
        )

    events = [
        event(1, date(2025, 5, 1), "0.40"),  # latest of security 1, listed first
        event(1, date(2024, 11, 1), "0.50"),
        event(1, date(2025, 2, 1), "0.50"),
        event(2, date(2025, 2, 1), "0.50"),
        event(2, date(2025, 5, 1), "0.46"),
        event(3, date(2025, 2, 1), "0.50"),
        event(3, date(2025, 5, 1), "0.45"),
        event(4, date(2025, 5, 1), "0.30"),
        event(5, date(2025, 2, 1), "0.50"),
        event(5, date(2025, 5, 1), "0.60"),
    ]

    # when
    cuts = detect_dividend_cuts(events)

    # then 1: 0.40 < 0.50 * 0.9 = 0.45, change (0.40 - 0.50) / 0.50 = -0.2;
    # 2: 0.46 >= 0.45 (an 8% cut); 3: 0.45 is exactly 10%, not more; 4: one dividend only;
    # 5: a raise
    assert [(c.security_id, c.previous_amount, c.latest_amount, c.change) for c in cuts] == [
        (1, D("0.50"), D("0.40"), D("-0.2"))
    ]


def test_detect_dividend_cuts_takes_a_custom_threshold():
    # given an 8% cut
    events = [
        DividendEventInput(
            security_id=2, ex_date=date(2025, 2, 1), pay_date=date(2025, 2, 15), amount=D("0.50")
        ),
        DividendEventInput(
            security_id=2, ex_date=date(2025, 5, 1), pay_date=date(2025, 5, 15), amount=D("0.46")
        ),
    ]

    # when
    cuts = detect_dividend_cuts(events, threshold=D("0.05"))

    # then 0.46 < 0.50 * 0.95 = 0.475; change -0.04 / 0.50 = -0.08
    assert [(c.security_id, c.change) for c in cuts] == [(2, D("-0.08"))]


def test_reliability_per_month_and_over_the_trailing_twelve_months():
    # given the projections kept at the start of each month, and what arrived
    projected = {
        date(2024, 1, 1): D(1000),
        date(2024, 4, 1): D(100),
        date(2024, 5, 1): D(400),
        date(2024, 6, 1): D(0),
    }
    received = {
        date(2024, 1, 1): D(0),
        date(2024, 4, 1): D(90),
        date(2024, 5, 1): D(410),
        date(2024, 6, 1): D(25),
        date(2024, 7, 1): D(30),  # no projection was kept for July
    }

    # when
    result = reliability(received, projected, through=date(2025, 3, 1))

    # then per month 0 / 1000 = 0, 90 / 100 = 0.9, 410 / 400 = 1.025, June and July None;
    # trailing April 2024 - March 2025 over months with a projection (Apr, May, Jun):
    # (90 + 410 + 25) / (100 + 400 + 0) = 525 / 500 = 1.05
    assert [(m.month, m.ratio) for m in result.months] == [
        (date(2024, 1, 1), D(0)),
        (date(2024, 4, 1), D("0.9")),
        (date(2024, 5, 1), D("1.025")),
        (date(2024, 6, 1), None),
        (date(2024, 7, 1), None),
    ]
    assert result.trailing_twelve_months == D("1.05")


def test_reliability_trailing_window_defaults_to_the_latest_projected_month():
    # given projections from May 2023 to June 2024, and no `through`
    projected = {
        date(2023, 5, 1): D(1000),
        date(2024, 1, 1): D(500),
        date(2024, 4, 1): D(100),
        date(2024, 6, 1): D(400),
    }
    received = {
        date(2023, 5, 1): D(0),
        date(2024, 1, 1): D(450),
        date(2024, 4, 1): D(90),
        date(2024, 6, 1): D(410),
    }

    # when
    result = reliability(received, projected)

    # then the window is July 2023 - June 2024, leaving out May 2023:
    # (450 + 90 + 410) / (500 + 100 + 400) = 950 / 1000 = 0.95
    assert result.trailing_twelve_months == D("0.95")


def test_after_tax_income_taxes_each_source_by_its_rule_and_only_in_taxable_accounts():
    # given a year's income by (source, account treatment), federal 24%, state 5%,
    # qualified 15%
    amounts = {
        ("qualified_dividend", "taxable"): D(1000),
        ("capital_gain_distribution", "taxable"): D(200),
        ("ordinary_dividend", "taxable"): D(500),
        ("interest", "taxable"): D(200),
        ("option_premium", "taxable"): D(300),
        ("return_of_capital", "taxable"): D(100),
        ("ordinary_dividend", "tax_deferred"): D(400),
        ("qualified_dividend", "tax_exempt"): D(600),
    }

    # when
    result = after_tax_income(
        amounts, federal_rate=D("0.24"), state_rate=D("0.05"), qualified_rate=D("0.15")
    )

    # then qualified (1000 + 200) * (0.15 + 0.05) = 240; ordinary (500 + 200 + 300)
    # * (0.24 + 0.05) = 290; return of capital and the IRA/Roth income 0; tax 530;
    # gross 1000 + 200 + 500 + 200 + 300 + 100 + 400 + 600 = 3300; net 3300 - 530 = 2770
    assert (result.gross, result.tax, result.net) == (D(3300), D("530.00"), D("2770.00"))


def test_after_tax_income_rounds_the_tax_once_not_per_source():
    # given two small amounts whose tax is half a cent each: 0.05 * (0.25 + 0.05) = 0.015
    amounts = {("interest", "taxable"): D("0.05"), ("ordinary_dividend", "taxable"): D("0.05")}

    # when
    result = after_tax_income(
        amounts, federal_rate=D("0.25"), state_rate=D("0.05"), qualified_rate=D("0.15")
    )

    # then 0.015 + 0.015 = 0.03 (rounding each first would give 0.02 + 0.02 = 0.04)
    assert result.tax == D("0.03")
    assert result.net == D("0.07")


@pytest.mark.parametrize("source", ["bond_principal", "lottery"])
def test_after_tax_income_refuses_amounts_that_are_not_known_income(source):
    # given principal repaid, or a source with no tax rule, even in an IRA
    amounts = {(source, "tax_deferred"): D(1000)}

    # when / then
    with pytest.raises(ValueError, match=source):
        after_tax_income(
            amounts, federal_rate=D("0.24"), state_rate=D("0.05"), qualified_rate=D("0.15")
        )
