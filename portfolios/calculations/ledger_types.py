"""The lot engine's records: what goes in (accounts, transactions), what comes out (lots,
reliefs, income) and the error it raises. Pure: stdlib and ``Decimal`` only.

``lots.py`` re-exports every name here, so callers import from one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)


class TaxTreatment(StrEnum):
    TAXABLE = "taxable"
    TAX_DEFERRED = "tax_deferred"
    TAX_EXEMPT = "tax_exempt"


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """An account as the lot engine sees it."""

    id: int
    lot_method: str  # "fifo" | "lifo" | "hifo" | "specific"
    tax_treatment: TaxTreatment


@dataclass(frozen=True, slots=True)
class LedgerTxn:
    """A transaction as the lot engine sees it; amounts and quantities are positive."""

    id: int
    account_id: int
    trade_date: date
    type: str
    security_id: int | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    amount: Decimal = ZERO
    fees: Decimal = ZERO
    split_new: Decimal | None = None
    split_old: Decimal | None = None
    to_account_id: int | None = None
    lot_selection: tuple[tuple[int, Decimal | None], ...] = ()
    lot_method: str | None = None
    ref: str = ""
    basis_unknown: bool = False  # OPENING only: the cost basis is not known


@dataclass(slots=True)
class Lot:
    """An open tax lot: shares of one purchase held in one account.

    ``*_original`` describe the lot as it was cut: the purchase, or the piece split off it by
    a transfer or a wash-sale match (the remainder gives that piece up). A wash-sale
    adjustment counts as original basis; a return of capital lowers only ``cost_open``; a
    split rescales the quantities. So a lot's reliefs plus ``cost_open`` equal
    ``cost_original`` until a return of capital.
    """

    lot_id: str  # "<opening txn id>", or "<parent lot id>.<n>" for a piece cut from a lot
    account_id: int
    security_id: int
    opening_txn_id: int  # the BUY/REINVEST/OPENING, kept through transfers and pieces
    acquired: date
    holding_period_start: date  # earlier than acquired after a wash sale
    quantity_original: Decimal
    quantity_open: Decimal
    cost_original: Decimal
    cost_open: Decimal
    wash_sale_adjustment: Decimal  # disallowed loss carried by the open shares
    basis_known: bool = True  # False for a lot opened with unknown basis (cost 0 = unknown)


@dataclass(frozen=True, slots=True)
class LotRelief:
    """The part of a lot closed by a sale (or a return of capital beyond its basis)."""

    lot_id: str
    account_id: int
    security_id: int
    opening_txn_id: int
    sale_txn_id: int
    acquired: date
    holding_period_start: date
    sold: date
    quantity: Decimal
    proceeds: Decimal
    cost_basis: Decimal
    gain: Decimal  # proceeds - cost_basis
    wash_sale_disallowed: Decimal  # >= 0; taxable gain = gain + wash_sale_disallowed
    term: str  # "short" | "long"
    code: str  # "W" when wash_sale_disallowed > 0
    basis_unknown: bool = False  # relieved from a lot of unknown basis: no gain is known


@dataclass(frozen=True, slots=True)
class IncomeEvent:
    """Cash income received: dividends (incl. reinvested), interest, option premiums."""

    txn_id: int
    account_id: int
    security_id: int | None
    received: date
    type: str
    amount: Decimal


@dataclass
class LedgerResult:
    """The replayed ledger: what is open, what was closed, and the cash left."""

    lots: list[Lot]  # open lots by (account, security, acquired, opening txn)
    reliefs: list[LotRelief]  # in replay order, then lot order within a sale
    cash: dict[int, Decimal]  # every account, by id
    income: list[IncomeEvent] = field(default_factory=list)


class LedgerError(ValueError):
    """A transaction the ledger cannot apply, e.g. selling more shares than are held."""

    def __init__(self, ref: str, message: str) -> None:
        super().__init__(f"{ref}: {message}")
        self.ref = ref
        self.message = message
