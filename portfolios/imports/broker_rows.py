"""Turn one line of a broker's CSV export into a Hearth row (shared by every broker).

Each broker module reads its own layout into a ``BrokerLine`` (values signed the way the
broker writes them: cash out negative) and decides from the action text which
``ActionMapping`` applies. ``broker_row`` then applies the rules below, the same for every
broker:

1. A *skip* mapping names a known no-op (a money-market sweep, an option expiring
   worthless): the line becomes a ``SkippedRow`` with the reason. A *reject* mapping names
   something the broker reports that Hearth cannot represent from the file alone: the line
   becomes a ``RowError`` saying what to do instead. Nothing is dropped silently.
2. The cash direction must match the type (a DIVIDEND brings cash in, a FEE takes it out);
   a mapping with a ``negative_type`` picks between the two by the sign (DEPOSIT or
   WITHDRAWAL). A line whose sign contradicts its type (a dividend reversal, a tax refund)
   is a RowError: Hearth amounts are positive and those have no type.
3. BUY, SELL and OPTION_PREMIUM take the gross value from the broker's principal when it
   gives one, otherwise from its net cash: a BUY's gross is net - fees, a SELL's is
   net + fees. So a buy costs exactly what the statement says, to the cent, even when the
   printed price is rounded. Bond accrued interest stays inside the gross.
4. Cash rows (dividends, interest, fees, flows) carry the net amount and no fees; a line
   that moves no cash at all is skipped.
5. A SPLIT needs a ratio; brokers usually print only the shares added, so the ratio is
   read from the description ("2 FOR 1") and the line is a RowError when there is none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portfolios.imports.csv_records import ColumnIndex, CsvRecord
from portfolios.imports.external_ids import assign_external_ids
from portfolios.imports.rows import (
    MAX_MEMO_LENGTH,
    MAX_SYMBOL_LENGTH,
    ZERO,
    ImportFileError,
    ParsedRow,
    ParseResult,
    RowError,
    SkippedRow,
)
from portfolios.imports.values import (
    ValueProblem,
    decimal_text,
    parse_broker_amount,
    split_ratio_in_text,
)

# +1: the type brings cash in, -1: it takes cash out.
CASH_DIRECTION = {
    "BUY": -1,
    "SELL": 1,
    "OPTION_PREMIUM": 1,
    "DIVIDEND": 1,
    "INTEREST": 1,
    "RETURN_OF_CAPITAL": 1,
    "DEPOSIT": 1,
    "FEE": -1,
    "TAX_WITHHELD": -1,
    "WITHDRAWAL": -1,
}
TRADE_TYPES = frozenset({"BUY", "SELL", "OPTION_PREMIUM"})
SECURITY_TYPES = frozenset({"BUY", "SELL", "DIVIDEND", "RETURN_OF_CAPITAL", "SPLIT"})

OPTIONS_UNSUPPORTED = (
    "only writing options (sell to open) can be imported; enter other option trades by hand"
)
SHARES_MOVED = (
    "shares moved between accounts; enter this as a TRANSFER row in a Hearth CSV, "
    "which names both accounts"
)


@dataclass(frozen=True, slots=True)
class ActionMapping:
    """What a broker's action means in Hearth terms."""

    type: str | None = None
    negative_type: str | None = None
    income_class: str | None = None
    skip: str | None = None
    reject: str | None = None
    cash_only: bool = False


def maps_to(type_: str, *, income_class: str | None = None) -> ActionMapping:
    """Return a mapping to one Hearth type."""
    return ActionMapping(type=type_, income_class=income_class)


def cash_flow(*, cash_only: bool = True) -> ActionMapping:
    """Return a mapping to DEPOSIT or WITHDRAWAL, by the sign of the cash."""
    return ActionMapping(type="DEPOSIT", negative_type="WITHDRAWAL", cash_only=cash_only)


def skipped(reason: str) -> ActionMapping:
    """Return a mapping for a known no-op."""
    return ActionMapping(skip=reason)


def rejected(reason: str) -> ActionMapping:
    """Return a mapping for something the file cannot tell Hearth enough about."""
    return ActionMapping(reject=reason)


@dataclass(frozen=True, slots=True)
class BrokerColumns:
    """The broker's own names for the columns errors point at."""

    action: str
    symbol: str
    quantity: str
    amount: str


@dataclass(frozen=True, slots=True)
class BrokerLine:
    """The values of one broker export line, signed as the broker writes them."""

    line: int
    trade_date: date
    action: str
    symbol: str | None
    description: str
    quantity: Decimal | None
    price: Decimal | None
    fees: Decimal
    net: Decimal | None
    gross: Decimal | None = None
    currency: str | None = None
    external_id: str = ""
    security_name: str | None = None
    description_is_security_name: bool = True

    @property
    def name_of_security(self) -> str | None:
        """Return the security's name: the broker's own field, else the description when
        the broker uses it for the security's name."""
        if not self.symbol:
            return None
        if self.security_name:
            return self.security_name
        return (self.description or None) if self.description_is_security_name else None


BrokerOutcome = ParsedRow | SkippedRow | RowError


class CellReader:
    """Read the cells of one record, collecting a RowError for each unreadable value."""

    def __init__(self, record: CsvRecord, columns: ColumnIndex) -> None:
        self.record = record
        self.columns = columns
        self.errors: list[RowError] = []

    def text(self, *names: str) -> str:
        return self.columns.get(self.record, *names)

    def amount(self, *names: str) -> Decimal | None:
        raw = self.text(*names)
        try:
            return parse_broker_amount(raw)
        except ValueProblem as problem:
            self.errors.append(RowError(self.record.line, self._name(names), str(problem)))
            return None

    def date(self, parse: Callable[[str], date], *names: str) -> date | None:
        raw = self.text(*names)
        if not raw:
            self.errors.append(RowError(self.record.line, self._name(names), "is required"))
            return None
        try:
            return parse(raw)
        except ValueProblem as problem:
            self.errors.append(RowError(self.record.line, self._name(names), str(problem)))
            return None

    def _name(self, names: tuple[str, ...]) -> str:
        return self.columns.first_present(*names) or names[0]


def clean_symbol(text: str) -> str | None:
    """Return a broker's symbol cell as a Hearth symbol, or None when blank."""
    symbol = text.strip().rstrip("*").strip().upper()
    if not symbol or symbol in {"--", "N/A"}:
        return None
    return symbol[:MAX_SYMBOL_LENGTH]


def normalized_action(text: str) -> str:
    """Return the action text upper-cased with runs of whitespace collapsed."""
    return " ".join(text.split()).upper()


def check_single_account(numbers: Iterable[str]) -> None:
    """Raise ImportFileError when the export mixes the transactions of several accounts."""
    distinct = sorted({number.strip() for number in numbers if number.strip()})
    if len(distinct) > 1:
        masked = ", ".join(f"...{number[-4:]}" for number in distinct)
        raise ImportFileError(
            f"the file holds the transactions of {len(distinct)} accounts ({masked}); "
            "export each account to its own file and import them one at a time"
        )


def is_footer(record: CsvRecord, looks_like_date: Callable[[str], bool]) -> bool:
    """Return True for disclaimer and total lines after the data: no date, few cells."""
    first = record.cells[0].strip() if record.cells else ""
    return not looks_like_date(first) and len(record.filled_cells()) < 3


def _memo(line: BrokerLine) -> str:
    memo = " ".join(line.action.split())
    description = " ".join(line.description.split())
    if description and description.upper() not in memo.upper():
        memo = f"{memo} | {description}" if memo else description
    return memo[:MAX_MEMO_LENGTH]


def broker_row(line: BrokerLine, mapping: ActionMapping, columns: BrokerColumns) -> BrokerOutcome:
    """Return the Hearth row for a broker line, or why it is skipped or refused."""
    if mapping.skip:
        return SkippedRow(line.line, mapping.skip)
    if mapping.reject:
        return RowError(line.line, columns.action, f"'{line.action}': {mapping.reject}")
    if mapping.cash_only and line.symbol and line.quantity:
        return RowError(line.line, columns.action, f"'{line.action}': {SHARES_MOVED}")
    type_ = mapping.type or ""
    if mapping.negative_type and line.net is not None and line.net < 0:
        type_ = mapping.negative_type
    if type_ in SECURITY_TYPES and not line.symbol:
        return RowError(line.line, columns.symbol, f"is required for a {type_} ('{line.action}')")
    if type_ == "SPLIT":
        return _split_row(line, columns)

    direction = CASH_DIRECTION[type_]
    if line.net is not None and line.net != 0 and (line.net > 0) != (direction > 0):
        verb = "bring cash in" if direction > 0 else "take cash out"
        return RowError(
            line.line,
            columns.amount,
            f"'{line.action}' is a {type_}, which should {verb}, but the amount is "
            f"{decimal_text(line.net)}; Hearth has no type for a reversal or refund, "
            "so enter it by hand",
        )
    if type_ in TRADE_TYPES:
        return _trade_row(line, type_, mapping, columns)
    if line.net is None:
        return RowError(line.line, columns.amount, f"is required for a {type_}")
    if line.net == 0:
        return SkippedRow(line.line, f"'{line.action}' moves no cash")
    return ParsedRow(
        line=line.line,
        trade_date=line.trade_date,
        type=type_,
        symbol=line.symbol,
        amount=abs(line.net),
        currency=line.currency,
        income_class=mapping.income_class,
        external_id=line.external_id,
        memo=_memo(line),
        security_name=line.name_of_security,
    )


def _trade_row(
    line: BrokerLine, type_: str, mapping: ActionMapping, columns: BrokerColumns
) -> BrokerOutcome:
    quantity = abs(line.quantity) if line.quantity is not None else None
    if type_ != "OPTION_PREMIUM" and not quantity:
        return RowError(line.line, columns.quantity, f"is required for a {type_}")
    price = abs(line.price) if line.price is not None else None
    if line.gross is not None and line.gross != 0:
        amount = abs(line.gross)
    elif line.net is not None and line.net != 0:
        amount = abs(line.net) - line.fees if type_ == "BUY" else abs(line.net) + line.fees
    elif quantity is not None and price is not None:
        amount = quantity * price
    else:
        return RowError(line.line, columns.amount, f"is required for a {type_}")
    if amount < 0:
        return RowError(
            line.line,
            columns.amount,
            f"fees of {decimal_text(line.fees)} exceed the trade's cash {decimal_text(line.net)}",
        )
    return ParsedRow(
        line=line.line,
        trade_date=line.trade_date,
        type=type_,
        symbol=line.symbol,
        quantity=quantity,
        price=price,
        amount=amount,
        fees=line.fees,
        currency=line.currency,
        income_class=mapping.income_class,
        external_id=line.external_id,
        memo=_memo(line),
        security_name=line.name_of_security,
    )


def _split_row(line: BrokerLine, columns: BrokerColumns) -> BrokerOutcome:
    ratio = split_ratio_in_text(f"{line.action} {line.description}")
    if ratio is None:
        added = f" (it only lists {decimal_text(line.quantity)} shares)" if line.quantity else ""
        return RowError(
            line.line,
            columns.action,
            f"the split ratio is not in the file{added}; add a SPLIT row with its ratio "
            "(e.g. 2:1) in a Hearth CSV instead",
        )
    return ParsedRow(
        line=line.line,
        trade_date=line.trade_date,
        type="SPLIT",
        symbol=line.symbol,
        amount=ZERO,
        split_new=ratio[0],
        split_old=ratio[1],
        currency=line.currency,
        external_id=line.external_id,
        memo=_memo(line),
        security_name=line.name_of_security,
    )


def broker_result(outcomes: Iterable[BrokerOutcome | list[RowError]], format_: str) -> ParseResult:
    """Return the ParseResult for a broker file's outcomes, ids assigned."""
    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    skipped_rows: list[SkippedRow] = []
    for outcome in outcomes:
        if isinstance(outcome, list):
            errors.extend(outcome)
        elif isinstance(outcome, ParsedRow):
            rows.append(outcome)
        elif isinstance(outcome, SkippedRow):
            skipped_rows.append(outcome)
        else:
            errors.append(outcome)
    return ParseResult(
        rows=assign_external_ids(rows), errors=errors, format=format_, skipped=skipped_rows
    )
