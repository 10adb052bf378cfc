from datetime import date
from decimal import Decimal

from alerts.calculations import HouseholdFacts, LotFact, PositionFact, evaluate_rule


def test_position_weight_flags_only_positions_above_the_limit():
    # given AAPL at 12% and O at 9.99% of the household, limit 10%; VTI (a fund) at 30%
    facts = HouseholdFacts(
        positions=[
            PositionFact("AAPL", Decimal("0.12")),
            PositionFact("O", Decimal("0.0999"), kind="reit"),
            PositionFact("VTI", Decimal("0.30"), kind="etf"),
        ]
    )
    # when
    findings = evaluate_rule(kind="position_weight", threshold=Decimal(10), scope="", facts=facts)
    # then
    assert [(f.subject, f.value) for f in findings] == [("AAPL", Decimal("0.12"))]
    assert "12.0%" in findings[0].message


def test_unrealized_loss_uses_the_lots_own_basis():
    # given a lot bought for 1,000 now worth 850 (−15%) and one worth 950 (−5%)
    facts = HouseholdFacts(
        lots=[
            LotFact("Joint", "VXUS", date(2024, 3, 1), Decimal(1000), Decimal(850)),
            LotFact("Joint", "VTI", date(2024, 3, 1), Decimal(1000), Decimal(950)),
        ]
    )
    findings = evaluate_rule(kind="unrealized_loss", threshold=Decimal(10), scope="", facts=facts)
    # then only the 15% loss (150.00) passes a 10% threshold
    assert [f.subject for f in findings] == ["Joint:VXUS:2024-03-01"]
    assert "$150.00" in findings[0].message


def test_scope_limits_a_rule_to_one_symbol():
    facts = HouseholdFacts(days_without_price={"VTI": 9, "BND": 12})
    findings = evaluate_rule(kind="stale_price", threshold=Decimal(5), scope="bnd", facts=facts)
    assert [f.subject for f in findings] == ["BND"]


def test_dividend_cut_beyond_threshold():
    # given VNQ's latest payment is 20% below the previous one, O's is 5% lower
    facts = HouseholdFacts(dividend_changes={"VNQ": Decimal("-0.2"), "O": Decimal("-0.05")})
    findings = evaluate_rule(kind="dividend_cut", threshold=Decimal(10), scope="", facts=facts)
    assert [f.subject for f in findings] == ["VNQ"]


def test_income_shortfall_against_the_monthly_target():
    # given a 1,500 target and a 25% tolerance, the floor is 1,125
    facts = HouseholdFacts(
        monthly_target=Decimal(1500),
        projected_income={date(2026, 12, 1): Decimal("1124.99"), date(2027, 1, 1): Decimal(1125)},
    )
    findings = evaluate_rule(kind="income_shortfall", threshold=Decimal(25), scope="", facts=facts)
    # then only December, 375.01 short
    assert [f.subject for f in findings] == ["2026-12"]
    assert "$375.01 short" in findings[0].message


def test_cash_reserve_and_drawdown():
    facts = HouseholdFacts(reserve_months=Decimal("4.5"), drawdown=Decimal("0.16"))
    assert evaluate_rule(kind="cash_reserve", threshold=Decimal(6), scope="", facts=facts)
    assert not evaluate_rule(kind="cash_reserve", threshold=Decimal(4), scope="", facts=facts)
    assert evaluate_rule(kind="drawdown", threshold=Decimal(15), scope="", facts=facts)
    assert not evaluate_rule(kind="drawdown", threshold=Decimal(20), scope="", facts=facts)
