"""Wash-sale bookkeeping for the lot engine: the purchase index and the loss proration.

The rule (IRC §1091, Treas. Reg. §1.1091-1 and -2, IRS Publication 550 "Wash Sales"): a loss
on a sale is disallowed when substantially identical shares are bought within 30 days before
or after the sale. Replacement shares are matched in the order they were bought, each share
used once; a partial replacement disallows the loss in proportion.

Pure: stdlib and Decimal only. ``lots.py`` owns the lots themselves; this module only knows
the purchases (``BUY`` and ``REINVEST`` rows, known before the replay starts, so a sale can
reserve shares bought after it) and the arithmetic.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from portfolios.calculations.ledger_types import LedgerTxn

WINDOW = timedelta(days=30)
CENT = Decimal("0.01")
PURCHASE_TYPES = frozenset({"BUY", "REINVEST"})

GroupKey = tuple[str, int | str]


def cents(value: Decimal) -> Decimal:
    """Return ``value`` rounded to the cent, halves away from zero."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def identity_key(security_id: int, identity_groups: Mapping[int, str]) -> GroupKey:
    """Return the key under which a security's substantially identical purchases are indexed.

    Securities in the same identity group share the group's key; any other security is only
    identical to itself. The tag keeps a group named "7" apart from security 7.
    """
    group = identity_groups.get(security_id)
    return ("group", group) if group is not None else ("security", security_id)


@dataclass(frozen=True, slots=True)
class Reservation:
    """Shares of a future purchase matched to an earlier loss sale."""

    quantity: Decimal
    disallowed: Decimal
    days_held: int  # the sold shares' holding period, tacked onto the replacement's
    adjust_basis: bool  # False when the purchase lands in a tax-deferred/-exempt account


@dataclass(slots=True)
class PurchaseEvent:
    """A BUY or REINVEST as a source of replacement shares."""

    txn_id: int
    order: tuple[date, int, int]  # the replay sort key of the purchase
    trade_date: date
    account_id: int
    quantity: Decimal
    reserved: Decimal = Decimal(0)
    reservations: list[Reservation] = field(default_factory=list)

    @property
    def unreserved(self) -> Decimal:
        """Return the shares not yet matched to a loss sale replayed before the purchase."""
        return self.quantity - self.reserved


class PurchaseIndex:
    """Purchases per identity group in replay order, searchable by date."""

    def __init__(self, events_by_group: Mapping[GroupKey, list[PurchaseEvent]]) -> None:
        self._events = {
            key: sorted(events, key=lambda e: e.order) for key, events in events_by_group.items()
        }
        self._dates = {key: [e.trade_date for e in events] for key, events in self._events.items()}
        self.by_txn = {e.txn_id: e for events in self._events.values() for e in events}

    def window(self, group: GroupKey, sale_date: date) -> Iterator[PurchaseEvent]:
        """Yield the group's purchases dated 30 days before to 30 days after the sale, in order."""
        events = self._events.get(group)
        if not events:
            return
        start = bisect_left(self._dates[group], sale_date - WINDOW)
        last = sale_date + WINDOW
        for event in events[start:]:
            if event.trade_date > last:
                return
            yield event


def disallowed_parts(loss: Decimal, sold: Decimal, matched: list[Decimal]) -> list[Decimal]:
    """Return the disallowed loss for each block of replacement shares matched to a sale.

    Each block disallows ``loss * block / sold``. The running total is rounded to the cent and
    each block takes the difference, so the parts add up to the rounded total and a full
    replacement disallows exactly ``loss``.
    """
    parts: list[Decimal] = []
    running_shares = Decimal(0)
    previous = Decimal(0)
    for block in matched:
        running_shares += block
        total = loss if running_shares == sold else cents(loss * running_shares / sold)
        parts.append(total - previous)
        previous = total
    return parts


def replacement_holding_start(acquired: date, days_held: int) -> date:
    """Return the replacement's holding-period start: its purchase date less the days the sold
    shares were held (IRC §1223(3): the replacement's holding period includes theirs)."""
    return acquired - timedelta(days=days_held)


def index_purchases(
    ordered: list[tuple[tuple[date, int, int], LedgerTxn]], groups: Mapping[int, str]
) -> PurchaseIndex:
    """Return every BUY and REINVEST with a quantity, indexed by identity group."""
    events: dict[tuple[str, int | str], list[PurchaseEvent]] = {}
    for order, txn in ordered:
        if txn.type in PURCHASE_TYPES and txn.security_id is not None and _bought(txn):
            key = identity_key(txn.security_id, groups)
            event = PurchaseEvent(txn.id, order, txn.trade_date, txn.account_id, txn.quantity)
            events.setdefault(key, []).append(event)
    return PurchaseIndex(events)


def _bought(txn: LedgerTxn) -> bool:
    return txn.quantity is not None and txn.quantity > 0
