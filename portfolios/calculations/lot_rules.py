"""Row-level rules of the lot engine: choosing specific lots, sharing money by weight in
cents, the holding-period term, and reading a transaction's shares and amount.

Pure: stdlib and ``Decimal`` only; ``lots.py`` applies them while it replays a ledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from portfolios.calculations.ledger_types import ZERO, LedgerError, LedgerTxn, Lot
from portfolios.calculations.wash_sales import cents

QUANTITY_STEP = Decimal("1E-10")

# Replay order within a day; see the ``lots`` module docstring.
TYPE_PRIORITY = {
    "DEPOSIT": 0,
    "SPLIT": 1,
    "DIVIDEND": 2,
    "INTEREST": 2,
    "OPTION_PREMIUM": 2,
    "RETURN_OF_CAPITAL": 2,
    "BUY": 3,
    "REINVEST": 3,
    "OPENING": 3,
    "TRANSFER": 4,
    "SELL": 5,
    "FEE": 6,
    "TAX_WITHHELD": 6,
    "WITHDRAWAL": 7,
}

Order = tuple[date, int, int]


def replay_order(txns: Iterable[LedgerTxn]) -> list[tuple[Order, LedgerTxn]]:
    """Return the transactions keyed and sorted by (trade date, type priority, id)."""
    keyed: list[tuple[Order, LedgerTxn]] = []
    seen: set[int] = set()
    for txn in txns:
        priority = TYPE_PRIORITY.get(txn.type)
        if priority is None:
            raise LedgerError(ref(txn), f"unknown transaction type {txn.type!r}")
        if txn.id in seen:
            raise LedgerError(ref(txn), f"duplicate transaction id {txn.id}")
        seen.add(txn.id)
        keyed.append(((txn.trade_date, priority, txn.id), txn))
    keyed.sort(key=lambda pair: pair[0])
    return keyed


def pick_specific(
    txn: LedgerTxn, position: list[Lot], quantity: Decimal
) -> list[tuple[Lot, Decimal]]:
    """Return the lots named by the sale's lot selection (opening txn id, quantity or all)."""
    taken: dict[str, Decimal] = {}
    by_id: dict[str, Lot] = {}
    for opening_id, wanted in txn.lot_selection:
        candidates = [lot for lot in position if lot.opening_txn_id == opening_id]
        free = sum((lot.quantity_open - taken.get(lot.lot_id, ZERO) for lot in candidates), ZERO)
        if free <= 0:
            raise LedgerError(ref(txn), f"lot {opening_id} has no open shares to {txn.type}")
        if wanted is not None and not positive(wanted):
            raise LedgerError(ref(txn), f"lot {opening_id}: the quantity must be above zero")
        if wanted is not None and wanted > free:
            raise LedgerError(
                ref(txn), f"lot {opening_id} has {fmt(free)} shares open, {fmt(wanted)} selected"
            )
        remaining = free if wanted is None else wanted
        for lot in candidates:
            take = min(remaining, lot.quantity_open - taken.get(lot.lot_id, ZERO))
            if take > 0:
                taken[lot.lot_id] = taken.get(lot.lot_id, ZERO) + take
                by_id[lot.lot_id] = lot
                remaining -= take
    total = sum(taken.values(), ZERO)
    if total != quantity:
        raise LedgerError(
            ref(txn),
            f"the lots selected hold {fmt(total)} shares, the {txn.type} is for {fmt(quantity)}",
        )
    return [(by_id[lot_id], take) for lot_id, take in taken.items()]


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Share ``total`` by weight in cents: the running total is rounded and the last part
    takes what is left, so the parts add up to ``total`` exactly."""
    whole = sum(weights, ZERO)
    parts: list[Decimal] = []
    running = previous = ZERO
    for index, weight in enumerate(weights):
        running += weight
        cumulative = total if index == len(weights) - 1 else cents(total * running / whole)
        parts.append(cumulative - previous)
        previous = cumulative
    return parts


def term(holding_period_start: date, sold: date) -> str:
    """Return "long" when the shares were held more than one year (IRS Pub 550, "Holding
    Period"): sold after the anniversary of the start. Feb 29's anniversary is Feb 28."""
    try:
        anniversary = holding_period_start.replace(year=holding_period_start.year + 1)
    except ValueError:
        anniversary = holding_period_start.replace(year=holding_period_start.year + 1, day=28)
    return "long" if sold > anniversary else "short"


def traded_shares(txn: LedgerTxn) -> tuple[int, Decimal]:
    if txn.security_id is None or not positive(txn.quantity):
        raise LedgerError(ref(txn), f"{txn.type} needs a security and a quantity above zero")
    return txn.security_id, txn.quantity


def trade_amount(txn: LedgerTxn) -> Decimal:
    if txn.amount == 0 and txn.price is not None and txn.quantity is not None:
        return txn.quantity * txn.price
    return txn.amount


def positive(value: Decimal | None) -> bool:
    return value is not None and value > 0


def exact_quantity(value: Decimal) -> Decimal:
    rounded = value.quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP)
    return value if rounded == value else rounded


def fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def ref(txn: LedgerTxn) -> str:
    return txn.ref or f"transaction {txn.id}"
