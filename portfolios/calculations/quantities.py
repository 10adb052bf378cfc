"""Replay share quantities (not basis) to complete an import against what is held.

An import knows things its file cannot: how many shares an account held on a day. This
pure replay (stdlib and ``Decimal`` only) answers, in the lot engine's order (same day:
splits, then buys, transfers, sales), for the household's stored transactions plus a
file's new rows:

1. **Shortfalls**: a new SELL or TRANSFER of more shares than the account holds, because
   the history starts after the purchase. Each position's shortfall is summed in the
   units of the day before the file's first row of that position (later splits divide it
   back), so one OPENING dated that day covers every short sale.
2. **Split ratios** of splits given only as shares added (or removed): ``(held + added)
   : held`` on the split's day.
3. **Rows that apply only if held**: an option expiring is a SELL at 0 of what the
   account holds; when it holds none the option was written, and the row is dropped.
4. **Fractions**: cash in lieu of a fractional share sells the fraction held that day.
5. **Quantities at a date** per position, to reconcile with a statement's positions.

Quantities are exact; a split's result is rounded to 10 places as in the lot engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from portfolios.calculations.lot_rules import TYPE_PRIORITY

ZERO = Decimal(0)
ONE = Decimal(1)
QUANTITY_STEP = Decimal("1E-10")
# Below this a difference in shares is float residue of a broker's rounding, not a gap.
TOLERANCE = Decimal("0.0001")

Position = tuple[int, int]  # (account id, security id)


@dataclass(frozen=True, slots=True)
class QuantityTxn:
    """A transaction as the quantity replay sees it. ``key`` identifies it to the caller;
    ``new`` marks a row of the file being imported (only those are completed)."""

    key: object
    order_id: int
    account_id: int
    trade_date: date
    type: str
    security_id: int | None = None
    quantity: Decimal | None = None
    split_new: Decimal | None = None
    split_old: Decimal | None = None
    split_shares: Decimal | None = None
    to_account_id: int | None = None
    only_if_held: bool = False
    sell_fraction: bool = False
    new: bool = False


@dataclass(frozen=True, slots=True)
class Shortfall:
    """One new row moving more shares than were held: by how many (in that day's units)."""

    key: object
    quantity: Decimal
    held: Decimal


@dataclass
class Opening:
    """Shares a position needs from before the file starts, dated the day before the
    file's first row of the position, and the sales that need them."""

    account_id: int
    security_id: int
    acquired: date
    quantity: Decimal
    shortfalls: list[Shortfall] = field(default_factory=list)


@dataclass
class QuantityResult:
    """What the replay found; see the module docstring."""

    openings: dict[Position, Opening] = field(default_factory=dict)
    ratios: dict[object, tuple[Decimal, Decimal]] = field(default_factory=dict)
    unresolved_splits: dict[object, Decimal] = field(default_factory=dict)
    dropped: set[object] = field(default_factory=set)
    held_for: dict[object, Decimal] = field(default_factory=dict)  # only-if-held rows kept
    fractions: dict[object, Decimal] = field(default_factory=dict)
    snapshots: dict[Position, Decimal] = field(default_factory=dict)


def exact(value: Decimal) -> Decimal:
    rounded = value.quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP)
    return value if rounded == value else rounded


def _order(txn: QuantityTxn) -> tuple[date, int, int]:
    return (txn.trade_date, TYPE_PRIORITY.get(txn.type, 9), txn.order_id)


def replay_quantities(
    txns: Iterable[QuantityTxn],
    *,
    snapshot_dates: Mapping[int, date | None] | None = None,
) -> QuantityResult:
    """Return shortfalls (as openings), split ratios, dropped rows, fractions and, for the
    accounts of ``snapshot_dates``, each position held at the end of its date (None: the
    end of the history).

    1. Note each position's first new row: an opening would be dated the day before.
    2. Replay in the lot engine's order, keeping each position's shares and the splits
       applied since its opening date (``factor``).
    3. A new row short of shares adds ``shortfall / factor`` to the position's opening
       and leaves the position at zero, as if the shares had been there.
    """
    ordered = sorted(txns, key=_order)
    first_new: dict[Position, date] = {}
    for txn in ordered:
        if txn.new and txn.security_id is not None and txn.type in {"SELL", "TRANSFER"}:
            position = (txn.account_id, txn.security_id)
            first_new.setdefault(position, txn.trade_date)
    for txn in ordered:
        # An OPENING of the file is dated when its shares were acquired, not when the
        # file's history of the position starts.
        if txn.new and txn.security_id is not None and txn.type != "OPENING":
            position = (txn.account_id, txn.security_id)
            if position in first_new:
                first_new[position] = min(first_new[position], txn.trade_date)
    result = QuantityResult()
    held: dict[Position, Decimal] = {}
    factor: dict[Position, Decimal] = {}
    dates = dict(snapshot_dates or {})

    def take(txn: QuantityTxn, position: Position, quantity: Decimal) -> None:
        have = held.get(position, ZERO)
        if quantity <= have + TOLERANCE or not txn.new or position not in first_new:
            held[position] = max(have - quantity, ZERO) if quantity > have else have - quantity
            return
        short = quantity - have
        opening = result.openings.get(position)
        if opening is None:
            opening = result.openings[position] = Opening(
                account_id=position[0],
                security_id=position[1],
                acquired=first_new[position] - timedelta(days=1),
                quantity=ZERO,
            )
        opening.quantity = exact(opening.quantity + short / factor.get(position, ONE))
        opening.shortfalls.append(Shortfall(txn.key, short, have))
        held[position] = ZERO

    snapshot_pending = {account: day for account, day in dates.items() if day is not None}
    for txn in ordered:
        for account, day in list(snapshot_pending.items()):
            if txn.trade_date > day:
                _snapshot(result, held, account)
                del snapshot_pending[account]
        if txn.security_id is None:
            continue
        position = (txn.account_id, txn.security_id)
        quantity = txn.quantity or ZERO
        if txn.type in {"BUY", "REINVEST", "OPENING"}:
            held[position] = held.get(position, ZERO) + quantity
        elif txn.type == "SELL":
            have = held.get(position, ZERO)
            if txn.only_if_held:
                if have <= TOLERANCE:
                    result.dropped.add(txn.key)
                    continue
                kept = min(quantity, have)
                result.held_for[txn.key] = kept
                held[position] = have - kept
                continue
            if txn.sell_fraction:
                fraction = have - have.to_integral_value(rounding=ROUND_DOWN)
                result.fractions[txn.key] = fraction if fraction > TOLERANCE else ZERO
                held[position] = have - result.fractions[txn.key]
                continue
            take(txn, position, quantity)
        elif txn.type == "TRANSFER" and txn.to_account_id is not None:
            take(txn, position, quantity)
            target = (txn.to_account_id, txn.security_id)
            held[target] = held.get(target, ZERO) + quantity
        elif txn.type == "SPLIT":
            _split(result, held, factor, first_new, txn, position)
    for account in snapshot_pending:
        _snapshot(result, held, account)
    for account, day in dates.items():
        if day is None:
            _snapshot(result, held, account)
    return result


def _split(
    result: QuantityResult,
    held: dict[Position, Decimal],
    factor: dict[Position, Decimal],
    first_new: dict[Position, date],
    txn: QuantityTxn,
    position: Position,
) -> None:
    have = held.get(position, ZERO)
    if txn.split_new and txn.split_old:
        new, old = txn.split_new, txn.split_old
    elif txn.split_shares is not None:
        if have <= TOLERANCE or have + txn.split_shares <= 0:
            result.unresolved_splits[txn.key] = have
            return
        new, old = have + txn.split_shares, have
        result.ratios[txn.key] = (new, old)
    else:
        return
    held[position] = exact(have * new / old)
    opened = first_new.get(position)
    if opened is not None and txn.trade_date >= opened:
        factor[position] = factor.get(position, ONE) * new / old


def split_factor(
    txns: Iterable[QuantityTxn], position: Position, *, after: date, upto: date | None
) -> Decimal:
    """Return how many shares one share held at the end of ``after`` has become by the end
    of ``upto`` (None: the end of the history), through the position's splits."""
    factor = ONE
    for txn in txns:
        if (
            txn.type == "SPLIT"
            and (txn.account_id, txn.security_id) == position
            and txn.split_new
            and txn.split_old
            and txn.trade_date > after
            and (upto is None or txn.trade_date <= upto)
        ):
            factor = factor * txn.split_new / txn.split_old
    return factor


def _snapshot(result: QuantityResult, held: dict[Position, Decimal], account: int) -> None:
    for position, quantity in held.items():
        if position[0] == account:
            result.snapshots[position] = quantity
