"""Record types shared by every import parser (DESIGN §3).

The parsers in this package are pure: they turn the bytes of a file into ``ParsedRow``
records and ``RowError`` findings and never touch the database. The import service decides
what to do with them (an import is all or nothing, so any error rejects the file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)

TRANSACTION_TYPES = (
    "BUY",
    "SELL",
    "DIVIDEND",
    "REINVEST",
    "INTEREST",
    "OPTION_PREMIUM",
    "FEE",
    "TAX_WITHHELD",
    "DEPOSIT",
    "WITHDRAWAL",
    "TRANSFER",
    "SPLIT",
    "RETURN_OF_CAPITAL",
    "OPENING",
)
INCOME_CLASSES = ("qualified", "ordinary", "return_of_capital", "capital_gain")

# Files larger than this are refused before any parsing (DESIGN §3, "Files users import").
MAX_FILE_BYTES = 20 * 1024 * 1024
# Transaction.external_id holds 120 characters; keep room for an occurrence suffix ("#12").
MAX_EXTERNAL_ID_LENGTH = 100
MAX_SYMBOL_LENGTH = 32
MAX_MEMO_LENGTH = 500


class ImportFileError(ValueError):
    """Raised when a whole file cannot be read: too big, not text, wrong layout."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedRow:
    """One transaction read from an import file, validated but not yet stored.

    ``line`` is the physical line where the row starts, counting the header as line 1
    (blank lines count too). For OFX files, which have no lines in that sense, it is the
    1-based position of the transaction in the file, in document order, with no offset:
    the first transaction is line 1.

    Money and quantities are positive; the direction comes from ``type`` (DESIGN §2).
    For BUY and SELL ``amount`` is the gross trade value: a BUY costs amount + fees, a SELL
    brings in amount - fees. An OPENING's ``amount`` is the lot's cost basis; with
    ``basis_unknown`` it is 0 and means "not known".

    Broker files name accounts by number: ``account_number`` (and ``to_account_number``
    for a TRANSFER whose other side the file names) as the file writes it, possibly masked
    ("XXXX-1234"); the import maps them onto the household's accounts. ``account`` is a
    Hearth account name (Hearth CSV only). A SPLIT whose file gives no ratio carries
    ``split_shares``, the shares it added (or removed, negative); the import works the
    ratio out from the position held that day.

    A few rows can only be completed against the position Hearth holds, which the import
    knows and the parser does not:
    ``only_if_held``: a SELL at 0 (an option expiring) that applies only when the account
    holds the shares, and is skipped otherwise (the option was written, its premium
    already recorded). ``sell_fraction``: cash in lieu of a fractional share, a SELL of
    the fraction held that day (a RETURN_OF_CAPITAL when none is). ``basis_proceeds``: a
    SELL whose proceeds are the basis of the shares it closes (no gain: shares exchanged in
    a merger, an option exercised). ``carry_basis_from``: the symbol whose
    ``basis_proceeds`` SELL on the same day and account moves its basis into this BUY (or,
    for a SELL, out of its proceeds). ``pending`` is the parsers' own marker for lines
    paired after the whole file is read; no row leaves a parser with one.
    """

    line: int
    trade_date: date
    account: str | None = None
    type: str
    symbol: str | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    amount: Decimal
    fees: Decimal = ZERO
    currency: str | None = None
    split_new: Decimal | None = None
    split_old: Decimal | None = None
    to_account: str | None = None
    lots: tuple[tuple[str, Decimal | None], ...] = ()
    income_class: str | None = None
    external_id: str = ""
    memo: str = ""
    security_name: str | None = None
    basis_unknown: bool = False
    account_number: str | None = None
    to_account_number: str | None = None
    split_shares: Decimal | None = None
    only_if_held: bool = False
    sell_fraction: bool = False
    basis_proceeds: bool = False
    carry_basis_from: str | None = None
    pending: str = ""

    @property
    def account_key(self) -> str:
        """Return what tells this row's account apart within its file."""
        return (self.account or "").strip().casefold() or (self.account_number or "")


@dataclass(frozen=True, slots=True)
class FileAccount:
    """An account a broker file names: its number and what the file says about it.

    ``type`` is a Hearth account type when the file says what kind of account it is
    (a 401(k) statement, "ROTH IRA" in an account column), else None.
    """

    number: str
    institution: str = ""
    label: str = ""
    type: str | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class StatementPosition:
    """A position a statement lists (OFX ``INVPOSLIST``), to compare with Hearth's."""

    account_number: str | None
    symbol: str
    quantity: Decimal
    as_of: date | None  # None: as the file was downloaded (compared with Hearth's latest)
    security_name: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one row: where it is and what is wrong."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"line {self.line}, column {self.column}: {self.message}"
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row deliberately not imported because it changes nothing Hearth tracks."""

    line: int
    reason: str


@dataclass
class ParseResult:
    """Everything a parser found in one file."""

    rows: list[ParsedRow]
    errors: list[RowError]
    format: str
    skipped: list[SkippedRow] = field(default_factory=list)
    accounts: list[FileAccount] = field(default_factory=list)
    positions: list[StatementPosition] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when no row has an error."""
        return not self.errors
