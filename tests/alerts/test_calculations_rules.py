"""Each rule kind crosses and un-crosses its threshold on hand-made facts (pure, no ORM)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from alerts.calculations import (
    AllocationFact,
    ClosedMonthFact,
    HarvestFact,
    HouseholdFacts,
    PositionFact,
    PriceMoveFact,
    RuleSpec,
    evaluate_rule,
)
from alerts.calculations.market_moves import fall_from_peak, last_move, volatility_pair
from alerts.calculations.money_text import money_text, percent_text, signed_money_text

D = Decimal


def messages(rule: RuleSpec, facts: HouseholdFacts) -> list[str]:
    return [finding.message for finding in evaluate_rule(rule, facts)]


def test_money_text_has_currency_separators_and_a_real_minus():
    assert money_text(D("1500")) == "$1,500.00"
    assert money_text(D("-1234567.891")) == "−$1,234,567.89"
    assert money_text(D("0.005"), "EUR") == "€0.01"  # half up
    assert signed_money_text(D("12.5")) == "+$12.50"
    assert percent_text(D("0.0625")) == "6.3%"
    assert percent_text(D("-0.02"), 2, signed=True) == "−2.00%"


def test_allocation_drift_uses_each_targets_band_or_the_rules_own():
    # US equity 48% against a 42% target: drift +6 pp, outside a ±5 pp band
    facts = HouseholdFacts(
        asset_classes=[AllocationFact("us_equity", D("0.48"), D("0.42"), D("0.05"))]
    )
    rule = RuleSpec("allocation_drift", "household")
    assert messages(rule, facts) == [
        "US equity is 48.0% of the household, 6.0 pp over its 42.0% target (band ±5.0 pp)"
    ]
    # back to 46%: +4 pp is inside the band
    inside = HouseholdFacts(
        asset_classes=[AllocationFact("us_equity", D("0.46"), D("0.42"), D("0.05"))]
    )
    assert messages(rule, inside) == []
    # a rule with its own 3 pp threshold sees the +4 pp
    assert len(evaluate_rule(replace(rule, threshold=D(3)), inside)) == 1


def test_allocation_drift_of_sleeves_and_one_named_sleeve():
    # income sleeve 12% against 20%: −8 pp, outside ±5; core 71% against 70%: inside
    facts = HouseholdFacts(
        sleeves=[
            AllocationFact("core", D("0.71"), D("0.70"), D("0.05")),
            AllocationFact("income", D("0.12"), D("0.20"), D("0.05")),
        ]
    )
    findings = evaluate_rule(RuleSpec("allocation_drift", "sleeve"), facts)
    assert [(f.subject, f.value) for f in findings] == [("sleeve:income", D("-0.08"))]
    assert findings[0].message.startswith(
        "The income sleeve is 12.0% of the household, 8.0 pp under"
    )
    assert evaluate_rule(RuleSpec("allocation_drift", "sleeve", "core"), facts) == []


def test_position_weight_follows_the_policy_and_skips_funds():
    facts = HouseholdFacts(
        policy_max_weight=D(10),
        positions=[
            PositionFact("AAPL", D("0.125"), D("12500"), "stock"),
            PositionFact("VTI", D("0.60"), D("60000"), "etf"),
        ],
    )
    rule = RuleSpec("position_weight", "security")
    assert messages(rule, facts) == [
        "AAPL is 12.5% of the household ($12,500.00), above the 10% limit"
    ]
    # a 15% threshold: 12.5% is under it
    assert messages(replace(rule, threshold=D(15)), facts) == []


def test_drawdown_of_the_household_and_of_an_account():
    facts = HouseholdFacts(drawdowns={"household": D("0.16"), "Joint": D("0.22")})
    assert messages(RuleSpec("drawdown", "household", threshold=D(15)), facts) == [
        "The household is 16.0% below its peak (time-weighted), beyond the 15% limit"
    ]
    assert [
        f.subject for f in evaluate_rule(RuleSpec("drawdown", "account", threshold=D(20)), facts)
    ] == ["account:Joint"]
    recovered = HouseholdFacts(drawdowns={"household": D("0.14"), "Joint": D("0.19")})
    assert evaluate_rule(RuleSpec("drawdown", "household", threshold=D(15)), recovered) == []
    assert evaluate_rule(RuleSpec("drawdown", "account", threshold=D(20)), recovered) == []


def test_price_move_either_way():
    # 100 → 91.5: −8.5%; beyond 8% down
    fell = HouseholdFacts(
        price_moves=[PriceMoveFact("XYZ", date(2026, 11, 20), D("91.5"), D("-0.085"))]
    )
    rule = RuleSpec("price_move", "security", threshold=D(8))
    assert messages(rule, fell) == ["XYZ moved −8.5% on Nov 20, to $91.50"]
    calm = HouseholdFacts(
        price_moves=[PriceMoveFact("XYZ", date(2026, 11, 23), D("93"), D("0.0164"))]
    )
    assert messages(rule, calm) == []


def test_value_level_below_and_above():
    facts = HouseholdFacts(total_value=D("499999.99"), account_values={"Joint": D("120000")})
    below = RuleSpec("value_level", "household", threshold=D(500000))
    assert messages(below, facts) == ["The household is worth $499,999.99, below $500,000.00"]
    assert messages(below, replace(facts, total_value=D(500000))) == []  # at the level: not below
    above = RuleSpec("value_level", "account", "Joint", D(100000), "above")
    assert messages(above, facts) == ["Joint is worth $120,000.00, above $100,000.00"]


def test_income_shortfall_one_finding_per_short_month_and_closed_months():
    # target 1,500, 10% tolerance: a month under 1,350 is short
    facts = HouseholdFacts(
        monthly_target=D(1500),
        expected_income={
            date(2026, 12, 1): D("1400"),
            date(2027, 1, 1): D("661.78"),
            date(2027, 2, 1): D("661.78"),
            date(2027, 3, 1): D("1349.99"),
        },
        # October received 800 of 1,000 projected when it started: 20% below
        closed_months=[ClosedMonthFact(date(2026, 10, 1), D(800), D(1000))],
    )
    findings = evaluate_rule(RuleSpec("income_shortfall", "household", threshold=D(10)), facts)
    assert [f.subject for f in findings] == ["2027-01", "2027-02", "2027-03", "closed:2026-10"]
    # 1,500 − 661.78 = 838.22 short
    assert findings[0].message == (
        "January 2027 is expected at $661.78, $838.22 short of the $1,500.00 target"
    )
    assert findings[3].message == (
        "October 2026 closed at $800.00, 20.0% below the $1,000.00 projected when it started"
    )
    # at 25% tolerance: floor 1,125; only Jan and Feb, and October (20%) is within
    wide = evaluate_rule(RuleSpec("income_shortfall", "household", threshold=D(25)), facts)
    assert [f.subject for f in wide] == ["2027-01", "2027-02"]


def test_dividend_cut_and_stale_price():
    facts = HouseholdFacts(
        dividend_changes={"SCHD": D("-0.2"), "VYM": D("-0.05")},
        sessions_without_price={"XYZ": 6, "VTI": 0},
    )
    assert messages(RuleSpec("dividend_cut", "security", threshold=D(10)), facts) == [
        "SCHD cut its dividend by 20.0% per share"
    ]
    assert messages(RuleSpec("stale_price", "security", threshold=D(5)), facts) == [
        "XYZ has had no new close for 6 trading days"
    ]
    assert messages(RuleSpec("stale_price", "security", threshold=D(6)), facts) == []


def test_cash_reserve_follows_the_policy():
    facts = HouseholdFacts(reserve_months=D("5.5"), policy_reserve_months=D(6))
    assert messages(RuleSpec("cash_reserve"), facts) == [
        "The cash reserve covers 5.5 months of the income target, under the 6-month minimum"
    ]
    assert messages(RuleSpec("cash_reserve", threshold=D(5)), facts) == []


def test_harvestable_loss_is_per_position_and_filters_by_account_or_symbol():
    facts = HouseholdFacts(
        harvest=[
            HarvestFact("Joint", "XYZ", D("1200"), 2),
            HarvestFact("Trust", "XYZ", D("300"), 1),
        ]
    )
    rule = RuleSpec("harvestable_loss", "security", threshold=D(1000))
    assert messages(rule, facts) == [
        "XYZ in Joint could harvest a $1,200.00 loss (2 lots below cost), over $1,000.00"
    ]
    assert evaluate_rule(replace(rule, scope="account", scope_name="trust"), facts) == []
    assert (
        len(
            evaluate_rule(
                replace(rule, threshold=D(250), scope="account", scope_name="trust"), facts
            )
        )
        == 1
    )


def test_volatility_spike_against_k_times_the_year():
    facts = HouseholdFacts(volatility={"XYZ": (0.45, 0.20), "household": (0.12, 0.10)})
    assert messages(RuleSpec("volatility_spike", "security", threshold=D(2)), facts) == [
        "XYZ's 20-day volatility is 45.0% a year, 2.3× its one-year 20.0%"
    ]
    assert messages(RuleSpec("volatility_spike", "security", threshold=D("2.5")), facts) == []
    assert messages(RuleSpec("volatility_spike", "household", threshold=D("1.1")), facts) == [
        "The household's 20-day volatility is 12.0% a year, 1.2× its one-year 10.0%"
    ]


def test_moves_volatility_and_peaks_from_series():
    assert last_move([(date(2026, 1, 1), D(100)), (date(2026, 1, 2), D(90))]) == (
        date(2026, 1, 2), D(90), D("-0.1"),
    )  # fmt: skip
    assert last_move([(date(2026, 1, 2), D(90))]) is None
    # a flat year then alternating ±1%: the recent volatility is above the year's
    levels = [100.0] * 233 + [100.0 * (1.01 if i % 2 else 0.99) for i in range(20)]
    recent, year = volatility_pair(levels)
    assert recent > year > 0
    assert volatility_pair([100.0] * 30) is None  # too short
    # peak 120, now 90: 25% below
    assert fall_from_peak([100.0, 120.0, 90.0]) == D("0.25")


@pytest.mark.parametrize("kind", ["position_weight", "stale_price", "dividend_cut"])
def test_a_rule_scoped_to_one_symbol_keeps_only_its_findings(kind):
    facts = HouseholdFacts(
        positions=[
            PositionFact("AAA", D("0.5"), kind="stock"),
            PositionFact("BBB", D("0.5"), kind="stock"),
        ],
        sessions_without_price={"AAA": 9, "BBB": 9},
        dividend_changes={"AAA": D("-0.5"), "BBB": D("-0.5")},
    )
    rule = RuleSpec(kind, "security", "bbb", D(1))
    assert [f.subject for f in evaluate_rule(rule, facts)] == ["BBB"]
