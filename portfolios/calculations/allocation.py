"""Allocation against the household's policy, and a tax-aware rebalancing proposal.

Pure: stdlib and ``Decimal`` only. The selectors in ``portfolios/selectors/allocation.py``
read holdings, cash, lots and targets and hand them over as the dataclasses below.

Weights, targets, drifts and bands are fractions (0.6 = 60%). Policy numbers arrive as the
percents the household typed (DESIGN §2 "Household", "Sleeve", "Target").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
WEIGHT_STEP = Decimal("0.000001")
QUANTITY_STEP = Decimal("0.0001")
UNASSIGNED = "unassigned"
CASH = "cash"
GROUPINGS = ("asset_class", "sleeve", "account")
TAX_ADVANTAGED = ("tax_deferred", "tax_exempt")


@dataclass(frozen=True)
class ValuedItem:
    """Money the household holds in one account: a holding's market value, or its cash."""

    account: str
    sleeve: str | None
    asset_class: str
    value: Decimal


@dataclass(frozen=True)
class TargetSpec:
    """One Target row with its sleeve's weight (all percents, band None = household default)."""

    sleeve: str
    sleeve_weight: Decimal
    asset_class: str
    weight: Decimal  # % of the sleeve
    band: Decimal | None
    band_kind: str  # "absolute" | "relative"


@dataclass(frozen=True)
class GroupTarget:
    target: Decimal
    band: Decimal


@dataclass(frozen=True)
class AllocationRow:
    group: str
    value: Decimal
    weight: Decimal
    target: Decimal | None
    drift: Decimal | None
    band: Decimal | None
    status: str  # ok | over | under | untargeted


@dataclass(frozen=True)
class LotCandidate:
    """An open lot that a rebalancing sale may use, valued at its latest close."""

    lot_id: int
    account: str
    tax_treatment: str
    symbol: str
    asset_class: str
    acquired: date
    quantity: Decimal
    cost_basis: Decimal
    price: Decimal
    term: str  # "short" | "long" if sold today


@dataclass(frozen=True)
class BuyHint:
    """The household's largest holding of an asset class: what and where to buy more."""

    symbol: str
    price: Decimal
    account: str


@dataclass(frozen=True)
class TaxRates:
    long_term: Decimal  # percent
    short_term: Decimal  # percent


@dataclass(frozen=True)
class Purchase:
    """A BUY or REINVEST of some security in any account of the household."""

    transaction_id: int
    account: str
    security_id: int
    symbol: str
    trade_date: date
    quantity: Decimal


@dataclass
class Trade:
    account: str
    action: str  # buy | sell
    symbol: str | None
    asset_class: str
    amount: Decimal
    quantity: Decimal | None
    lots: str
    estimated_tax: Decimal
    reason: str
    lot_ids: list[str] = field(default_factory=list, repr=False)


def asset_class_targets(
    specs: Iterable[TargetSpec], *, default_band: Decimal
) -> dict[str, GroupTarget]:
    """Return each asset class's household target and band as fractions.

    1. Target: Σ over sleeves of sleeve weight × class weight in the sleeve, / 100 / 100.
    2. Band: the target's own band, else the household's default (pp). Absolute bands are
       band / 100; relative bands are target × band / 100. When several sleeves target one
       class, the band of the sleeve contributing the most weight applies.
    """
    targets: dict[str, Decimal] = defaultdict(lambda: ZERO)
    bands: dict[str, tuple[Decimal, Decimal | None, str]] = {}
    for spec in specs:
        share = spec.sleeve_weight * spec.weight / HUNDRED / HUNDRED
        targets[spec.asset_class] += share
        if spec.asset_class not in bands or share > bands[spec.asset_class][0]:
            bands[spec.asset_class] = (share, spec.band, spec.band_kind)
    result = {}
    for asset_class, target in targets.items():
        _, band, kind = bands[asset_class]
        result[asset_class] = GroupTarget(target, band_fraction(target, band, kind, default_band))
    return result


def sleeve_targets(sleeves: dict[str, Decimal], *, default_band: Decimal) -> dict[str, GroupTarget]:
    """Return each sleeve's target (its weight / 100) with the household's default band."""
    return {name: GroupTarget(w / HUNDRED, default_band / HUNDRED) for name, w in sleeves.items()}


def band_fraction(
    target: Decimal, band: Decimal | None, kind: str, default_band: Decimal
) -> Decimal:
    """Return a band as a fraction: ±pp / 100, or ±% of the target."""
    if band is None:
        return default_band / HUNDRED
    if kind == "relative":
        return target * band / HUNDRED
    return band / HUNDRED


def allocation_rows(
    items: Iterable[ValuedItem], *, by: str, targets: dict[str, GroupTarget]
) -> list[AllocationRow]:
    """Return one row per group (held or targeted), by value descending then name.

    Weight is the group's share of everything the household holds, cash included; drift is
    weight − target; outside ±band the status is ``over`` or ``under``.
    """
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    values: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for item in items:
        key = {"asset_class": item.asset_class, "sleeve": item.sleeve, "account": item.account}[by]
        values[key or UNASSIGNED] += item.value
    for key in targets:
        values.setdefault(key, ZERO)
    total = sum(values.values(), ZERO)
    rows = []
    for key, value in values.items():
        weight = (value / total).quantize(WEIGHT_STEP, ROUND_HALF_UP) if total > 0 else ZERO
        goal = targets.get(key)
        if goal is None:
            rows.append(AllocationRow(key, value, weight, None, None, None, "untargeted"))
            continue
        drift = weight - goal.target
        status = "over" if drift > goal.band else "under" if drift < -goal.band else "ok"
        rows.append(AllocationRow(key, value, weight, goal.target, drift, goal.band, status))
    rows.sort(key=lambda row: (-row.value, row.group))
    return rows


def sell_order(lot: LotCandidate) -> tuple:
    """Return the sort key of a lot for a rebalancing sale, cheapest in tax first.

    1. Tax-deferred and tax-exempt accounts: a sale there owes nothing.
    2. Taxable lots at a loss, 3. long-term gains, 4. short-term gains last.
    Within a rank the highest basis per share goes first (HIFO), then the oldest lot.
    """
    if lot.tax_treatment in TAX_ADVANTAGED:
        rank = 0
    elif lot.price * lot.quantity < lot.cost_basis:
        rank = 1
    else:
        rank = 2 if lot.term == "long" else 3
    return (rank, -(lot.cost_basis / lot.quantity), lot.acquired, lot.lot_id)


def rebalance_trades(
    rows: Iterable[AllocationRow],
    *,
    total: Decimal,
    lots: Iterable[LotCandidate],
    cash: dict[str, Decimal],
    buy_hints: dict[str, BuyHint],
    rates: TaxRates,
) -> list[Trade]:
    """Return the trades that bring every asset class outside its band back to target.

    1. Sells: for each class over its band, value − target × total, taken from its lots in
       ``sell_order``; the last lot may be sold in part. One trade per account and symbol.
    2. The sale proceeds join their account's cash.
    3. Buys: for each class under its band, target × total − value, spent from the account
       with the most cash first, then the next; what cash cannot cover goes to the account of
       the class's largest holding. The symbol is that holding's (none: null, with a reason).
    ``cash`` itself is never traded: extra cash funds buys, missing cash is left to the user.
    """
    rows = [row for row in rows if row.status in ("over", "under") and row.group != CASH]
    lots = sorted(lots, key=sell_order)
    available = dict(cash)
    trades: list[Trade] = []
    for row in rows:
        if row.status == "over":
            excess = _cents(row.value - row.target * total)
            sells = _sell(row, excess, [lot for lot in lots if lot.asset_class == row.group], rates)
            for trade in sells:
                available[trade.account] = available.get(trade.account, ZERO) + trade.amount
            trades.extend(sells)
    for row in rows:
        if row.status == "under":
            shortfall = _cents(row.target * total - row.value)
            trades.extend(_buy(row, shortfall, available, buy_hints.get(row.group)))
    return trades


def reason(row: AllocationRow) -> str:
    """Say why a class trades: "us_equity 63.0% is above its 55.0% target by more than …"."""
    side = "above" if row.status == "over" else "below"
    return (
        f"{row.group} {_pct(row.weight)}% is {side} its {_pct(row.target)}% target "
        f"by more than the {_pct(row.band)} pp band"
    )


def wash_sale_conflicts(
    *,
    identical: set[int],
    purchases: Iterable[Purchase],
    today: date,
    opening_transaction_id: int | None = None,
) -> list[str]:
    """Return the purchases that would make a sale today a wash sale, as
    "account symbol date qty", oldest first.

    IRS Publication 550 "Wash Sales" (DESIGN §2): substantially identical shares (the same
    security or its identity group, ``identical``) bought within 30 days before the sale in
    any account of the household. The lot's own opening purchase is not a replacement.
    """
    start = today - timedelta(days=30)
    found = sorted(
        (p.trade_date, p.transaction_id, p)
        for p in purchases
        if p.security_id in identical
        and start <= p.trade_date <= today
        and p.transaction_id != opening_transaction_id
    )
    return [
        f"{p.account} {p.symbol} {p.trade_date.isoformat()} {_plain(p.quantity)}"
        for _, _, p in found
    ]


def _sell(
    row: AllocationRow, amount: Decimal, lots: list[LotCandidate], rates: TaxRates
) -> list[Trade]:
    trades: dict[tuple[str, str], Trade] = {}
    remaining = amount
    for lot in lots:
        if remaining <= 0:
            break
        value = lot.quantity * lot.price
        piece = min(value, remaining)
        quantity = lot.quantity if piece == value else piece / lot.price
        gain = piece - lot.cost_basis * quantity / lot.quantity
        tax = ZERO
        if lot.tax_treatment not in TAX_ADVANTAGED:
            rate = rates.long_term if lot.term == "long" else rates.short_term
            tax = gain * rate / HUNDRED
        trade = trades.get((lot.account, lot.symbol))
        if trade is None:
            trade = Trade(lot.account, "sell", lot.symbol, row.group, ZERO, ZERO, "", ZERO, "")
            trade.reason = reason(row)
            trades[(lot.account, lot.symbol)] = trade
        trade.amount += piece
        trade.quantity += quantity
        trade.estimated_tax += tax
        trade.lot_ids.append(f"{lot.lot_id} ({lot.acquired.isoformat()})")
        remaining -= piece
    for trade in trades.values():
        trade.amount = _cents(trade.amount)
        trade.quantity = trade.quantity.quantize(QUANTITY_STEP, ROUND_HALF_UP)
        trade.estimated_tax = _cents(trade.estimated_tax)
        trade.lots = ";".join(trade.lot_ids)
    return list(trades.values())


def _buy(
    row: AllocationRow, amount: Decimal, available: dict[str, Decimal], hint: BuyHint | None
) -> list[Trade]:
    why = reason(row)
    if hint is None:
        why += f"; the household holds no {row.group} to buy more of"
    pieces: list[tuple[str, Decimal]] = []
    remaining = amount
    while remaining > 0:
        funded = sorted((-cash, name) for name, cash in available.items() if cash > 0)
        if not funded:
            break
        cash, name = -funded[0][0], funded[0][1]
        piece = min(cash, remaining)
        available[name] = cash - piece
        pieces.append((name, piece))
        remaining -= piece
    if remaining > 0:
        fallback = hint.account if hint else (pieces[-1][0] if pieces else None)
        if fallback is None:
            fallback = min(available) if available else ""
        pieces.append((fallback, remaining))
    trades = []
    for account, piece in pieces:
        quantity = None
        if hint is not None:
            quantity = (piece / hint.price).quantize(QUANTITY_STEP, ROUND_HALF_UP)
        symbol = hint.symbol if hint else None
        trades.append(
            Trade(account, "buy", symbol, row.group, _cents(piece), quantity, "", ZERO, why)
        )
    return trades


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    normalized = value.normalize()
    return "0" if normalized == 0 else format(normalized, "f")


def _pct(fraction: Decimal | None) -> str:
    return f"{(fraction or ZERO) * HUNDRED:.1f}"
