"""Parse Hearth CSV, the app's own transaction layout (DESIGN §3).

A header row names the columns, in any order, compared case-insensitively with
surrounding whitespace ignored; unknown columns are ignored. ``date``, ``account`` and
``type`` are required columns. Every data row is checked in full and every problem is
reported, so one pass over the file shows the user everything to fix.

Rules by type, beyond the column formats:

1. BUY, SELL, REINVEST: ``symbol``, ``quantity`` > 0, and ``price`` or ``amount``;
   ``amount`` defaults to quantity x price. A REINVEST amount must be above zero.
2. DIVIDEND, RETURN_OF_CAPITAL: ``symbol`` and ``amount`` > 0.
3. INTEREST, OPTION_PREMIUM, FEE, TAX_WITHHELD, DEPOSIT, WITHDRAWAL: ``amount`` > 0;
   ``symbol`` optional.
4. SPLIT: ``symbol`` and ``ratio`` ``new:old`` with both sides positive.
5. TRANSFER: ``to_account`` (another account); either cash (``amount`` > 0) or shares in
   kind (``symbol`` and ``quantity``).
5a. OPENING: ``symbol`` and ``quantity`` > 0; ``amount`` is the lot's cost basis
   (default quantity x price when a price is given); blank means the basis is unknown.
6. ``ratio``, ``to_account``, ``lots`` and ``income_class`` belong to SPLIT, TRANSFER,
   SELL and DIVIDEND rows; ``income_class`` is also accepted on REINVEST, whose dividend
   half is income too. On any other type they are an error rather than silently ignored.
7. ``id`` is unique per account within the file; rows without one get a content hash
   (see ``external_ids``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from portfolios.imports.csv_records import ColumnIndex, CsvRecord, read_csv_records
from portfolios.imports.external_ids import assign_external_ids
from portfolios.imports.rows import (
    INCOME_CLASSES,
    MAX_EXTERNAL_ID_LENGTH,
    MAX_MEMO_LENGTH,
    MAX_SYMBOL_LENGTH,
    TRANSACTION_TYPES,
    ZERO,
    ImportFileError,
    ParsedRow,
    ParseResult,
    RowError,
)
from portfolios.imports.values import (
    ValueProblem,
    decimal_text,
    parse_iso_date,
    parse_unsigned_decimal,
)

FORMAT = "hearth"
REQUIRED_COLUMNS = ("date", "account", "type")

SYMBOL_REQUIRED = frozenset(
    {"BUY", "SELL", "DIVIDEND", "REINVEST", "SPLIT", "RETURN_OF_CAPITAL", "OPENING"}
)
TRADE_TYPES = frozenset({"BUY", "SELL", "REINVEST"})
CASH_TYPES = frozenset(
    {
        "DIVIDEND",
        "INTEREST",
        "OPTION_PREMIUM",
        "FEE",
        "TAX_WITHHELD",
        "DEPOSIT",
        "WITHDRAWAL",
        "RETURN_OF_CAPITAL",
    }
)
INCOME_CLASS_TYPES = frozenset({"DIVIDEND", "REINVEST"})
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_RATIO = re.compile(r"^\s*([^:]+?)\s*:\s*([^:]+?)\s*$")


def parse_hearth_csv(text: str) -> ParseResult:
    """Return the rows and row errors of a Hearth CSV file.

    Raises ImportFileError when the file is empty or its header lacks a required column.
    """
    records = read_csv_records(text)
    header = _first_filled(records)
    if header is None:
        raise ImportFileError("the file is empty")
    columns = ColumnIndex(header)
    columns.require(*REQUIRED_COLUMNS)

    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    first_use_of_id: dict[tuple[str, str], int] = {}
    for record in records:
        if record.is_blank:
            continue
        row, row_errors = _parse_record(record, columns)
        errors.extend(row_errors)
        if row is None:
            continue
        if row.external_id:
            key = ((row.account or "").casefold(), row.external_id)
            if key in first_use_of_id:
                errors.append(
                    RowError(
                        row.line,
                        "id",
                        f"'{row.external_id}' is already used on line {first_use_of_id[key]} "
                        f"for account '{row.account}'",
                    )
                )
                continue
            first_use_of_id[key] = row.line
        rows.append(row)
    return ParseResult(rows=assign_external_ids(rows), errors=errors, format=FORMAT)


def _first_filled(records: Iterator[CsvRecord]) -> CsvRecord | None:
    for record in records:
        if not record.is_blank:
            return record
    return None


class _RecordReader:
    """Read one record's cells, collecting a RowError for every bad value."""

    def __init__(self, record: CsvRecord, columns: ColumnIndex) -> None:
        self.record = record
        self.columns = columns
        self.errors: list[RowError] = []

    def fail(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.record.line, column, message))

    def has_error(self, column: str) -> bool:
        return any(error.column == column for error in self.errors)

    def text(self, column: str) -> str:
        return self.columns.get(self.record, column)

    def required_text(self, column: str) -> str | None:
        value = self.text(column)
        if not value:
            self.fail(column, "is required")
            return None
        return value

    def bounded_text(self, column: str, limit: int) -> str:
        value = self.text(column)
        if len(value) > limit:
            self.fail(column, f"is longer than {limit} characters")
        return value

    def free_text(self, column: str, limit: int) -> str:
        """Free text as written: nothing stripped, so "\t=1+1" stays what it was."""
        value = self.columns.get_raw(self.record, column)
        if len(value) > limit:
            self.fail(column, f"is longer than {limit} characters")
        return value

    def iso_date(self, column: str) -> date | None:
        value = self.required_text(column)
        if value is None:
            return None
        try:
            return parse_iso_date(value)
        except ValueProblem as problem:
            self.fail(column, str(problem))
            return None

    def type(self, column: str) -> str | None:
        value = self.required_text(column)
        if value is None:
            return None
        upper = value.upper()
        if upper not in TRANSACTION_TYPES:
            self.fail(column, f"must be one of {', '.join(TRANSACTION_TYPES)}, got '{value}'")
            return None
        return upper

    def symbol(self, column: str) -> str | None:
        value = self.bounded_text(column, MAX_SYMBOL_LENGTH)
        return value.upper() or None

    def number(self, column: str, *, above_zero: bool = False) -> Decimal | None:
        raw = self.text(column)
        if not raw:
            return None
        try:
            value = parse_unsigned_decimal(raw)
        except ValueProblem as problem:
            self.fail(column, str(problem))
            return None
        if above_zero and value == 0:
            self.fail(column, f"must be a positive number, got '{raw}'")
            return None
        return value

    def currency(self, column: str) -> str | None:
        raw = self.text(column)
        if not raw:
            return None
        if not _CURRENCY.match(raw):
            self.fail(column, f"must be a 3-letter ISO 4217 code such as USD, got '{raw}'")
            return None
        return raw.upper()

    def ratio(self, column: str) -> tuple[Decimal, Decimal] | None:
        raw = self.text(column)
        if not raw:
            return None
        match = _RATIO.match(raw)
        if not match:
            self.fail(column, f"must be new:old, e.g. 2:1 or 1:10, got '{raw}'")
            return None
        try:
            new, old = (parse_unsigned_decimal(part) for part in match.groups())
        except ValueProblem:
            self.fail(column, f"must be new:old with two positive numbers, got '{raw}'")
            return None
        if new == 0 or old == 0:
            self.fail(column, f"both sides must be positive, got '{raw}'")
            return None
        return new, old

    def income_class(self, column: str) -> str | None:
        raw = self.text(column)
        if not raw:
            return None
        value = raw.lower()
        if value not in INCOME_CLASSES:
            self.fail(column, f"must be one of {', '.join(INCOME_CLASSES)}, got '{raw}'")
            return None
        return value

    def lots(self, column: str) -> tuple[tuple[str, Decimal | None], ...]:
        raw = self.text(column)
        selections: list[tuple[str, Decimal | None]] = []
        seen: set[str] = set()
        for part in (piece.strip() for piece in raw.split(";")):
            if not part:
                continue
            lot_id, separator, quantity_text = part.rpartition(":")
            if not separator:
                lot_id, quantity = part, None
            else:
                lot_id = lot_id.strip()
                try:
                    quantity = parse_unsigned_decimal(quantity_text)
                except ValueProblem:
                    quantity = None
                if quantity is None or quantity == 0:
                    self.fail(
                        column,
                        f"the quantity after ':' in '{part}' must be a positive number",
                    )
                    continue
            if not lot_id:
                self.fail(column, f"'{part}' has no lot id; write ID or ID:QTY")
                continue
            if lot_id in seen:
                self.fail(column, f"lot '{lot_id}' is listed twice")
                continue
            seen.add(lot_id)
            selections.append((lot_id, quantity))
        return tuple(selections)


def _parse_record(
    record: CsvRecord, columns: ColumnIndex
) -> tuple[ParsedRow | None, list[RowError]]:
    """Return the row a record describes, or None and the reasons it is invalid."""
    reader = _RecordReader(record, columns)
    if columns.extra_cells(record):
        reader.fail(
            None,
            f"has {len(record.cells)} fields but the header has {columns.width}; "
            'a number with a thousands separator must be quoted, e.g. "1,234.50"',
        )
        return None, reader.errors

    trade_date = reader.iso_date("date")
    account = reader.required_text("account")
    type_ = reader.type("type")
    symbol = reader.symbol("symbol")
    quantity = reader.number("quantity", above_zero=True)
    price = reader.number("price")
    amount = reader.number("amount")
    fees = reader.number("fees")
    currency = reader.currency("currency")
    ratio = reader.ratio("ratio")
    to_account = reader.text("to_account") or None
    lots = reader.lots("lots")
    income_class = reader.income_class("income_class")
    external_id = reader.bounded_text("id", MAX_EXTERNAL_ID_LENGTH)
    memo = reader.free_text("memo", MAX_MEMO_LENGTH)

    if type_ is not None:
        amount = _apply_type_rules(
            reader,
            type_,
            account=account,
            symbol=symbol,
            quantity=quantity,
            price=price,
            amount=amount,
            ratio=ratio,
            to_account=to_account,
            lots=lots,
            income_class=income_class,
        )
    basis_unknown = type_ == "OPENING" and amount is None and not reader.errors
    if basis_unknown:
        amount = ZERO
    if reader.errors or trade_date is None or type_ is None or amount is None:
        return None, reader.errors
    return (
        ParsedRow(
            line=record.line,
            trade_date=trade_date,
            account=account,
            type=type_,
            symbol=symbol,
            quantity=quantity,
            price=price,
            amount=amount,
            fees=fees if fees is not None else ZERO,
            currency=currency,
            split_new=ratio[0] if ratio else None,
            split_old=ratio[1] if ratio else None,
            to_account=to_account,
            lots=lots,
            income_class=income_class,
            external_id=external_id,
            memo=memo,
            basis_unknown=basis_unknown,
        ),
        [],
    )


def _apply_type_rules(
    reader: _RecordReader,
    type_: str,
    *,
    account: str | None,
    symbol: str | None,
    quantity: Decimal | None,
    price: Decimal | None,
    amount: Decimal | None,
    ratio: tuple[Decimal, Decimal] | None,
    to_account: str | None,
    lots: tuple[tuple[str, Decimal | None], ...],
    income_class: str | None,
) -> Decimal | None:
    """Check what the row's type needs and return its amount (with defaults applied)."""
    if type_ in SYMBOL_REQUIRED and symbol is None:
        reader.fail("symbol", f"is required for {type_} rows")
    if ratio is not None and type_ != "SPLIT":
        reader.fail("ratio", "only applies to SPLIT rows")
    if to_account is not None and type_ != "TRANSFER":
        reader.fail("to_account", "only applies to TRANSFER rows")
    if lots and type_ != "SELL":
        reader.fail("lots", "only applies to SELL rows")
    if income_class is not None and type_ not in INCOME_CLASS_TYPES:
        reader.fail("income_class", "only applies to DIVIDEND and REINVEST rows")

    if type_ in TRADE_TYPES:
        if quantity is None and not reader.text("quantity"):
            reader.fail("quantity", f"is required for {type_} rows")
        if price is None and amount is None:
            if not reader.text("price") and not reader.text("amount"):
                reader.fail("amount", f"{type_} rows need a price or an amount")
        elif amount is None and quantity is not None and price is not None:
            amount = quantity * price
        if type_ == "REINVEST" and amount is not None and amount == 0:
            reader.fail("amount", "must be above zero for REINVEST rows")
        if lots and quantity is not None and not reader.has_error("lots"):
            _check_lot_quantities(reader, lots, quantity)
        return amount
    if type_ in CASH_TYPES:
        return _positive_amount(reader, f"{type_} rows", amount)
    if type_ == "OPENING":
        if quantity is None and not reader.text("quantity"):
            reader.fail("quantity", "is required for OPENING rows")
        if amount is None and quantity is not None and price is not None:
            amount = quantity * price
        return amount  # None: the basis is unknown
    if type_ == "SPLIT":
        if ratio is None and not reader.text("ratio"):
            reader.fail("ratio", "is required for SPLIT rows, as new:old (e.g. 2:1)")
        return amount if amount is not None else ZERO
    # TRANSFER
    if to_account is None:
        reader.fail("to_account", "is required for TRANSFER rows")
    elif account is not None and to_account.casefold() == account.casefold():
        reader.fail("to_account", "must be a different account than account")
    if symbol is not None:
        if quantity is None and not reader.text("quantity"):
            reader.fail("quantity", "is required for a TRANSFER of shares (symbol is set)")
        return amount if amount is not None else ZERO
    return _positive_amount(reader, "a cash TRANSFER (one without a symbol)", amount)


def _positive_amount(
    reader: _RecordReader, needed_for: str, amount: Decimal | None
) -> Decimal | None:
    raw = reader.text("amount")
    if amount is None:
        if not raw:
            reader.fail("amount", f"is required for {needed_for}")
        return None
    if amount == 0:
        reader.fail("amount", f"must be a positive number, got '{raw}'")
    return amount


def _check_lot_quantities(
    reader: _RecordReader, lots: tuple[tuple[str, Decimal | None], ...], quantity: Decimal
) -> None:
    given = [lot_quantity for _, lot_quantity in lots if lot_quantity is not None]
    total = sum(given, ZERO)
    if len(given) == len(lots) and total != quantity:
        reader.fail(
            "lots",
            f"lot quantities add up to {decimal_text(total)}, "
            f"but quantity is {decimal_text(quantity)}",
        )
    elif len(given) < len(lots) and total >= quantity:
        reader.fail(
            "lots",
            f"lot quantities already add up to {decimal_text(total)} of "
            f"{decimal_text(quantity)}, leaving nothing for the lots without a quantity",
        )
