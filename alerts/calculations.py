"""Pure rule evaluation: facts about a household in, findings out (no ORM).

Thresholds are percents (5 means 5%) except `stale_price` (days) and `cash_reserve` (months).
A finding's `subject` identifies what it is about, so the same condition on the same subject
stays one alert episode from one evaluation to the next.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

HUNDRED = Decimal(100)


# Funds hold many issuers, so a concentration limit meant for single securities skips them.
DIVERSIFIED_KINDS = frozenset({"etf", "mutual_fund", "money_market", "cash"})


@dataclass(frozen=True, slots=True)
class PositionFact:
    symbol: str
    weight: Decimal  # fraction of the household's value
    kind: str = "stock"


@dataclass(frozen=True, slots=True)
class LotFact:
    """An open lot; only lots in taxable accounts are looked at for harvesting."""

    account: str
    symbol: str
    acquired: date
    cost_basis: Decimal
    market_value: Decimal


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    positions: list[PositionFact] = field(default_factory=list)
    lots: list[LotFact] = field(default_factory=list)
    days_without_price: dict[str, int] = field(default_factory=dict)  # held symbol -> days
    dividend_changes: dict[str, Decimal] = field(default_factory=dict)  # symbol -> change
    projected_income: dict[date, Decimal] = field(default_factory=dict)  # month -> amount
    monthly_target: Decimal = Decimal(0)
    reserve_months: Decimal | None = None
    drawdown: Decimal | None = None  # fraction below the peak


@dataclass(frozen=True, slots=True)
class Finding:
    subject: str
    message: str
    value: Decimal | None = None


def _plain(number: Decimal) -> str:
    return f"{number.normalize():f}"


def _pct(fraction: Decimal) -> str:
    return f"{(fraction * HUNDRED).quantize(Decimal('0.1'))}%"


def evaluate_rule(*, kind: str, threshold: Decimal, scope: str, facts: HouseholdFacts):
    """Return the findings of one rule against the facts (empty when all is well)."""
    evaluator = EVALUATORS[kind]
    return [
        finding
        for finding in evaluator(threshold, facts)
        if not scope or scope.upper() in finding.subject.upper().split(":")
    ]


def _position_weight(threshold: Decimal, facts: HouseholdFacts):
    limit = threshold / HUNDRED
    for position in facts.positions:
        if position.kind not in DIVERSIFIED_KINDS and position.weight > limit:
            yield Finding(
                position.symbol,
                f"{position.symbol} is {_pct(position.weight)} of the household, "
                f"above the {_plain(threshold)}% limit",
                position.weight,
            )


def _unrealized_loss(threshold: Decimal, facts: HouseholdFacts):
    limit = threshold / HUNDRED
    for lot in facts.lots:
        if lot.cost_basis <= 0:
            continue
        change = (lot.market_value - lot.cost_basis) / lot.cost_basis
        if -change > limit:
            loss = (lot.cost_basis - lot.market_value).quantize(Decimal("0.01"))
            yield Finding(
                f"{lot.account}:{lot.symbol}:{lot.acquired.isoformat()}",
                f"{lot.symbol} lot of {lot.acquired} in {lot.account} is down {_pct(-change)} "
                f"(${loss}): a tax-loss harvesting candidate",
                change,
            )


def _stale_price(threshold: Decimal, facts: HouseholdFacts):
    for symbol, days in sorted(facts.days_without_price.items()):
        if days > threshold:
            yield Finding(symbol, f"{symbol} has had no new price for {days} days", Decimal(days))


def _dividend_cut(threshold: Decimal, facts: HouseholdFacts):
    limit = threshold / HUNDRED
    for symbol, change in sorted(facts.dividend_changes.items()):
        if -change > limit:
            yield Finding(symbol, f"{symbol} cut its dividend by {_pct(-change)} per share", change)


def _income_shortfall(threshold: Decimal, facts: HouseholdFacts):
    if facts.monthly_target <= 0:
        return
    floor = facts.monthly_target * (1 - threshold / HUNDRED)
    for month, amount in sorted(facts.projected_income.items()):
        if amount < floor:
            gap = (facts.monthly_target - amount).quantize(Decimal("0.01"))
            yield Finding(
                month.strftime("%Y-%m"),
                f"{month:%B %Y} is projected at ${amount.quantize(Decimal('0.01'))}, "
                f"${gap} short of the ${facts.monthly_target.quantize(Decimal('0.01'))} target",
                amount,
            )


def _cash_reserve(threshold: Decimal, facts: HouseholdFacts):
    if facts.reserve_months is not None and facts.reserve_months < threshold:
        yield Finding(
            "household",
            f"The cash reserve covers {facts.reserve_months.quantize(Decimal('0.1'))} months, "
            f"under the {_plain(threshold)}-month minimum",
            facts.reserve_months,
        )


def _drawdown(threshold: Decimal, facts: HouseholdFacts):
    if facts.drawdown is not None and facts.drawdown > threshold / HUNDRED:
        yield Finding(
            "household",
            f"The household is {_pct(facts.drawdown)} below its peak value",
            facts.drawdown,
        )


EVALUATORS = {
    "position_weight": _position_weight,
    "unrealized_loss": _unrealized_loss,
    "stale_price": _stale_price,
    "dividend_cut": _dividend_cut,
    "income_shortfall": _income_shortfall,
    "cash_reserve": _cash_reserve,
    "drawdown": _drawdown,
}
