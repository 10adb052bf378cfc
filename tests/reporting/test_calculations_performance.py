"""Tests for reporting.calculations: returns, risk, benchmark blends, periods, downsampling.

Every expected figure is worked out by hand in a comment or taken from a published reference
(tests/reference/README.md, copied from the shared reference), cited in the test's docstring.
"""

import csv
import math
import random
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reporting.calculations.performance import (
    annualize,
    benchmark_metrics,
    blend_benchmark_index,
    daily_risk_metrics,
    downsample,
    downsample_indices,
    modified_dietz,
    period_bounds,
    period_irr,
    risk_metrics,
    trading_day_returns,
    twr,
    twr_daily,
    twr_index,
    xirr,
    xnys_sessions,
)
from tests.portfolios.valuation_frames import daily_valuation
from tests.reference.cases import case_file

SQRT_252 = math.sqrt(252)


def _calendar_days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=offset) for offset in range(count)]


# --- True time-weighted return -------------------------------------------------------------

# Portfolio Performance ClientIndexTest#testExcelSample: one cash account, 2011-12-31 to
# 2012-01-08. The closing value of each day, from its transactions:
#   12-31 deposit 10000                      -> 10000.00 (the base)
#   01-01 interest 230                       -> 10230.00
#   01-02 deposit 200 (in), interest 200     -> 10630.00
#   01-03 withdrawal 400 (out), fee 234.41   -> 9995.59
#   01-04 interest 293.99                    -> 10289.58
#   01-05 interest 293.99                    -> 10583.57
#   01-06 deposit 5400 (in), interest 195.99 -> 16179.56
#   01-07 withdrawal 3697.04 (out), fee 882.52 -> 11600.00
#   01-08 fee 1003.85                        -> 10596.15
EXCEL_SAMPLE_VALUES = [
    Decimal("10000.00"),
    Decimal("10230.00"),
    Decimal("10630.00"),
    Decimal("9995.59"),
    Decimal("10289.58"),
    Decimal("10583.57"),
    Decimal("16179.56"),
    Decimal("11600.00"),
    Decimal("10596.15"),
]
EXCEL_SAMPLE_INFLOWS = [Decimal(x) for x in ("0", "0", "200", "0", "0", "0", "5400", "0", "0")]
EXCEL_SAMPLE_OUTFLOWS = [Decimal(x) for x in ("0", "0", "0", "400", "0", "0", "0", "3697.04", "0")]


def test_twr_daily_matches_portfolio_performance_excel_sample():
    """Portfolio Performance ClientIndexTest#testExcelSample (reference README case 1)."""
    # given the day-by-day values and flows derived above

    # when
    daily = twr_daily(EXCEL_SAMPLE_VALUES, EXCEL_SAMPLE_INFLOWS, EXCEL_SAMPLE_OUTFLOWS)

    # then each day's return is the reference table's "daily return" column, e.g.
    # 01-02: 10630 / (10230 + 200) - 1 = 0.019175455; 01-07: (11600 + 3697.04) / 16179.56 - 1;
    # the table rounds days 4, 5 and 8 to 1/34, 1/35 and -9/104, hence the test's own
    # PRECISION of 1e-6
    expected = [
        0.0,
        0.023,
        0.019175455,
        -0.0220517,
        0.0294117647,
        0.0285714286,
        0.012261967,
        -0.0545454545,
        -0.0865384615,
    ]
    assert daily == pytest.approx(expected, abs=1e-6)


def test_twr_chain_links_excel_sample_to_published_cumulative():
    """Portfolio Performance ClientIndexTest#testExcelSample (reference README case 1)."""
    # given the excel sample

    # when
    index = twr_index(EXCEL_SAMPLE_VALUES, EXCEL_SAMPLE_INFLOWS, EXCEL_SAMPLE_OUTFLOWS)
    total = twr(EXCEL_SAMPLE_VALUES, EXCEL_SAMPLE_INFLOWS, EXCEL_SAMPLE_OUTFLOWS)

    # then the cumulative column of the reference table, ending at -0.056182678 (tolerance
    # 1e-5 as published)
    cumulative = [level - 1 for level in index]
    assert cumulative == pytest.approx(
        [
            0,
            0.023,
            0.042616491,
            0.019624983,
            0.049614163,
            0.079603343,
            0.092841403,
            0.03323197,
            -0.056182678,
        ],
        abs=1e-7,
    )
    assert total == pytest.approx(-0.056182678, abs=1e-5)


def test_deposit_on_last_day_does_not_change_return():
    """Portfolio Performance ClientIndexTest#testThatDepositsOnTheLastDayArePerformanceNeutral."""
    # given deposit 10000 on 2012-01-01, interest 1000 on 01-02, deposit 10000 on 01-10
    values = [10000] + [11000] * 8 + [21000]
    inflows = [0] * 9 + [10000]
    outflows = [0] * 10

    # when
    index = twr_index(values, inflows, outflows)

    # then both the day before and the last day show 11000 / 10000 - 1 = 0.1: the last day's
    # deposit arrives at its start, so 21000 / (11000 + 10000) - 1 = 0
    assert index[-2] - 1 == pytest.approx(0.1, abs=1e-12)
    assert index[-1] - 1 == pytest.approx(0.1, abs=1e-12)


def test_twr_day_without_capital_at_work_returns_zero():
    """Portfolio Performance ClientIndexTest: interest without any investment yields 0.

    (testThatInterstWithoutInvestmentDoesNotCorruptResultAndIsReported, sic)
    """
    # given nothing invested, then 5 of interest out of nowhere, then a deposit of 100
    values = [0, 5, 105]
    inflows = [0, 0, 100]
    outflows = [0, 0, 0]

    # when
    daily = twr_daily(values, inflows, outflows)

    # then day 1 has a zero denominator (0 + 0) and returns 0; day 2 is 105 / (5 + 100) - 1 = 0
    assert daily == [0.0, 0.0, 0.0]


@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-0.2, max_value=0.2),  # the market's move that day
            st.integers(min_value=0, max_value=50_000),  # deposit at the start of the day
            st.floats(min_value=0, max_value=0.5),  # share withdrawn at the end of the day
        ),
        min_size=1,
        max_size=20,
    )
)
def test_external_flows_do_not_change_twr(days):
    """Portfolio Performance ClientIndexTest#testThatTransferalsDoNotChangePerformance.

    Whatever is deposited or withdrawn, the TWR is the market's own chain of moves,
    product(1 + g_t) - 1, as long as some capital stays at work.
    """
    # given a portfolio of 1000 that moves with the market while money comes and goes; at
    # worst it keeps 0.8 x 0.5 of itself a day, so after 20 days 1000 x 0.4^20 = 1.1e-5
    # is still at work
    values, inflows, outflows = [1000.0], [0.0], [0.0]
    for move, deposit, withdrawn_share in days:
        at_work = values[-1] + deposit
        closing = at_work * (1 + move)
        withdrawal = closing * withdrawn_share
        values.append(closing - withdrawal)
        inflows.append(deposit)
        outflows.append(withdrawal)

    # when
    total = twr(values, inflows, outflows)

    # then
    assert total == pytest.approx(math.prod(1 + move for move, _, _ in days) - 1, abs=1e-9)


def test_twr_rejects_misaligned_series():
    """A values series one day longer than its flows is a caller bug, not a return."""
    # given / when / then
    with pytest.raises(ValueError, match="aligned"):
        twr([1, 2, 3], [0, 0], [0, 0, 0])


def test_annualize_is_null_under_a_year_and_compounds_over_longer_periods():
    """DESIGN §7: twr_annualized = (1 + twr)^(365/days) - 1, null under 365 days."""
    # given / when / then: 1.21^(365/730) = sqrt(1.21) = 1.1
    assert annualize(0.21, 730) == pytest.approx(0.1, abs=1e-12)
    assert annualize(Decimal("0.05"), 365) == pytest.approx(0.05, abs=1e-12)
    assert annualize(0.05, 364) is None


# --- Money-weighted return -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        # IRRTest: -200 on 2010-01-01, +210 on 2010-12-31 (364 days)
        ([(date(2010, 1, 1), -200), (date(2010, 12, 31), 210)], 0.050140747),
        # IRRCalculationTest
        (
            [
                (date(2015, 12, 31), Decimal("-1000")),
                (date(2016, 6, 1), Decimal("150")),
                (date(2016, 12, 31), Decimal("1230")),
            ],
            0.412128788,
        ),
        (
            [
                (date(2019, 5, 24), Decimal("-1560.94")),
                (date(2020, 1, 13), Decimal("-1160")),
                (date(2020, 6, 29), Decimal("42.80")),
            ],
            -0.999251643,
        ),
    ],
)
def test_xirr_matches_portfolio_performance_irr_tests(flows, expected):
    """Portfolio Performance IRRTest and IRRCalculationTest (reference README case 3)."""
    # given the published flows (investor's signs: money in negative)

    # when
    rate = xirr(flows)

    # then
    assert rate == pytest.approx(expected, abs=1e-4)


def test_xirr_without_a_sign_change_has_no_solution():
    """An IRR needs money both in and out; two deposits alone have none."""
    # given / when / then
    assert xirr([(date(2020, 1, 1), -100), (date(2021, 1, 1), -100)]) is None
    assert xirr([(date(2020, 1, 1), -100)]) is None


def test_twr_and_mwr_of_cfa_two_share_example():
    """CFA Level I, TWR vs MWR (reference README case 4).

    Buy one share at 100; a year later receive a dividend of 2 and buy a second share at 120;
    a year after that receive 2 per share and sell both at 130.
    """
    # given the portfolio valued at each step (dates one year apart, 2021 and 2022 have 365 days)
    #   2021-01-01 base: one share, 100
    #   2022-01-01 close: share at 120 + dividend 2 = 122
    #   2022-01-02: 118 of new money (in) with the dividend buys the second share -> 240
    #   2023-01-01: 2 x 130 + 2 x 2 = 264, all taken out at the end of the day (out)
    values = [100, 122, 240, 0]
    inflows = [0, 0, 118, 0]
    outflows = [0, 0, 0, 264]

    # when
    total = twr(values, inflows, outflows)
    twr_per_year = annualize(total, (date(2023, 1, 1) - date(2021, 1, 1)).days)
    mwr = xirr([(date(2021, 1, 1), -100), (date(2022, 1, 1), -118), (date(2023, 1, 1), 264)])

    # then TWR = sqrt(1.22 x 1.10) - 1 = 15.84% a year; MWR solves
    # 100 x^2 + 118 x - 264 = 0 -> x = (-118 + sqrt(118^2 + 4 x 100 x 264)) / 200 -> 13.86%
    assert total == pytest.approx(1.22 * 1.10 - 1, abs=1e-12)
    assert twr_per_year == pytest.approx(math.sqrt(1.22 * 1.10) - 1, abs=1e-12)
    assert round(twr_per_year, 4) == 0.1584
    assert mwr == pytest.approx((-118 + math.sqrt(118**2 + 4 * 100 * 264)) / 200 - 1, abs=1e-6)
    assert round(mwr, 4) == 0.1386


def test_period_irr_counts_start_value_in_and_ignores_flows_on_the_start_day():
    """DESIGN §7: IRR on the external flows plus the start value in and the end value out."""
    # given 100 at the close of 2021-01-01 and 110 a 365-day year later; a deposit on the
    # start day is already in the start value
    flows = [(date(2021, 1, 1), Decimal("100"))]

    # when
    rate = period_irr(date(2021, 1, 1), Decimal("100"), flows, date(2022, 1, 1), Decimal("110"))

    # then 110 / 100 - 1 over exactly one actual/365 year
    assert rate == pytest.approx(0.10, abs=1e-9)


def test_modified_dietz_gips_practice_problem():
    """GIPS practice problem (reference README case 5): March 2003, redemption on the 15th."""
    # given 50,000,000 on 2003-02-28, a 500,000 redemption on 2003-03-15, 51,500,000 on 03-31
    flows = [(date(2003, 3, 15), Decimal("-500000"))]

    # when
    result = modified_dietz(
        Decimal("50000000"), Decimal("51500000"), flows, date(2003, 2, 28), date(2003, 3, 31)
    )

    # then w = (03-31 - 03-15) / (03-31 - 02-28) = 16 / 31, and
    # (51.5 - 50 + 0.5) / (50 - 0.5 x 16/31) (millions) = 4.02%
    assert result == pytest.approx(2 / (50 - 0.5 * 16 / 31), abs=1e-12)
    assert round(result, 4) == 0.0402


def test_modified_dietz_without_capital_is_null():
    """Nothing at work over the period leaves the return undefined."""
    # given / when / then
    assert modified_dietz(0, 0, [], date(2024, 1, 1), date(2024, 1, 31)) is None


# --- pp-demo-portfolio-03, end to end --------------------------------------------------------


@pytest.fixture(scope="module")
def demo03():
    """Return the demo portfolio's prices and the ledger derived from its transactions.

    The derivation follows the cash-effect rules printed under the table of expected.md:
    BUY -(amount + fees), SELL +(amount - fees), DIVIDEND +amount, TAX_WITHHELD -amount,
    DEPOSIT +amount and an external inflow.
    """
    prices: dict[str, list[tuple[date, Decimal]]] = {}
    with case_file("pp-demo-portfolio-03", "prices.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            prices.setdefault(row["symbol"], []).append(
                (date.fromisoformat(row["date"]), Decimal(row["close"]))
            )
    quantity_changes, cash_changes, flows = [], [], []
    with case_file("pp-demo-portfolio-03", "transactions.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            day = date.fromisoformat(row["date"])
            amount = Decimal(row["amount"] or "0")
            fees = Decimal(row["fees"] or "0")
            if row["type"] == "DEPOSIT":
                cash_changes.append((day, amount))
                flows.append((day, amount, Decimal("0")))
            elif row["type"] == "BUY":
                quantity_changes.append((day, row["symbol"], Decimal(row["quantity"])))
                cash_changes.append((day, -(amount + fees)))
            elif row["type"] == "SELL":
                quantity_changes.append((day, row["symbol"], -Decimal(row["quantity"])))
                cash_changes.append((day, amount - fees))
            elif row["type"] == "DIVIDEND":
                cash_changes.append((day, amount))
            elif row["type"] == "TAX_WITHHELD":
                cash_changes.append((day, -amount))
            else:
                raise AssertionError(f"unexpected type {row['type']}")
    return {
        "prices": prices,
        "quantity_changes": quantity_changes,
        "cash_changes": cash_changes,
        "flows": flows,
    }


def _value(demo03, start: date, end: date) -> pd.DataFrame:
    return daily_valuation(start=start, end=end, **demo03)


def test_demo03_ledger_ends_with_published_cash_and_holdings(demo03):
    """pp-demo-portfolio-03 expected.md: final cash 125.00 EUR, 10 SHARE1 and 8 SHARE2."""
    # given the ledger derived from transactions.csv

    # when
    cash = sum(amount for _, amount in demo03["cash_changes"])
    shares = {}
    for _, symbol, quantity in demo03["quantity_changes"]:
        shares[symbol] = shares.get(symbol, 0) + quantity

    # then
    assert cash == Decimal("125.00")
    assert shares == {"SHARE1": 10, "SHARE2": 8}


def test_demo03_two_year_values_and_ttwror_match_the_manual(demo03):
    """pp-demo-portfolio-03 expected.md (Portfolio Performance manual, time-weighted.md)."""
    # given the two-year period 2021-06-12 (a Saturday) to 2023-06-12
    frame = _value(demo03, date(2021, 6, 12), date(2023, 6, 12))

    # when
    index = pd.Series(twr_index(frame["value"], frame["inflow"], frame["outflow"]), frame.index)
    total = twr(frame["value"], frame["inflow"], frame["outflow"])

    # then start: 10 SHARE1 x 17.794 (Friday 2021-06-11 close, carried) = 177.94;
    # end: 10 x 19.006 + 8 x 13.97 + 125.00 cash = 426.82
    assert frame["value"].iloc[0] == pytest.approx(177.94, abs=0.005)
    assert frame["value"].iloc[-1] == pytest.approx(426.82, abs=0.005)
    # checkpoints (manual Fig. 3): 2022-01-13 10 x 16.026 = 160.26 / -9.94%;
    # 2022-01-14 15 x 15.962 = 239.43 / -11.72%, that day 239.43 / (160.26 + 84) - 1 = -1.98%
    assert frame.loc["2022-01-13", "value"] == pytest.approx(160.26, abs=0.005)
    assert index.loc["2022-01-13"] - 1 == pytest.approx(-0.0994, abs=0.0001)
    assert frame.loc["2022-01-14", "value"] == pytest.approx(239.43, abs=0.005)
    assert index.loc["2022-01-14"] - 1 == pytest.approx(-0.1172, abs=0.0001)
    assert index.loc["2022-01-14"] / index.loc["2022-01-13"] - 1 == pytest.approx(
        239.43 / (160.26 + 84) - 1, abs=1e-9
    )
    # TTWROR 25.58% (manual Fig. 2 and 3), within 0.01 pp
    assert total == pytest.approx(0.2558, abs=0.0001)


def test_demo03_irr_over_two_and_three_years_matches_the_manual(demo03):
    """pp-demo-portfolio-03 expected.md (Portfolio Performance manual, money-weighted.md)."""
    # given two years from 2021-06-12 and three years from 2020-06-12, when the portfolio
    # was still empty (value 0 before the first deposit on 2021-01-15)
    two_years = _value(demo03, date(2021, 6, 12), date(2023, 6, 12))
    three_years = _value(demo03, date(2020, 6, 12), date(2023, 6, 12))
    deposits = [(day, inflow - outflow) for day, inflow, outflow in demo03["flows"]]

    # when
    irr_2y = period_irr(
        date(2021, 6, 12),
        two_years["value"].iloc[0],
        deposits,
        date(2023, 6, 12),
        two_years["value"].iloc[-1],
    )
    irr_3y = period_irr(
        date(2020, 6, 12),
        three_years["value"].iloc[0],
        deposits,
        date(2023, 6, 12),
        three_years["value"].iloc[-1],
    )

    # then the manual's 17.63% (Example 4) and 20.28% (Example 3), within 0.01 pp
    assert three_years["value"].iloc[0] == 0
    assert irr_2y == pytest.approx(0.1763, abs=0.0001)
    assert irr_3y == pytest.approx(0.2028, abs=0.0001)


# --- Risk on XNYS sessions -------------------------------------------------------------------


def _index_from_returns(dates: list[date], returns: list[float]) -> pd.Series:
    """Return a TWR index starting at 1.0 on dates[0] and compounding the returns after it."""
    levels = [1.0]
    for daily in returns:
        levels.append(levels[-1] * (1 + daily))
    return pd.Series(levels, index=pd.DatetimeIndex(dates))


def test_xnys_sessions_skip_weekend_and_independence_day():
    """NYSE holiday calendar: 2023-07-01/02 is a weekend, 2023-07-04 Independence Day."""
    # given / when
    sessions = xnys_sessions(date(2023, 6, 30), date(2023, 7, 6))

    # then
    assert [day.date() for day in sessions] == [
        date(2023, 6, 30),
        date(2023, 7, 3),
        date(2023, 7, 5),
        date(2023, 7, 6),
    ]


def test_risk_metrics_of_a_five_session_week():
    """Hand-computed: returns 2%, -1%, 3%, -2%, 1% over the sessions of 2023-06-05..09."""
    # given the base on Friday 2023-06-02 and five sessions after it
    index = _index_from_returns(
        [
            date(2023, 6, 2),
            date(2023, 6, 5),
            date(2023, 6, 6),
            date(2023, 6, 7),
            date(2023, 6, 8),
            date(2023, 6, 9),
        ],
        [0.02, -0.01, 0.03, -0.02, 0.01],
    )

    # when
    metrics = risk_metrics(index)

    # then mean = 0.03 / 5 = 0.006; deviations 0.014, -0.016, 0.024, -0.026, 0.004, whose
    # squares add up to 0.00172, so the sample variance is 0.00172 / 4 = 0.00043
    sd = math.sqrt(0.00172 / 4)
    assert metrics.observations == 5
    assert metrics.volatility == pytest.approx(sd * SQRT_252, abs=1e-12)
    assert metrics.sharpe == pytest.approx(0.006 / sd * SQRT_252, abs=1e-9)
    # downside: min(r, 0)^2 = 0, 0.0001, 0, 0.0004, 0 -> mean 0.0001 -> deviation 0.01
    assert metrics.sortino == pytest.approx(0.006 / 0.01 * SQRT_252, abs=1e-9)
    # sorted -0.02, -0.01, 0.01, 0.02, 0.03; the 5th percentile sits at rank 0.05 x 4 = 0.2:
    # -0.02 + 0.2 x (-0.01 - -0.02) = -0.018
    assert metrics.var_95 == pytest.approx(0.018, abs=1e-12)
    # levels 1, 1.02, 1.0098, 1.040094, 1.01929212, 1.0294850412: the fall from the
    # 06-07 peak to the 06-08 trough is 2%, never recovered
    assert metrics.max_drawdown == pytest.approx(0.02, abs=1e-12)
    assert metrics.drawdown_peak == date(2023, 6, 7)
    assert metrics.drawdown_trough == date(2023, 6, 8)
    assert metrics.drawdown_recovery is None


def test_sharpe_subtracts_the_daily_equivalent_of_the_risk_free_rate():
    """DESIGN §7: Sharpe = (mean - rf) / sd x sqrt(252), with rf_daily = (1 + rf)^(1/252) - 1."""
    # given the five-session week above and rf chosen so that rf_daily is exactly 0.001
    index = _index_from_returns(
        [
            date(2023, 6, 2),
            date(2023, 6, 5),
            date(2023, 6, 6),
            date(2023, 6, 7),
            date(2023, 6, 8),
            date(2023, 6, 9),
        ],
        [0.02, -0.01, 0.03, -0.02, 0.01],
    )
    risk_free_rate = 1.001**252 - 1

    # when
    metrics = risk_metrics(index, risk_free_rate=risk_free_rate)

    # then (0.006 - 0.001) / sqrt(0.00043) x sqrt(252) and (0.006 - 0.001) / 0.01 x sqrt(252)
    assert metrics.sharpe == pytest.approx(0.005 / math.sqrt(0.00043) * SQRT_252, abs=1e-9)
    assert metrics.sortino == pytest.approx(0.005 / 0.01 * SQRT_252, abs=1e-9)


def test_risk_ignores_weekend_and_holiday_values():
    """NYSE calendar: 2023-07-01/02 (weekend) and 2023-07-04 (holiday) are not sessions."""
    # given a calendar-day index whose non-session days hold wild values
    index = pd.Series(
        [1.0, 5.0, 5.0, 1.01, 0.5, 0.9999, 1.019898],
        index=pd.date_range("2023-06-30", "2023-07-06"),
    )

    # when
    returns = trading_day_returns(index)
    metrics = risk_metrics(index)

    # then only 07-03 (1.01 / 1 - 1 = 1%), 07-05 (0.9999 / 1.01 - 1 = -1%) and 07-06
    # (1.019898 / 0.9999 - 1 = 2%) count; mean = 0.02 / 3
    assert list(returns.index.date) == [date(2023, 7, 3), date(2023, 7, 5), date(2023, 7, 6)]
    assert returns.to_list() == pytest.approx([0.01, -0.01, 0.02], abs=1e-12)
    mean = 0.02 / 3
    variance = ((0.01 - mean) ** 2 + (-0.01 - mean) ** 2 + (0.02 - mean) ** 2) / 2
    assert metrics.volatility == pytest.approx(math.sqrt(variance) * SQRT_252, abs=1e-9)
    # the 07-04 value of 0.5 would be a 50% drawdown; the sessions only fall 1%
    assert metrics.max_drawdown == pytest.approx(0.01, abs=1e-12)
    assert metrics.drawdown_peak == date(2023, 7, 3)
    assert metrics.drawdown_trough == date(2023, 7, 5)


def test_max_drawdown_reports_recovery_date():
    """Hand-computed: 1 -> 1.2 -> 0.9 -> 1.1 -> 1.25 over explicit trading days."""
    # given
    days = [
        date(2024, 1, 1),
        date(2024, 1, 2),
        date(2024, 1, 3),
        date(2024, 1, 4),
        date(2024, 1, 5),
    ]
    index = pd.Series([1.0, 1.2, 0.9, 1.1, 1.25], index=pd.DatetimeIndex(days))

    # when
    metrics = risk_metrics(index, trading_days=days)

    # then 1 - 0.9 / 1.2 = 25%, peak 01-02, trough 01-03, first back above 1.2 on 01-05
    assert metrics.max_drawdown == pytest.approx(0.25, abs=1e-12)
    assert metrics.drawdown_peak == date(2024, 1, 2)
    assert metrics.drawdown_trough == date(2024, 1, 3)
    assert metrics.drawdown_recovery == date(2024, 1, 5)


def test_risk_of_a_single_return_has_no_spread():
    """Volatility, Sharpe and Sortino need at least two returns."""
    # given one session after the base
    index = pd.Series([1.0, 1.01], index=pd.DatetimeIndex(["2023-06-02", "2023-06-05"]))

    # when
    metrics = risk_metrics(index)

    # then
    assert metrics.observations == 1
    assert metrics.volatility is None
    assert metrics.sharpe is None
    assert metrics.sortino is None
    assert metrics.var_95 == pytest.approx(-0.01, abs=1e-12)


def test_daily_risk_metrics_of_a_stored_index_with_a_weekend_a_holiday_and_gaps():
    """The stored series' path (numpy arrays, no pandas), worked out by hand."""
    # given a daily index from Thursday 2023-06-29: no level on the 29th (the index starts
    # on Friday 30 June), wild values on the weekend and on 4 July (Independence Day), and
    # none on Sunday 2 July
    nan = float("nan")
    levels = np.array([nan, 1.0, 5.0, nan, 1.01, 0.5, 0.9999, 1.019898])

    # when
    metrics = daily_risk_metrics(levels, date(2023, 6, 29))

    # then the base is Friday's 1.0 and the sessions 07-03, 07-05, 07-06 return 1%, -1%, 2%:
    # mean 1/150, deviations 1/300, -1/60, 1/75, squares 1, 25, 16 (/90000), so the sample
    # variance is 42/90000 / 2 = 7/30000 and volatility = sqrt(7/30000 x 252) = 0.14 x sqrt(3)
    assert metrics.observations == 3
    assert metrics.volatility == pytest.approx(0.14 * math.sqrt(3), abs=1e-9)
    # Sharpe (rf 0) = (1/150) / sqrt(7/30000) x sqrt(252) = sqrt(1080000) / 150 = 4 x sqrt(3)
    assert metrics.sharpe == pytest.approx(4 * math.sqrt(3), abs=1e-7)
    # downside: squares 0, 0.0001, 0 -> mean 1/30000; Sortino = (1/150) x sqrt(30000 x 252)
    # = 4 x sqrt(21)
    assert metrics.sortino == pytest.approx(4 * math.sqrt(21), abs=1e-7)
    # sorted -0.01, 0.01, 0.02; rank 0.05 x 2 = 0.1: -0.01 + 0.1 x 0.02 = -0.008
    assert metrics.var_95 == pytest.approx(0.008, abs=1e-12)
    # sessions' levels 1, 1.01, 0.9999, 1.019898: 1 - 0.9999 / 1.01 = 1% from 07-03 to
    # 07-05, back above 1.01 on 07-06 (the 4 July 0.5 is no session)
    assert metrics.max_drawdown == pytest.approx(0.01, abs=1e-12)
    assert metrics.drawdown_peak == date(2023, 7, 3)
    assert metrics.drawdown_trough == date(2023, 7, 5)
    assert metrics.drawdown_recovery == date(2023, 7, 6)


def test_daily_risk_metrics_with_a_risk_free_rate_and_too_few_levels():
    # given rf chosen so that rf_daily is exactly 0.001, and the week of 2023-06-05 as a
    # daily index: Friday 06-02 (base), weekend copies, then the five sessions
    risk_free_rate = 1.001**252 - 1
    week = [1.0, 1.0, 1.0, 1.02, 1.0098, 1.040094, 1.01929212, 1.0294850412]

    # when
    metrics = daily_risk_metrics(np.array(week), date(2023, 6, 2), risk_free_rate)

    # then (0.006 - 0.001) / sqrt(0.00043) x sqrt(252) and (0.006 - 0.001) / 0.01 x sqrt(252)
    assert metrics.observations == 5
    assert metrics.sharpe == pytest.approx(0.005 / math.sqrt(0.00043) * SQRT_252, abs=1e-9)
    assert metrics.sortino == pytest.approx(0.005 / 0.01 * SQRT_252, abs=1e-9)
    # a single level (or none) has no return and no drawdown
    for levels in ([1.0], [float("nan")], []):
        alone = daily_risk_metrics(np.array(levels), date(2023, 6, 2))
        assert (alone.observations, alone.volatility, alone.var_95) == (0, None, None)
        assert (alone.max_drawdown, alone.drawdown_peak) == (0.0, None)


def test_daily_risk_metrics_equal_risk_metrics_float_for_float():
    """The page's figures must not move by a bit when they skip pandas."""
    rng = random.Random(11)
    for _ in range(200):
        start = date(1990, 1, 1) + timedelta(days=rng.randrange(12_000))
        levels = np.cumprod([1 + rng.gauss(0, 0.01) for _ in range(rng.randrange(1, 500))])
        if rng.random() < 0.3:
            levels[0] = float("nan")
        for _ in range(rng.randrange(4)):
            levels[rng.randrange(len(levels))] = float("nan")
        series = pd.Series(levels, index=pd.date_range(start, periods=len(levels)))
        rate = rng.choice([0.0, 0.04])
        assert daily_risk_metrics(levels, start, rate) == risk_metrics(series, rate), start


def test_benchmark_metrics_of_identical_returns_are_beta_one_and_no_tracking_error():
    """A portfolio that is its benchmark moves one for one: beta 1, tracking error 0."""
    # given
    returns = pd.Series([0.01, -0.02, 0.03], index=pd.date_range("2023-06-05", periods=3))

    # when
    metrics = benchmark_metrics(returns, returns.copy())

    # then
    assert metrics.beta == pytest.approx(1.0, abs=1e-12)
    assert metrics.tracking_error == pytest.approx(0.0, abs=1e-15)


def test_benchmark_metrics_of_a_doubled_benchmark():
    """Hand-computed: p = 2b gives cov(p, b) / var(b) = 2 and sd(p - b) = sd(b)."""
    # given benchmark returns 1%, -2%, 3% (mean 0.02 / 3) and a portfolio moving twice as much
    bench = [0.01, -0.02, 0.03]
    port = [0.02, -0.04, 0.06]

    # when
    metrics = benchmark_metrics(port, bench)

    # then
    mean = 0.02 / 3
    bench_variance = ((0.01 - mean) ** 2 + (-0.02 - mean) ** 2 + (0.03 - mean) ** 2) / 2
    assert metrics.beta == pytest.approx(2.0, abs=1e-12)
    assert metrics.tracking_error == pytest.approx(math.sqrt(bench_variance) * SQRT_252, 1e-9)


# --- Benchmark blends ------------------------------------------------------------------------


def _two_asset_prices() -> dict[str, pd.Series]:
    # A: 100 -> 110 (+10%) in February, 110 -> 115.5 (+5%) -> 121 (+10% from Feb) in March
    # B: 50 -> 45 (-10%) in February, flat to mid-March, then 45 -> 54 (+20%) by March 31
    days = pd.DatetimeIndex(["2023-01-31", "2023-02-28", "2023-03-15", "2023-03-31"])
    return {
        "A": pd.Series([Decimal("100"), Decimal("110"), Decimal("115.5"), Decimal("121")], days),
        "B": pd.Series([Decimal("50"), Decimal("45"), Decimal("45"), Decimal("54")], days),
    }


def test_blend_rebalanced_monthly_resets_weights_at_each_month_end():
    """Hand-computed 60% A / 40% B over February and March 2023, rebalanced monthly."""
    # given
    weights = {"A": Decimal("0.6"), "B": Decimal("0.4")}

    # when
    index = blend_benchmark_index(_two_asset_prices(), weights, rebalance="monthly")

    # then
    assert index.index[0] == pd.Timestamp("2023-01-31")
    assert len(index) == 60  # 2023-01-31 .. 2023-03-31, every calendar day
    assert index.loc["2023-01-31"] == 1.0
    # mid-February has no new prices: the January closes carry forward
    assert index.loc["2023-02-14"] == pytest.approx(1.0, abs=1e-12)
    # February: 0.6 x 1.1 + 0.4 x 0.9 = 1.02, then back to 60/40
    assert index.loc["2023-02-28"] == pytest.approx(1.02, abs=1e-12)
    # 03-15: 1.02 x (0.6 x 115.5/110 + 0.4 x 45/45) = 1.02 x 1.03 = 1.0506; the Saturday
    # 03-18 carries it
    assert index.loc["2023-03-15"] == pytest.approx(1.0506, abs=1e-12)
    assert index.loc["2023-03-18"] == pytest.approx(1.0506, abs=1e-12)
    # March: 1.02 x (0.6 x 121/110 + 0.4 x 54/45) = 1.02 x 1.14 = 1.1628
    assert index.loc["2023-03-31"] == pytest.approx(1.1628, abs=1e-12)


def test_blend_without_rebalancing_drifts_with_prices():
    """Hand-computed buy and hold of 60% A / 40% B from 2023-01-31."""
    # given
    weights = {"A": Decimal("0.6"), "B": Decimal("0.4")}

    # when
    index = blend_benchmark_index(_two_asset_prices(), weights, rebalance="none")

    # then 0.6 x 121/100 + 0.4 x 54/50 = 0.726 + 0.432 = 1.158
    assert index.loc["2023-03-31"] == pytest.approx(1.158, abs=1e-12)


def test_blend_rejects_weights_that_do_not_add_up_to_one():
    """A 60/30 blend is a typo, not a benchmark."""
    # given / when / then
    with pytest.raises(ValueError, match="add up to 1"):
        blend_benchmark_index(_two_asset_prices(), {"A": Decimal("0.6"), "B": Decimal("0.3")})


# --- Periods and downsampling ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "today", "expected_start"),
    [
        ("1M", date(2024, 3, 31), date(2024, 2, 29)),  # clamped to the end of leap February
        ("1M", date(2023, 3, 31), date(2023, 2, 28)),
        ("3M", date(2024, 5, 15), date(2024, 2, 15)),
        ("YTD", date(2024, 5, 15), date(2023, 12, 31)),
        ("1Y", date(2024, 2, 29), date(2023, 2, 28)),
        ("3Y", date(2024, 5, 15), date(2021, 5, 15)),
        ("5Y", date(2024, 5, 15), date(2019, 5, 15)),
        ("MAX", date(2024, 5, 15), date(2010, 1, 4)),
    ],
)
def test_period_bounds_start_on_the_base_day(code, today, expected_start):
    """Calendar arithmetic by hand; history starts 2010-01-04."""
    # given / when
    start, end = period_bounds(code, today, date(2010, 1, 4))

    # then
    assert (start, end) == (expected_start, today)


def test_period_bounds_never_start_before_the_history():
    """A 5Y period over two years of history starts on the first day of history."""
    # given / when / then
    assert period_bounds("5Y", date(2024, 5, 15), date(2022, 7, 1)) == (
        date(2022, 7, 1),
        date(2024, 5, 15),
    )
    with pytest.raises(ValueError, match="unknown period"):
        period_bounds("2W", date(2024, 5, 15), date(2022, 7, 1))


def test_downsample_keeps_ends_and_extremes_within_the_budget():
    """Min/max bucketing keeps first, last, the global peak and the global trough."""
    # given 10,000 days of a gentle slope with one spike up and one crash
    dates = _calendar_days(date(1995, 1, 1), 10_000)
    values = [Decimal(1000 + day) for day in range(10_000)]
    values[4321] = Decimal("999999")
    values[7777] = Decimal("-5")

    # when
    kept_dates, kept_values = downsample(dates, values, max_points=100)

    # then
    assert len(kept_dates) == len(kept_values) <= 100
    assert kept_dates[0] == dates[0]
    assert kept_dates[-1] == dates[-1]
    assert Decimal("999999") in kept_values
    assert Decimal("-5") in kept_values
    assert kept_dates == sorted(kept_dates)


def test_downsample_returns_a_short_series_whole():
    """A series already within the budget is not thinned."""
    # given / when / then
    assert downsample_indices([3, 1, 2], max_points=1500) == [0, 1, 2]
