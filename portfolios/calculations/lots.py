"""Tax-lot engine: replay a household's transactions into open lots, reliefs and cash.

A pure function of its input (stdlib and ``Decimal`` only, no Django), so rebuilding the
ledger from scratch gives the same lots to the cent (DESIGN §2 and §7 "Lots", STYLE rule 3).
The ORM layer turns rows into ``LedgerTxn``/``AccountInfo`` and stores the ``LedgerResult``.

Replay order
    Transactions are sorted by (trade date, type priority, id). The id is the last tiebreak,
    so the same rows give the same result in whatever order they arrive. Within a day:

    0. DEPOSIT: cash arrives before it is spent.
    1. SPLIT: effective at the open; trades on the split date are quoted post-split.
    2. DIVIDEND, INTEREST, OPTION_PREMIUM, RETURN_OF_CAPITAL: paid on the shares held at the
       start of the day, so a return of capital never lowers the basis of shares bought that day.
    3. BUY, REINVEST, OPENING.
    4. TRANSFER: after the day's buys (buy, then move) and before its sales (move, then sell).
    5. SELL.
    6. FEE, TAX_WITHHELD.
    7. WITHDRAWAL.

Money and rounding
    Amounts stay exact until something is divided; every division is rounded to the cent with
    ROUND_HALF_UP (the convention of 1099-B basis reporting, and what a user checks by hand).
    A sale's proceeds are shared across its lots by quantity with the running total rounded,
    so the last lot takes the remainder and the parts add up to the proceeds exactly. Basis
    relieved is ``cost_open * sold / open`` rounded, except that closing a lot relieves exactly
    ``cost_open``, so a lot's reliefs plus its open basis equal its cost.
    Quantities are exact; a split whose result has more than 10 decimal places (the database
    scale, DESIGN §2) is rounded to 10.

Cash
    BUY -amount, SELL +amount, REINVEST 0 (a dividend paid straight into a buy), DIVIDEND /
    INTEREST / OPTION_PREMIUM / DEPOSIT / RETURN_OF_CAPITAL +amount, FEE / TAX_WITHHELD /
    WITHDRAWAL -amount, TRANSFER of cash -amount here and +amount in ``to_account_id``. Every
    row's ``fees`` are also paid from its account's cash. BUY, SELL and REINVEST without an
    amount use quantity * price.

Opening positions
    An OPENING adds a lot carried in from before the history starts: acquired on its date,
    its amount the cost basis, no cash. With ``basis_unknown`` the lot's basis is unknown:
    it is carried as 0 with ``basis_known`` False, every relief from it is flagged
    ``basis_unknown`` (its gain is not known, so it is never tested for a wash sale), a
    return of capital leaves it alone, and pieces cut from it stay unknown. An OPENING is
    not a purchase for the wash-sale rule: its date is when the shares were acquired, not a
    trade the history shows. A BUY may carry ``basis_unknown`` too (shares received in a
    spin-off, whose basis is a share of the parent's the household has to enter): its
    cash is paid as usual and its lot's basis is unknown in the same way.

Return of capital
    Lowers the open basis of the account's lots of that security, shared by quantity (cents,
    last lot takes the remainder). Once a lot's basis is zero the excess is a gain: a
    ``LotRelief`` with quantity 0, proceeds = excess, cost basis 0, termed by the lot's holding
    period. ``cost_original`` keeps the basis the lot opened with. A return of capital on a
    security the account no longer holds only moves cash.

Splits and transfers apply to the lots of the transaction's own account. A transfer in kind
of the whole position moves every lot as it is, whatever the lot method (so an account
using specific identification needs no selection for it). A partial transfer in kind, and
a replacement that only partly covers a wash sale, split a lot in two: the piece
gets the id ``"<lot_id>.<n>"`` and its share of the basis rounded to the cent; the remainder
keeps the id and the rest.

Wash sales (``_Ledger._wash_sale``, ``wash_sales.py``)
    Only losses in taxable accounts are tested. Replacements are BUY and REINVEST rows of the
    same security or identity group in any account, 30 days either side of the sale, matched
    in purchase order, each share once. A purchase made before the sale offers the shares it
    still has open after the sale (never the rest of the sold shares' own purchase); one made
    after offers all its shares not already matched. Shares are matched as counted on each
    date: a split between a sale and a later replacement is not rescaled.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, localcontext

from portfolios.calculations.ledger_types import (
    ZERO,
    AccountInfo,
    IncomeEvent,
    LedgerError,
    LedgerResult,
    LedgerTxn,
    Lot,
    LotRelief,
    TaxTreatment,
)
from portfolios.calculations.lot_rules import (
    Order,
    allocate,
    exact_quantity,
    fmt,
    pick_specific,
    positive,
    ref,
    replay_order,
    term,
    trade_amount,
    traded_shares,
)
from portfolios.calculations.wash_sales import (
    PURCHASE_TYPES,
    PurchaseEvent,
    PurchaseIndex,
    Reservation,
    cents,
    disallowed_parts,
    identity_key,
    index_purchases,
    replacement_holding_start,
)

__all__ = [
    "AccountInfo",
    "IncomeEvent",
    "LedgerError",
    "LedgerResult",
    "LedgerTxn",
    "Lot",
    "LotRelief",
    "TaxTreatment",
    "build_ledger",
]

INCOME_TYPES = frozenset({"DIVIDEND", "INTEREST", "OPTION_PREMIUM"})
OUTFLOW_TYPES = frozenset({"FEE", "TAX_WITHHELD", "WITHDRAWAL"})


def build_ledger(
    txns: Iterable[LedgerTxn],
    accounts: Mapping[int, AccountInfo],
    identity_groups: Mapping[int, str] | None = None,
) -> LedgerResult:
    """Replay the household's transactions and return its open lots, reliefs, cash and income.

    1. Sort the transactions into replay order (see the module docstring).
    2. Index every BUY and REINVEST by identity group, so a loss sale can reserve replacement
       shares bought up to 30 days after it.
    3. Apply each transaction in order; any it cannot apply raises ``LedgerError``.
    """
    groups = identity_groups or {}
    with localcontext(prec=28):
        ordered = replay_order(txns)
        ledger = _Ledger(accounts, groups, index_purchases(ordered, groups))
        for order, txn in ordered:
            ledger.apply(order, txn)
        return ledger.result()


class _Ledger:
    """Replay state: open lots per (account, security), cash, reliefs and wash-sale matches."""

    def __init__(
        self,
        accounts: Mapping[int, AccountInfo],
        groups: Mapping[int, str],
        purchases: PurchaseIndex,
    ) -> None:
        self.accounts = accounts
        self.groups = groups
        self.purchases = purchases
        self.cash: dict[int, Decimal] = {account_id: ZERO for account_id in sorted(accounts)}
        self.reliefs: list[LotRelief] = []
        self.income: list[IncomeEvent] = []
        # Open lots per (account, security), kept in FIFO order.
        self.positions: dict[tuple[int, int], list[Lot]] = {}
        # Every lot ever cut from a purchase, by opening txn id, to find replacement shares.
        self.pieces: dict[int, list[Lot]] = {}
        self.fifo_key: dict[str, tuple[date, int, int]] = {}
        # Shares of a lot already matched as wash-sale replacements (each share is used once).
        self.used: dict[str, Decimal] = {}
        self.children: dict[str, int] = {}
        self.sequence = 0

    def apply(self, order: Order, txn: LedgerTxn) -> None:
        """Apply one transaction's effect on cash, lots and reliefs."""
        if txn.account_id not in self.accounts:
            raise LedgerError(ref(txn), f"unknown account {txn.account_id}")
        if txn.amount < 0 or txn.fees < 0:
            raise LedgerError(ref(txn), "amount and fees must not be negative")
        self.cash[txn.account_id] -= txn.fees
        if txn.type in PURCHASE_TYPES:
            self._buy(txn)
        elif txn.type == "OPENING":
            self._open(txn)
        elif txn.type == "SELL":
            self._sell(order, txn)
        elif txn.type == "SPLIT":
            self._split(txn)
        elif txn.type == "TRANSFER":
            self._transfer(txn)
        elif txn.type == "RETURN_OF_CAPITAL":
            self._return_of_capital(txn)
        elif txn.type in INCOME_TYPES:
            self.cash[txn.account_id] += txn.amount
            self._record_income(txn, txn.amount)
        elif txn.type in OUTFLOW_TYPES:
            self.cash[txn.account_id] -= txn.amount
        else:  # DEPOSIT
            self.cash[txn.account_id] += txn.amount

    def result(self) -> LedgerResult:
        lots = [lot for lots in self.positions.values() for lot in lots if lot.quantity_open > 0]
        lots.sort(key=lambda lot: (lot.account_id, lot.security_id, self.fifo_key[lot.lot_id]))
        return LedgerResult(lots=lots, reliefs=self.reliefs, cash=self.cash, income=self.income)

    # Transactions

    def _buy(self, txn: LedgerTxn) -> None:
        security, quantity = traded_shares(txn)
        amount = trade_amount(txn)
        if txn.type == "BUY":
            self.cash[txn.account_id] -= amount
        else:
            self._record_income(txn, amount)
        cost = ZERO if txn.basis_unknown else amount + txn.fees
        lot = Lot(
            lot_id=str(txn.id),
            account_id=txn.account_id,
            security_id=security,
            opening_txn_id=txn.id,
            acquired=txn.trade_date,
            holding_period_start=txn.trade_date,
            quantity_original=quantity,
            quantity_open=quantity,
            cost_original=cost,
            cost_open=cost,
            wash_sale_adjustment=ZERO,
            basis_known=not txn.basis_unknown,
        )
        self._register(lot, used=ZERO)
        event = self.purchases.by_txn.get(txn.id)
        for reservation in event.reservations if event else ():
            self._take_replacement(lot, reservation)

    def _open(self, txn: LedgerTxn) -> None:
        security, quantity = traded_shares(txn)
        cost = ZERO if txn.basis_unknown else txn.amount + txn.fees
        lot = Lot(
            lot_id=str(txn.id),
            account_id=txn.account_id,
            security_id=security,
            opening_txn_id=txn.id,
            acquired=txn.trade_date,
            holding_period_start=txn.trade_date,
            quantity_original=quantity,
            quantity_open=quantity,
            cost_original=cost,
            cost_open=cost,
            wash_sale_adjustment=ZERO,
            basis_known=not txn.basis_unknown,
        )
        self._register(lot, used=ZERO)

    def _sell(self, order: Order, txn: LedgerTxn) -> None:
        security, quantity = traded_shares(txn)
        amount = trade_amount(txn)
        self.cash[txn.account_id] += amount
        picks = self._pick(txn, txn.account_id, security, quantity)
        proceeds = allocate(amount - txn.fees, [sold for _, sold in picks])
        # Relieve every lot before matching replacements, so the shares this sale closes are
        # never their own replacement; keep each lot's dates, which a later match may move.
        closed = [
            (lot, lot.acquired, lot.holding_period_start, sold, share, self._relieve(lot, sold))
            for (lot, sold), share in zip(picks, proceeds, strict=True)
        ]
        self._prune(txn.account_id, security)
        taxable = self._is_taxable(txn.account_id)
        for lot, acquired, held_from, sold, lot_proceeds, basis in closed:
            gain = lot_proceeds - basis
            disallowed = ZERO
            if taxable and gain < 0 and lot.basis_known:
                disallowed = self._wash_sale(order, txn.trade_date, lot, held_from, sold, -gain)
            self.reliefs.append(
                LotRelief(
                    lot_id=lot.lot_id,
                    account_id=txn.account_id,
                    security_id=security,
                    opening_txn_id=lot.opening_txn_id,
                    sale_txn_id=txn.id,
                    acquired=acquired,
                    holding_period_start=held_from,
                    sold=txn.trade_date,
                    quantity=sold,
                    proceeds=lot_proceeds,
                    cost_basis=basis,
                    gain=gain,
                    wash_sale_disallowed=disallowed,
                    term=term(held_from, txn.trade_date),
                    code="W" if disallowed > 0 else "",
                    basis_unknown=not lot.basis_known,
                )
            )

    def _split(self, txn: LedgerTxn) -> None:
        new, old = txn.split_new, txn.split_old
        if txn.security_id is None or not positive(new) or not positive(old):
            raise LedgerError(ref(txn), "SPLIT needs a security and a ratio new:old above zero")
        for lot in self.positions.get((txn.account_id, txn.security_id), ()):
            lot.quantity_open = exact_quantity(lot.quantity_open * new / old)
            lot.quantity_original = exact_quantity(lot.quantity_original * new / old)
            self.used[lot.lot_id] = exact_quantity(self.used[lot.lot_id] * new / old)
        self._prune(txn.account_id, txn.security_id)

    def _transfer(self, txn: LedgerTxn) -> None:
        source, target = txn.account_id, txn.to_account_id
        if target is None or target not in self.accounts or target == source:
            raise LedgerError(ref(txn), "TRANSFER needs another account of the household")
        if txn.security_id is None:
            self.cash[source] -= txn.amount
            self.cash[target] += txn.amount
            return
        security, quantity = traded_shares(txn)
        for lot, moved in self._transfer_picks(txn, source, security, quantity):
            used = exact_quantity(self.used[lot.lot_id] * moved / lot.quantity_open)
            piece = self._split_off(lot, moved, used=used)
            position = self.positions[(source, security)]
            position[:] = [other for other in position if other is not piece]
            piece.account_id = target
            insort(self.positions.setdefault((target, security), []), piece, key=self._fifo)
        self._prune(source, security)

    def _transfer_picks(
        self, txn: LedgerTxn, account: int, security: int, quantity: Decimal
    ) -> list[tuple[Lot, Decimal]]:
        """Return the lots a transfer in kind moves: every lot, whole, when it moves the
        whole position without a lot selection (whatever the lot method: no choice is
        left to make); otherwise the lots a sale of that quantity would take."""
        position = self.positions.get((account, security), [])
        held = sum((lot.quantity_open for lot in position), ZERO)
        if not txn.lot_selection and position and quantity == held:
            return [(lot, lot.quantity_open) for lot in list(position)]
        return self._pick(txn, account, security, quantity)

    def _return_of_capital(self, txn: LedgerTxn) -> None:
        if txn.security_id is None:
            raise LedgerError(ref(txn), "RETURN_OF_CAPITAL needs a security")
        self.cash[txn.account_id] += txn.amount
        position = self.positions.get((txn.account_id, txn.security_id), [])
        shares = allocate(txn.amount, [lot.quantity_open for lot in position])
        for lot, share in zip(position, shares, strict=True):
            if not lot.basis_known:
                continue  # an unknown basis stays unknown; the cash is still received
            if share <= lot.cost_open:
                lot.cost_open -= share
                continue
            excess, lot.cost_open = share - lot.cost_open, ZERO
            self.reliefs.append(
                LotRelief(
                    lot_id=lot.lot_id,
                    account_id=lot.account_id,
                    security_id=lot.security_id,
                    opening_txn_id=lot.opening_txn_id,
                    sale_txn_id=txn.id,
                    acquired=lot.acquired,
                    holding_period_start=lot.holding_period_start,
                    sold=txn.trade_date,
                    quantity=ZERO,
                    proceeds=excess,
                    cost_basis=ZERO,
                    gain=excess,
                    wash_sale_disallowed=ZERO,
                    term=term(lot.holding_period_start, txn.trade_date),
                    code="",
                )
            )

    def _record_income(self, txn: LedgerTxn, amount: Decimal) -> None:
        self.income.append(
            IncomeEvent(txn.id, txn.account_id, txn.security_id, txn.trade_date, txn.type, amount)
        )

    # Choosing lots

    def _pick(
        self, txn: LedgerTxn, account: int, security: int, quantity: Decimal
    ) -> list[tuple[Lot, Decimal]]:
        """Return the lots a sale or transfer takes and how many shares of each, in order."""
        position = self.positions.get((account, security), [])
        held = sum((lot.quantity_open for lot in position), ZERO)
        if quantity > held:
            raise LedgerError(
                ref(txn), f"{txn.type} of {fmt(quantity)} exceeds the {fmt(held)} shares held"
            )
        if txn.lot_selection:
            return pick_specific(txn, position, quantity)
        method = (txn.lot_method or self.accounts[account].lot_method).lower()
        if method == "fifo":
            ordered = position
        elif method == "lifo":
            ordered = position[::-1]
        elif method == "hifo":
            # Stable sort: equal cost per share keeps FIFO order.
            ordered = sorted(
                position, key=lambda lot: lot.cost_open / lot.quantity_open, reverse=True
            )
        elif method == "specific":
            raise LedgerError(ref(txn), "specific identification needs a lot selection")
        else:
            raise LedgerError(ref(txn), f"unknown lot method {method!r}")
        picks: list[tuple[Lot, Decimal]] = []
        remaining = quantity
        for lot in ordered:
            take = min(remaining, lot.quantity_open)
            picks.append((lot, take))
            remaining -= take
            if remaining == 0:
                break
        return picks

    # Lot bookkeeping

    def _register(self, lot: Lot, *, used: Decimal) -> None:
        self.sequence += 1
        key = self.fifo_key[lot.lot_id] = (lot.acquired, lot.opening_txn_id, self.sequence)
        self.used[lot.lot_id] = used
        position = self.positions.setdefault((lot.account_id, lot.security_id), [])
        # Lots mostly arrive in FIFO order: appending is then what ``insort`` would do (it
        # inserts after equal keys), without its search.
        if not position or key >= self.fifo_key[position[-1].lot_id]:
            position.append(lot)
        else:
            insort(position, lot, key=self._fifo)
        self.pieces.setdefault(lot.opening_txn_id, []).append(lot)

    def _fifo(self, lot: Lot) -> tuple[date, int, int]:
        return self.fifo_key[lot.lot_id]

    def _split_off(self, lot: Lot, quantity: Decimal, *, used: Decimal) -> Lot:
        """Return a lot of ``quantity`` shares cut from ``lot`` (the lot itself if it is all of
        it). The piece takes its share of the basis rounded to the cent and ``used`` of the
        lot's already-matched replacement shares; the remainder keeps the rest."""
        if quantity == lot.quantity_open:
            return lot
        self.children[lot.lot_id] = self.children.get(lot.lot_id, 0) + 1
        cost = cents(lot.cost_open * quantity / lot.quantity_open)
        wash = cents(lot.wash_sale_adjustment * quantity / lot.quantity_open)
        piece = Lot(
            lot_id=f"{lot.lot_id}.{self.children[lot.lot_id]}",
            account_id=lot.account_id,
            security_id=lot.security_id,
            opening_txn_id=lot.opening_txn_id,
            acquired=lot.acquired,
            holding_period_start=lot.holding_period_start,
            quantity_original=quantity,
            quantity_open=quantity,
            cost_original=cost,
            cost_open=cost,
            wash_sale_adjustment=wash,
            basis_known=lot.basis_known,
        )
        lot.quantity_open -= quantity
        lot.quantity_original -= quantity
        lot.cost_open -= cost
        lot.cost_original -= cost
        lot.wash_sale_adjustment -= wash
        self.used[lot.lot_id] -= used
        self._register(piece, used=used)
        return piece

    def _relieve(self, lot: Lot, quantity: Decimal) -> Decimal:
        """Close ``quantity`` shares of the lot and return the basis relieved."""
        if quantity == lot.quantity_open:
            basis, lot.cost_open, lot.wash_sale_adjustment = lot.cost_open, ZERO, ZERO
            self.used[lot.lot_id] = ZERO
        else:
            basis = cents(lot.cost_open * quantity / lot.quantity_open)
            lot.cost_open -= basis
            lot.wash_sale_adjustment -= cents(
                lot.wash_sale_adjustment * quantity / lot.quantity_open
            )
            used = self.used[lot.lot_id]
            self.used[lot.lot_id] = used - exact_quantity(used * quantity / lot.quantity_open)
        lot.quantity_open -= quantity
        return basis

    def _prune(self, account: int, security: int) -> None:
        position = [
            lot for lot in self.positions.get((account, security), []) if lot.quantity_open > 0
        ]
        if position:
            self.positions[(account, security)] = position
        else:
            self.positions.pop((account, security), None)

    def _is_taxable(self, account_id: int) -> bool:
        return self.accounts[account_id].tax_treatment == TaxTreatment.TAXABLE

    # Wash sales

    def _wash_sale(
        self, order: Order, sold_on: date, lot: Lot, held_from: date, sold: Decimal, loss: Decimal
    ) -> Decimal:
        """Match replacement shares to a loss relief and return the loss disallowed.

        Called only for sales in taxable accounts (a loss inside an IRA is no tax event).
        1. Walk the purchases of the sold security's identity group dated 30 days before to
           30 days after the sale, in the order they were bought (Pub 550).
        2. A purchase already replayed offers the shares it still has open that are not yet
           matched; the shares this sale closed are gone by now, and the rest of the sold
           lot's own purchase never counts (Rev. Rul. 56-602: a bona fide sale of part of one
           purchase). A purchase still to come offers the shares no earlier sale reserved.
        3. Each block disallows its share of the loss (``disallowed_parts``).
        4. Replacement shares in a taxable account get the disallowed loss added to their basis
           and the sold shares' holding period (Treas. Reg. §1.1091-2, IRC §1223(3)), cut into
           a lot of their own; in a tax-deferred or tax-exempt account they are only used up,
           and the loss is lost for good (Rev. Rul. 2008-5).
        """
        group = identity_key(lot.security_id, self.groups)
        matches: list[tuple[Decimal, Lot | PurchaseEvent]] = []
        needed = sold
        for event in self.purchases.window(group, sold_on):
            if event.order > order:
                take = min(needed, event.unreserved)
                if take > 0:
                    matches.append((take, event))
                    needed -= take
            elif event.txn_id != lot.opening_txn_id:
                for candidate in self.pieces.get(event.txn_id, ()):
                    take = min(needed, candidate.quantity_open - self.used[candidate.lot_id])
                    if take > 0:
                        matches.append((take, candidate))
                        needed -= take
                    if needed == 0:
                        break
            if needed == 0:
                break
        parts = disallowed_parts(loss, sold, [take for take, _ in matches])
        days_held = (sold_on - held_from).days
        for (take, target), part in zip(matches, parts, strict=True):
            if isinstance(target, PurchaseEvent):
                adjust = self._is_taxable(target.account_id)
                target.reserved += take
                target.reservations.append(Reservation(take, part, days_held, adjust))
            else:
                adjust = self._is_taxable(target.account_id)
                self._take_replacement(target, Reservation(take, part, days_held, adjust))
        return sum(parts, ZERO)

    def _take_replacement(self, lot: Lot, match: Reservation) -> None:
        """Use ``match.quantity`` unmatched shares of the lot as wash-sale replacements."""
        if not match.adjust_basis:
            self.used[lot.lot_id] += match.quantity
            return
        piece = self._split_off(lot, match.quantity, used=ZERO)
        self.used[piece.lot_id] = piece.quantity_open
        piece.cost_open += match.disallowed
        piece.cost_original += match.disallowed
        piece.wash_sale_adjustment += match.disallowed
        piece.holding_period_start = replacement_holding_start(piece.acquired, match.days_held)
