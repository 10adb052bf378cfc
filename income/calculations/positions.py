"""Shares held per account and security, replayed from transactions.

The ledger's tax lots are the household's positions; this replay stands in for them before
the ledger has been rebuilt, and answers "how many shares were held on the day this dividend
was paid" when a dividend per share must be inferred from the amount received.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)

# Same-day order, as the lot engine replays a day: splits at the open, then purchases,
# transfers (buy, then move) and sales (move, then sell). Income is paid on the shares held
# at the start of the day, so `quantity_before` looks only at earlier days.
DAY_ORDER = {
    "SPLIT": 1,
    "RETURN_OF_CAPITAL": 2,
    "BUY": 3,
    "REINVEST": 3,
    "OPENING": 3,
    "TRANSFER": 4,
    "SELL": 5,
}
Key = tuple[int, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionTxn:
    """A transaction as far as it changes shares or their cost; amounts are positive."""

    id: int
    account_id: int
    trade_date: date
    type: str
    security_id: int | None
    quantity: Decimal | None = None
    price: Decimal | None = None
    amount: Decimal = ZERO
    fees: Decimal = ZERO
    split_new: Decimal | None = None
    split_old: Decimal | None = None
    to_account_id: int | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """Shares of one security open in one account, their cost, and when the position opened."""

    account_id: int
    security_id: int
    quantity: Decimal
    cost_basis: Decimal
    acquired: date


@dataclass(slots=True)
class _Open:
    quantity: Decimal = ZERO
    cost: Decimal = ZERO
    acquired: date | None = None


class PositionHistory:
    """Replay of the share-changing transactions of a household.

    1. Transactions are applied in (trade date, same-day order, id) order; types that do not
       change shares are ignored.
    2. BUY and REINVEST add shares at amount (quantity * price when no amount) plus fees;
       SELL removes shares and their average cost; a TRANSFER with a security moves shares
       and their share of the cost to `to_account_id`; SPLIT multiplies the account's shares
       by new / old; RETURN_OF_CAPITAL lowers the cost (never below zero).
    3. A position opens (`acquired`) on the day its quantity rises from zero; selling more
       than is held closes it rather than going short.
    Cost is an average-cost approximation: the ledger's lots replace it once rebuilt.
    """

    def __init__(self, txns: Iterable[PositionTxn]) -> None:
        self._open: dict[Key, _Open] = defaultdict(_Open)
        self._dates: dict[Key, list[date]] = defaultdict(list)
        self._quantities: dict[Key, list[Decimal]] = defaultdict(list)
        ordered = sorted(
            (txn for txn in txns if txn.type in DAY_ORDER and txn.security_id is not None),
            key=lambda txn: (txn.trade_date, DAY_ORDER[txn.type], txn.id),
        )
        for txn in ordered:
            self._apply(txn)

    def quantity_before(self, account_id: int, security_id: int, day: date) -> Decimal:
        """Return the shares held at the start of `day` (after every earlier day's trades)."""
        key = (account_id, security_id)
        index = bisect_left(self._dates.get(key, []), day)
        return self._quantities[key][index - 1] if index else ZERO

    def open_positions(self) -> list[Position]:
        """Return the positions still open after the last transaction, by account and security."""
        return [
            Position(account_id, security_id, held.quantity, held.cost, held.acquired)
            for (account_id, security_id), held in sorted(self._open.items())
            if held.quantity > 0 and held.acquired is not None
        ]

    def _apply(self, txn: PositionTxn) -> None:
        assert txn.security_id is not None
        key = (txn.account_id, txn.security_id)
        quantity = txn.quantity or ZERO
        if txn.type in ("BUY", "REINVEST"):
            amount = txn.amount or quantity * (txn.price or ZERO)
            self._add(key, quantity, amount + txn.fees, txn.trade_date)
        elif txn.type == "OPENING":  # a lot carried in: its amount is the basis (0: unknown)
            self._add(key, quantity, txn.amount + txn.fees, txn.trade_date)
        elif txn.type == "SELL":
            self._remove(key, quantity, txn.trade_date)
        elif txn.type == "TRANSFER" and txn.to_account_id is not None:
            acquired = self._open[key].acquired
            cost = self._remove(key, quantity, txn.trade_date)
            target = (txn.to_account_id, txn.security_id)
            self._add(target, quantity, cost, txn.trade_date, acquired=acquired)
        elif txn.type == "SPLIT" and txn.split_new and txn.split_old:
            held = self._open[key]
            held.quantity = held.quantity * txn.split_new / txn.split_old
            self._record(key, txn.trade_date)
        elif txn.type == "RETURN_OF_CAPITAL":
            held = self._open[key]
            held.cost = max(ZERO, held.cost - txn.amount)

    def _add(
        self,
        key: Key,
        quantity: Decimal,
        cost: Decimal,
        day: date,
        *,
        acquired: date | None = None,
    ) -> None:
        held = self._open[key]
        if held.quantity <= 0:
            held.quantity, held.cost, held.acquired = ZERO, ZERO, acquired or day
        elif acquired is not None and held.acquired is not None:
            held.acquired = min(held.acquired, acquired)
        held.quantity += quantity
        held.cost += cost
        self._record(key, day)

    def _remove(self, key: Key, quantity: Decimal, day: date) -> Decimal:
        """Take `quantity` shares out of the position and return the cost they carried."""
        held = self._open[key]
        if held.quantity <= 0:
            return ZERO
        sold = min(quantity, held.quantity)
        cost = held.cost * sold / held.quantity
        held.quantity -= sold
        held.cost -= cost
        if held.quantity <= 0:
            held.quantity, held.cost, held.acquired = ZERO, ZERO, None
        self._record(key, day)
        return cost

    def _record(self, key: Key, day: date) -> None:
        dates, quantities = self._dates[key], self._quantities[key]
        if dates and dates[-1] == day:
            quantities[-1] = self._open[key].quantity
        else:
            dates.append(day)
            quantities.append(self._open[key].quantity)
