"""Pure rule evaluation: facts about a household in, findings out (no ORM).

Each kind reads its threshold in its own unit (``THRESHOLD_UNITS``). A finding's
``subject`` names what it is about, so the same condition on the same subject stays one
alert episode from one evaluation to the next; its ``keys`` say which sleeve, account or
security it belongs to, so a rule scoped to one of them keeps only its own findings.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from alerts.calculations.money_text import money_text, percent_text, plain_number
from portfolios import formatting

HUNDRED = Decimal(100)
ZERO = Decimal(0)

# Funds hold many issuers, so a concentration limit meant for single securities skips them.
DIVERSIFIED_KINDS = frozenset({"etf", "mutual_fund", "money_market", "cash"})

THRESHOLD_UNITS = {
    "allocation_drift": "percentage points from target (empty: each target's band)",
    "position_weight": "% of the household (empty: the policy's maximum weight)",
    "drawdown": "% below the peak",
    "price_move": "% in one day, up or down",
    "value_level": "money",
    "income_shortfall": "% short (of the target ahead, of the projection for a closed month)",
    "dividend_cut": "% cut per share",
    "stale_price": "trading days without a close",
    "cash_reserve": "months of the income target (empty: the policy's reserve)",
    "harvestable_loss": "money of loss per position",
    "volatility_spike": "times its one-year volatility",
}

# Scopes each kind can watch; the first is its default.
SCOPES = {
    "allocation_drift": ("household", "sleeve"),
    "position_weight": ("security",),
    "drawdown": ("household", "account"),
    "price_move": ("security",),
    "value_level": ("household", "account", "security"),
    "income_shortfall": ("household",),
    "dividend_cut": ("security",),
    "stale_price": ("security",),
    "cash_reserve": ("household",),
    "harvestable_loss": ("security", "account"),
    "volatility_spike": ("security", "household"),
}

# Kinds whose empty threshold means the household policy's value.
POLICY_KINDS = frozenset({"allocation_drift", "position_weight", "cash_reserve"})

# Asset classes by their labels: the project's one formatting layer.
ASSET_CLASS_LABELS = formatting.ASSET_CLASS_LABELS


@dataclass(frozen=True, slots=True)
class RuleSpec:
    kind: str
    scope: str = "household"
    scope_name: str = ""
    threshold: Decimal | None = None
    direction: str = "below"


@dataclass(frozen=True, slots=True)
class PositionFact:
    """One security across the household's accounts."""

    symbol: str
    weight: Decimal  # fraction of the household's value
    market_value: Decimal = ZERO
    kind: str = "stock"
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AllocationFact:
    """One asset class (household scope) or sleeve, as the allocation page shows it."""

    group: str
    weight: Decimal
    target: Decimal
    band: Decimal  # fraction, ± around the target


@dataclass(frozen=True, slots=True)
class HarvestFact:
    """A position (a security in a taxable account) with the loss its losing lots hold."""

    account: str
    symbol: str
    loss: Decimal  # Σ (basis − market value) over its lots below basis
    lots: int


@dataclass(frozen=True, slots=True)
class PriceMoveFact:
    symbol: str
    day: date
    close: Decimal
    change: Decimal  # fraction against the previous close


@dataclass(frozen=True, slots=True)
class ClosedMonthFact:
    month: date
    received: Decimal
    projected: Decimal  # the projection kept when the month started


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    currency: str = "USD"
    total_value: Decimal = ZERO
    positions: list[PositionFact] = field(default_factory=list)
    asset_classes: list[AllocationFact] = field(default_factory=list)
    sleeves: list[AllocationFact] = field(default_factory=list)
    account_values: dict[str, Decimal] = field(default_factory=dict)
    harvest: list[HarvestFact] = field(default_factory=list)
    sessions_without_price: dict[str, int] = field(default_factory=dict)
    dividend_changes: dict[str, Decimal] = field(default_factory=dict)  # symbol -> change
    price_moves: list[PriceMoveFact] = field(default_factory=list)
    # subject ("household" or a symbol) -> (20-session volatility, one-year volatility)
    volatility: dict[str, tuple[float, float]] = field(default_factory=dict)
    expected_income: dict[date, Decimal] = field(default_factory=dict)  # month -> amount
    closed_months: list[ClosedMonthFact] = field(default_factory=list)
    monthly_target: Decimal = ZERO
    reserve_months: Decimal | None = None
    policy_reserve_months: Decimal = Decimal(6)
    policy_max_weight: Decimal = Decimal(10)  # percent
    drawdowns: dict[str, Decimal] = field(default_factory=dict)  # "household"/account name


@dataclass(frozen=True, slots=True)
class Finding:
    subject: str
    message: str
    value: Decimal | None = None
    link: str = ""
    keys: dict[str, str] = field(default_factory=dict)  # scope -> name it belongs to


Evaluator = Callable[[RuleSpec, HouseholdFacts], Iterator[Finding]]


def evaluate_rule(rule: RuleSpec, facts: HouseholdFacts) -> list[Finding]:
    """Return the findings of one rule against the facts (empty when all is well).

    A rule with a ``scope_name`` keeps the findings that belong to that sleeve, account or
    security (names compared without case).
    """
    findings = list(EVALUATORS[rule.kind](rule, facts))
    if not rule.scope_name:
        return findings
    wanted = rule.scope_name.strip().upper()
    return [f for f in findings if f.keys.get(rule.scope, "").upper() == wanted]


def _pp(fraction: Decimal) -> str:
    return f"{(fraction * HUNDRED).quantize(Decimal('0.1'))} pp"


def _allocation_drift(rule: RuleSpec, facts: HouseholdFacts) -> Iterator[Finding]:
    sleeves = rule.scope == "sleeve"
    for row in facts.sleeves if sleeves else facts.asset_classes:
        band = rule.threshold / HUNDRED if rule.threshold is not None else row.band
        drift = row.weight - row.target
        if abs(drift) <= band:
            continue
        name = f"the {row.group} sleeve" if sleeves else formatting.asset_class_label(row.group)
        side = "over" if drift > 0 else "under"
        yield Finding(
            f"{rule.scope}:{row.group}",
            f"{name[0].upper()}{name[1:]} is {percent_text(row.weight)} of the household, "
            f"{_pp(abs(drift))} {side} its {percent_text(row.target)} target "
            f"(band ±{_pp(band)})",
            drift,
            "/portfolio/allocation/",
            {rule.scope: row.group},
        )


def _position_weight(rule: RuleSpec, facts: HouseholdFacts) -> Iterator[Finding]:
    limit_pct = rule.threshold if rule.threshold is not None else facts.policy_max_weight
    for position in facts.positions:
        if position.kind in DIVERSIFIED_KINDS or position.weight <= limit_pct / HUNDRED:
            continue
        yield Finding(
            position.symbol,
            f"{position.symbol} is {percent_text(position.weight)} of the household "
            f"({money_text(position.market_value, facts.currency)}), above the "
            f"{plain_number(limit_pct)}% limit",
            position.weight,
            "/portfolio/holdings/",
            {"security": position.symbol},
        )


def _drawdown(rule: RuleSpec, facts: HouseholdFacts) -> Iterator[Finding]:
    limit = (rule.threshold or ZERO) / HUNDRED
    for name, fall in sorted(facts.drawdowns.items()):
        is_household = name == "household"
        if is_household != (rule.scope == "household") or fall <= limit:
            continue
        who = "The household" if is_household else name
        yield Finding(
            "household" if is_household else f"account:{name}",
            f"{who} is {percent_text(fall)} below its peak (time-weighted), beyond the "
            f"{plain_number(rule.threshold or ZERO)}% limit",
            fall,
            "/performance/",
            {} if is_household else {"account": name},
        )


def _price_move(rule: RuleSpec, facts: HouseholdFacts) -> Iterator[Finding]:
    limit = (rule.threshold or ZERO) / HUNDRED
    for move in facts.price_moves:
        if abs(move.change) <= limit:
            continue
        yield Finding(
            move.symbol,
            f"{move.symbol} moved {percent_text(move.change, signed=True)} on "
            f"{move.day:%b} {move.day.day}, to {money_text(move.close, facts.currency)}",
            move.change,
            "/portfolio/holdings/",
            {"security": move.symbol},
        )


def _value_level(rule: RuleSpec, facts: HouseholdFacts) -> Iterator[Finding]:
    if rule.threshold is None:
        return
    values: list[tuple[str, str, Decimal, dict[str, str]]]
    if rule.scope == "account":
        values = [
            (f"account:{name}", name, value, {"account": name})
            for name, value in sorted(facts.account_values.items())
        ]
    elif rule.scope == "security":
        values = [
            (f"security:{p.symbol}", p.symbol, p.market_value, {"security": p.symbol})
            for p in facts.positions
        ]
    else:
        values = [("household", "The household", facts.total_value, {})]
    below = rule.direction == "below"
    for subject, name, value, keys in values:
        crossed = value < rule.threshold if below else value > rule.threshold
        if not crossed:
            continue
        yield Finding(
            subject,
            f"{name} is worth {money_text(value, facts.currency)}, "
            f"{'below' if below else 'above'} {money_text(rule.threshold, facts.currency)}",
            value,
            "/",
            keys,
        )


def _income_shortfall(rule: RuleSpec, facts: HouseholdFacts) -> Iterator[Finding]:
    """1. Every month ahead (this one counts what was received so far) expected more than
    X% below the monthly target, one finding per month. 2. Every closed month given here
    that received more than X% less than the projection kept when it started."""
    short_by = (rule.threshold or ZERO) / HUNDRED
    currency = facts.currency
    if facts.monthly_target > 0:
        floor = facts.monthly_target * (1 - short_by)
        for month, amount in sorted(facts.expected_income.items()):
            if amount >= floor:
                continue
            gap = facts.monthly_target - amount
            yield Finding(
                month.strftime("%Y-%m"),
                f"{month:%B %Y} is expected at {money_text(amount, currency)}, "
                f"{money_text(gap, currency)} short of the "
                f"{money_text(facts.monthly_target, currency)} target",
                amount,
                "/income/",
            )
    for closed in facts.closed_months:
        if closed.projected <= 0 or closed.received >= closed.projected * (1 - short_by):
            continue
        shortfall = (closed.projected - closed.received) / closed.projected
        yield Finding(
            f"closed:{closed.month:%Y-%m}",
            f"{closed.month:%B %Y} closed at {money_text(closed.received, currency)}, "
            f"{percent_text(shortfall)} below the {money_text(closed.projected, currency)} "
            "projected when it started",
            closed.received,
            "/income/",
        )


def _dividend_cut(rule: RuleSpec, facts: HouseholdFacts) -> Iterator[Finding]:
    limit = (rule.threshold or ZERO) / HUNDRED
    for symbol, change in sorted(facts.dividend_changes.items()):
        if -change > limit:
            yield Finding(
                symbol,
                f"{symbol} cut its dividend by {percent_text(-change)} per share",
                change,
                "/income/",
                {"security": symbol},
            )


def _stale_price(rule: RuleSpec, facts: HouseholdFacts) -> Iterator[Finding]:
    limit = rule.threshold or ZERO
    for symbol, sessions in sorted(facts.sessions_without_price.items()):
        if sessions > limit:
            yield Finding(
                symbol,
                f"{symbol} has had no new close for {sessions} trading days",
                Decimal(sessions),
                "/portfolio/holdings/",
                {"security": symbol},
            )


def _cash_reserve(rule: RuleSpec, facts: HouseholdFacts) -> Iterator[Finding]:
    minimum = rule.threshold if rule.threshold is not None else facts.policy_reserve_months
    if facts.reserve_months is not None and facts.reserve_months < minimum:
        yield Finding(
            "household",
            f"The cash reserve covers {facts.reserve_months.quantize(Decimal('0.1'))} months "
            f"of the income target, under the {plain_number(minimum)}-month minimum",
            facts.reserve_months,
            "/income/",
        )


def _harvestable_loss(rule: RuleSpec, facts: HouseholdFacts) -> Iterator[Finding]:
    minimum = rule.threshold or ZERO
    for position in facts.harvest:
        if position.loss <= minimum:
            continue
        lots = "1 lot" if position.lots == 1 else f"{position.lots} lots"
        yield Finding(
            f"{position.account}:{position.symbol}",
            f"{position.symbol} in {position.account} could harvest a "
            f"{money_text(position.loss, facts.currency)} loss ({lots} below cost), "
            f"over {money_text(minimum, facts.currency)}",
            position.loss,
            "/portfolio/allocation/",
            {"security": position.symbol, "account": position.account},
        )


def _volatility_spike(rule: RuleSpec, facts: HouseholdFacts) -> Iterator[Finding]:
    multiple = float(rule.threshold or ZERO)
    for subject, (recent, year) in sorted(facts.volatility.items()):
        is_household = subject == "household"
        if is_household != (rule.scope == "household") or year <= 0:
            continue
        if recent <= multiple * year:
            continue
        who = "The household" if is_household else subject
        ratio = Decimal(str(round(recent / year, 6)))
        yield Finding(
            subject,
            f"{who}'s 20-day volatility is {percent_text(recent)} a year, "
            f"{ratio.quantize(Decimal('0.1'), ROUND_HALF_UP)}× its one-year {percent_text(year)}",
            ratio,
            "/performance/" if is_household else "/portfolio/holdings/",
            {} if is_household else {"security": subject},
        )


EVALUATORS: dict[str, Evaluator] = {
    "allocation_drift": _allocation_drift,
    "position_weight": _position_weight,
    "drawdown": _drawdown,
    "price_move": _price_move,
    "value_level": _value_level,
    "income_shortfall": _income_shortfall,
    "dividend_cut": _dividend_cut,
    "stale_price": _stale_price,
    "cash_reserve": _cash_reserve,
    "harvestable_loss": _harvestable_loss,
    "volatility_spike": _volatility_spike,
}
