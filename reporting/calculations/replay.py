"""Replay a household's transactions into what daily valuation and the gain breakdown need.

Pure (no Django): the service reads rows, this module turns them, per account, into

- quantity changes, including the shares a split adds or removes (which needs the position
  on the split's day, hence a replay rather than a sum);
- cash changes in the account's currency (DESIGN §2: fees are always paid from cash);
- external flows: DEPOSIT and WITHDRAWAL, and every TRANSFER as a leg that the caller counts
  as a flow only when it crosses the edge of the scope being valued (DESIGN §7);
- the gain breakdown's buckets in the household's currency: income, fees, taxes, realized
  gains, and "cost", the sum of cash and open cost basis as booked, which moves only through
  those buckets and flows. So, for any scope and day,
  ``cost = net flows - carried + realized + income - fees - taxes``, where ``carried`` is the
  unrealized gain a transfer in kind brings across the scope's edge; the service checks this
  on every run, and unrealized gain is ``value - cost`` less what was carried in.

Conventions follow the lot engine (``portfolios.calculations.lots``): the same replay order
within a day, BUY/SELL/REINVEST without an amount use quantity x price, fees are added to
the basis of purchases and taken from the proceeds of sales, a return of capital lowers the
basis and only its excess is a gain. The breakdown is economic, before wash-sale deferrals
(those are a tax matter): lots are relieved FIFO, LIFO or by highest cost as the account
says, and specific-lot sales FIFO. Amounts are floats (the ledger's Decimals, converted);
the service rounds what it stores to 4 places, as ``portfolios.calculations.valuation`` does.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from portfolios.calculations.lot_rules import TYPE_PRIORITY

# The lot engine's order within a day, so valuations replay exactly what the ledger does.

# A lot or position smaller than this is float residue of a split or a partial sale.
NO_QUANTITY = 1e-9
# The counterparty of shares that come from outside the household (an OPENING): no
# account has this id, so the leg crosses the edge of every scope.
OUTSIDE = 0

ToBase = Callable[[str, int], float]


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """A transaction as the replay sees it: day as a date ordinal, amounts as floats."""

    id: int
    account_id: int
    day: int
    type: str
    security_id: int | None = None
    quantity: float = 0.0
    price: float = 0.0
    amount: float = 0.0
    fees: float = 0.0
    split_new: float = 0.0
    split_old: float = 0.0
    to_account_id: int | None = None


@dataclass(frozen=True, slots=True)
class ReplayAccount:
    """An account as the replay sees it."""

    id: int
    currency: str
    lot_method: str = "fifo"


@dataclass(frozen=True, slots=True)
class TransferLeg:
    """One side of a TRANSFER: into (direction +1) or out of (-1) ``account_id``.

    A cash leg carries its amount in the household's currency; a leg in kind carries the
    security, the quantity and the cost basis that moved, and is valued by the caller at
    that day's close (DESIGN §7).
    """

    day: int
    account_id: int
    counterparty_id: int
    direction: int
    cash: float = 0.0
    security_id: int | None = None
    quantity: float = 0.0
    basis: float = 0.0


@dataclass
class AccountReplay:
    """Everything one account's transactions did, as dated events (day ordinals)."""

    quantity_changes: list[tuple[int, int, float]] = field(default_factory=list)
    cash: list[tuple[int, float]] = field(default_factory=list)  # account currency
    deposits: list[tuple[int, float, float]] = field(default_factory=list)  # (day, in, out)
    legs: list[TransferLeg] = field(default_factory=list)
    cost: list[tuple[int, float]] = field(default_factory=list)
    income: list[tuple[int, float]] = field(default_factory=list)
    fees: list[tuple[int, float]] = field(default_factory=list)
    taxes: list[tuple[int, float]] = field(default_factory=list)
    realized: list[tuple[int, float]] = field(default_factory=list)
    cash_units: int = 0  # at the end, account currency, ten-thousandths
    positions: dict[int, float] = field(default_factory=dict)  # at the end

    @property
    def cash_balance(self) -> float:
        return self.cash_units / MONEY_SCALE


MONEY_SCALE = 10_000


def money_units(amount: float) -> int:
    """Return an amount in ten-thousandths, rounded half away from zero (as stored)."""
    units = int(abs(amount) * MONEY_SCALE + 0.5)
    return -units if amount < 0 else units


class _Lot:
    __slots__ = ("cost", "quantity")

    def __init__(self, quantity: float, cost: float) -> None:
        self.quantity = quantity
        self.cost = cost


@dataclass
class ReplayState:
    """Every account's cash, positions and lots before ``day`` (a date ordinal).

    A rebuild stores one, so the next rebuild from a later date replays only the
    transactions from ``day`` on. Packed as plain numpy arrays (no pickle).
    """

    day: int
    cash: dict[int, int] = field(default_factory=dict)  # ten-thousandths, account currency
    positions: dict[tuple[int, int], float] = field(default_factory=dict)
    # Open lots per (account, security): an (n, 2) array of (quantity, cost), oldest first.
    lots: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)

    def pack(self) -> bytes:
        """Return the state as a compressed .npz blob."""
        keys = list(self.lots)
        counts = [len(self.lots[key]) for key in keys]
        arrays = {
            "day": np.array([self.day], dtype=np.int64),
            "cash_accounts": np.array(list(self.cash), dtype=np.int64),
            "cash_units": np.array(list(self.cash.values()), dtype=np.int64),
            "position_keys": np.array(list(self.positions), dtype=np.int64).reshape(-1, 2),
            "position_quantities": np.array(list(self.positions.values()), dtype=np.float64),
            "lot_keys": np.array(keys, dtype=np.int64).reshape(-1, 2),
            "lot_counts": np.array(counts, dtype=np.int64),
            "lot_values": (
                np.concatenate([self.lots[key] for key in keys]) if keys else np.empty((0, 2))
            ),
        }
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def unpack(cls, blob: bytes) -> ReplayState:
        """Return the state packed by ``pack``."""
        with np.load(io.BytesIO(bytes(blob)), allow_pickle=False) as arrays:
            state = cls(day=int(arrays["day"][0]))
            state.cash = dict(
                zip(arrays["cash_accounts"].tolist(), arrays["cash_units"].tolist(), strict=True)
            )
            keys = [tuple(key) for key in arrays["position_keys"].tolist()]
            state.positions = dict(zip(keys, arrays["position_quantities"].tolist(), strict=True))
            lot_keys = [tuple(key) for key in arrays["lot_keys"].tolist()]
            groups = np.split(arrays["lot_values"], np.cumsum(arrays["lot_counts"])[:-1])
            state.lots = dict(zip(lot_keys, groups, strict=True)) if lot_keys else {}
        return state


@dataclass
class ReplayResult:
    """Each account's replay, and the state kept at the checkpoint day if one was asked."""

    accounts: dict[int, AccountReplay]
    checkpoint: ReplayState | None = None


def replay_ledger(
    rows: Iterable[LedgerRow],
    accounts: Mapping[int, ReplayAccount],
    to_base: ToBase,
    *,
    state: ReplayState | None = None,
    checkpoint_day: int | None = None,
) -> ReplayResult:
    """Return each account's replay; ``to_base(currency, day)`` converts to the household's.

    1. Sort by (day, the lot engine's type priority, id), so a deposit is there before the
       day's buy and a split applies before the day's trades.
    2. Start from ``state`` (the accounts before its day; ``rows`` must then be exactly the
       transactions from that day on), or from nothing.
    3. Apply each row to its account's cash, positions and lots, recording dated events;
       with ``checkpoint_day``, keep a copy of the state as it stands before that day.
    Rows of unknown accounts are ignored; a sale of more than is held relieves what there is
    and books the rest of the proceeds as gain.
    """
    replay = _Replay(accounts, to_base, state)
    ordered = sorted(rows, key=lambda row: (row.day, TYPE_PRIORITY.get(row.type, 9), row.id))
    checkpoint = None
    for row in ordered:
        if checkpoint_day is not None and checkpoint is None and row.day >= checkpoint_day:
            checkpoint = replay.state(checkpoint_day)
        if row.account_id in accounts:
            replay.apply(row)
    if checkpoint_day is not None and checkpoint is None:
        checkpoint = replay.state(checkpoint_day)
    return ReplayResult(replay.finish(), checkpoint)


class _Replay:
    def __init__(
        self, accounts: Mapping[int, ReplayAccount], to_base: ToBase, state: ReplayState | None
    ) -> None:
        self.accounts = accounts
        self.to_base = to_base
        self.out = {account_id: AccountReplay() for account_id in accounts}
        self.cash = dict.fromkeys(accounts, 0)
        self.positions: dict[tuple[int, int], float] = {}
        # A position's lots stay the checkpoint's array until a transaction touches them.
        self.lots: dict[tuple[int, int], list[_Lot] | np.ndarray] = {}
        if state is not None:
            self.cash |= {pk: units for pk, units in state.cash.items() if pk in accounts}
            self.positions = {k: q for k, q in state.positions.items() if k[0] in accounts}
            self.lots = {key: lots for key, lots in state.lots.items() if key[0] in accounts}

    def _lots(self, key: tuple[int, int]) -> list[_Lot]:
        lots = self.lots.get(key)
        if lots is None:
            lots = self.lots[key] = []
        elif isinstance(lots, np.ndarray):
            lots = self.lots[key] = [_Lot(q, c) for q, c in lots.tolist()]
        return lots

    def state(self, day: int) -> ReplayState:
        """Return a copy of every account's cash, positions and open lots as they stand."""
        lots = {}
        for key, open_lots in self.lots.items():
            if isinstance(open_lots, np.ndarray):
                lots[key] = open_lots  # untouched since loaded: never mutated, safe to share
            elif open_lots:
                lots[key] = np.array([(lot.quantity, lot.cost) for lot in open_lots])
        return ReplayState(
            day=day,
            cash=dict(self.cash),
            positions={k: q for k, q in self.positions.items() if abs(q) > NO_QUANTITY},
            lots=lots,
        )

    def finish(self) -> dict[int, AccountReplay]:
        for account_id, result in self.out.items():
            result.cash_units = self.cash[account_id]
        for (account_id, security_id), quantity in self.positions.items():
            if abs(quantity) > NO_QUANTITY:
                self.out[account_id].positions[security_id] = quantity
        return self.out

    # Bookkeeping

    def _rate(self, account_id: int, day: int) -> float:
        return self.to_base(self.accounts[account_id].currency, day)

    def _cash(self, row: LedgerRow, account_id: int, amount: float, rate: float) -> None:
        if amount:
            self.cash[account_id] += money_units(amount)
            self.out[account_id].cash.append((row.day, amount))
            self.out[account_id].cost.append((row.day, amount * rate))

    def _basis(self, row: LedgerRow, account_id: int, amount: float) -> None:
        if amount:
            self.out[account_id].cost.append((row.day, amount))

    def _quantity(self, row: LedgerRow, account_id: int, security_id: int, delta: float) -> None:
        key = (account_id, security_id)
        self.positions[key] = self.positions.get(key, 0.0) + delta
        self.out[account_id].quantity_changes.append((row.day, security_id, delta))

    # Transactions

    def apply(self, row: LedgerRow) -> None:
        account = row.account_id
        rate = self._rate(account, row.day)
        out = self.out[account]
        kind = row.type
        if kind in ("BUY", "REINVEST"):
            self._buy(row, rate)
        elif kind == "SELL":
            self._sell(row, rate)
        elif kind == "TRANSFER":
            self._transfer(row, rate)
        elif kind == "SPLIT":
            self._split(row)
        elif kind == "OPENING":
            self._open(row, rate)
        elif kind == "RETURN_OF_CAPITAL":
            self._return_of_capital(row, rate)
        elif kind in ("DIVIDEND", "INTEREST", "OPTION_PREMIUM"):
            self._cash(row, account, row.amount, rate)
            out.income.append((row.day, row.amount * rate))
        elif kind == "DEPOSIT":
            self._cash(row, account, row.amount, rate)
            out.deposits.append((row.day, row.amount * rate, 0.0))
        elif kind == "WITHDRAWAL":
            self._cash(row, account, -row.amount, rate)
            out.deposits.append((row.day, 0.0, row.amount * rate))
        elif kind == "FEE":
            self._cash(row, account, -row.amount, rate)
            out.fees.append((row.day, row.amount * rate))
        elif kind == "TAX_WITHHELD":
            self._cash(row, account, -row.amount, rate)
            out.taxes.append((row.day, row.amount * rate))
        if row.fees and kind not in ("BUY", "SELL", "REINVEST"):
            # Fees of trades are in their basis or proceeds; any other row's fees are a cost.
            self._cash(row, account, -row.fees, rate)
            out.fees.append((row.day, row.fees * rate))

    def _trade_amount(self, row: LedgerRow) -> float:
        if row.amount == 0 and row.price and row.quantity:
            return row.quantity * row.price
        return row.amount

    def _buy(self, row: LedgerRow, rate: float) -> None:
        if row.security_id is None or row.quantity <= 0:
            return
        account, amount = row.account_id, self._trade_amount(row)
        basis = (amount + row.fees) * rate
        if row.type == "BUY":
            self._cash(row, account, -(amount + row.fees), rate)
        else:  # REINVEST: the dividend is paid straight into the purchase
            self._cash(row, account, -row.fees, rate)
            self.out[account].income.append((row.day, amount * rate))
        self._basis(row, account, basis)
        self._quantity(row, account, row.security_id, row.quantity)
        self._lots((account, row.security_id)).append(_Lot(row.quantity, basis))

    def _open(self, row: LedgerRow, rate: float) -> None:
        """A lot carried in from before the history (DESIGN §2 OPENING): no cash; its
        shares arrive from outside every scope, so they count as an inflow in kind at that
        day's close, like a transfer from an account Hearth does not hold."""
        if row.security_id is None or row.quantity <= 0:
            return
        account = row.account_id
        basis = (row.amount + row.fees) * rate
        self._basis(row, account, basis)
        self._quantity(row, account, row.security_id, row.quantity)
        self._lots((account, row.security_id)).append(_Lot(row.quantity, basis))
        self.out[account].legs.append(
            TransferLeg(
                row.day,
                account,
                OUTSIDE,
                1,
                security_id=row.security_id,
                quantity=row.quantity,
                basis=basis,
            )
        )

    def _sell(self, row: LedgerRow, rate: float) -> None:
        if row.security_id is None or row.quantity <= 0:
            return
        account = row.account_id
        proceeds = self._trade_amount(row) - row.fees
        self._cash(row, account, proceeds, rate)
        relieved = self._relieve(account, row.security_id, row.quantity)
        self._basis(row, account, -relieved)
        self._quantity(row, account, row.security_id, -row.quantity)
        self.out[account].realized.append((row.day, proceeds * rate - relieved))

    def _relieve(self, account: int, security_id: int, quantity: float) -> float:
        """Take ``quantity`` shares from the position's lots; return the basis relieved."""
        lots = self._lots((account, security_id))
        method = self.accounts[account].lot_method
        relieved, remaining = 0.0, quantity
        while remaining > NO_QUANTITY and lots:
            if method == "lifo":
                position = len(lots) - 1
            elif method == "hifo":
                position = max(range(len(lots)), key=lambda i: lots[i].cost / lots[i].quantity)
            else:
                position = 0
            lot = lots[position]
            taken = min(lot.quantity, remaining)
            part = lot.cost * taken / lot.quantity
            relieved += part
            remaining -= taken
            lot.quantity -= taken
            lot.cost -= part
            if lot.quantity <= NO_QUANTITY:
                del lots[position]
        return relieved

    def _split(self, row: LedgerRow) -> None:
        if row.security_id is None or row.split_new <= 0 or row.split_old <= 0:
            return
        key = (row.account_id, row.security_id)
        ratio = row.split_new / row.split_old
        held = self.positions.get(key, 0.0)
        if abs(held) > NO_QUANTITY:
            self._quantity(row, row.account_id, row.security_id, held * ratio - held)
        for lot in self._lots(key):
            lot.quantity *= ratio

    def _return_of_capital(self, row: LedgerRow, rate: float) -> None:
        account = row.account_id
        self._cash(row, account, row.amount, rate)
        lots = self._lots((account, row.security_id)) if row.security_id else []
        total = sum(lot.cost for lot in lots)
        amount = row.amount * rate
        lowered = min(amount, total) if total > 0 else 0.0
        for lot in lots:
            lot.cost -= lowered * lot.cost / total if total > 0 else 0.0
        self._basis(row, account, -lowered)
        if amount - lowered > 0:
            self.out[account].realized.append((row.day, amount - lowered))

    def _transfer(self, row: LedgerRow, rate: float) -> None:
        source, target = row.account_id, row.to_account_id
        if target is None or target not in self.accounts or target == source:
            return
        if row.security_id is None:
            self._cash(row, source, -row.amount, rate)
            self._cash(row, target, row.amount, rate)
            cash = row.amount * rate
            self.out[source].legs.append(TransferLeg(row.day, source, target, -1, cash=cash))
            self.out[target].legs.append(TransferLeg(row.day, target, source, 1, cash=cash))
            return
        if row.quantity <= 0:
            return
        security = row.security_id
        moved = self._relieve(source, security, row.quantity)
        self._basis(row, source, -moved)
        self._basis(row, target, moved)
        self._quantity(row, source, security, -row.quantity)
        self._quantity(row, target, security, row.quantity)
        self._lots((target, security)).append(_Lot(row.quantity, moved))
        for account, other, direction in ((source, target, -1), (target, source, 1)):
            self.out[account].legs.append(
                TransferLeg(
                    row.day,
                    account,
                    other,
                    direction,
                    security_id=security,
                    quantity=row.quantity,
                    basis=moved,
                )
            )
