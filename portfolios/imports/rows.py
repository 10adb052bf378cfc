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
    brings in amount - fees.
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

    @property
    def ok(self) -> bool:
        """Return True when no row has an error."""
        return not self.errors
