"""Pure calculations of the top layer: rules, quiet hours, money text, volatility."""

from alerts.calculations.rules import (
    ASSET_CLASS_LABELS,
    POLICY_KINDS,
    SCOPES,
    THRESHOLD_UNITS,
    AllocationFact,
    ClosedMonthFact,
    Finding,
    HarvestFact,
    HouseholdFacts,
    PositionFact,
    PriceMoveFact,
    RuleSpec,
    evaluate_rule,
)

__all__ = [
    "ASSET_CLASS_LABELS",
    "POLICY_KINDS",
    "SCOPES",
    "THRESHOLD_UNITS",
    "AllocationFact",
    "ClosedMonthFact",
    "Finding",
    "HarvestFact",
    "HouseholdFacts",
    "PositionFact",
    "PriceMoveFact",
    "RuleSpec",
    "evaluate_rule",
]
