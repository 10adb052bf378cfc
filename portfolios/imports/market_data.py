"""Parse market-data files: daily closes and dividend events (DESIGN §3).

Prices: ``symbol,date,close``. Dividends: ``symbol,ex_date,pay_date,amount`` (amount per
share). Headers are case-insensitive and in any order; extra columns are ignored; blank
lines are skipped but counted, the header being line 1. Every bad row is reported with
its line and column, in the same form as transaction imports. A (symbol, date) pair given
twice is an error rather than a silent overwrite.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from portfolios.imports.csv_records import ColumnIndex, CsvRecord, read_csv_records
from portfolios.imports.decoding import decode_text
from portfolios.imports.rows import MAX_SYMBOL_LENGTH, ImportFileError, RowError
from portfolios.imports.values import ValueProblem, parse_iso_date, parse_unsigned_decimal


class PriceRow(NamedTuple):
    """One daily close."""

    line: int
    symbol: str
    date: date
    close: Decimal


class DividendRow(NamedTuple):
    """One dividend event, per share."""

    line: int
    symbol: str
    ex_date: date
    pay_date: date
    amount: Decimal


def parse_prices_csv(content: bytes | str) -> tuple[list[PriceRow], list[RowError]]:
    """Return the closes of a ``symbol,date,close`` file and every bad row.

    Raises ImportFileError for a file that is too big, not text, empty, or lacks a column.
    """
    rows: list[PriceRow] = []
    errors: list[RowError] = []
    first_line: dict[tuple[str, date], int] = {}
    for record, cells in _data_records(content, ("symbol", "date", "close")):
        symbol = cells.symbol("symbol")
        day = cells.day("date")
        close = cells.positive("close")
        if cells.errors or symbol is None or day is None or close is None:
            errors.extend(cells.errors)
            continue
        if (symbol, day) in first_line:
            errors.append(
                RowError(
                    record.line,
                    "date",
                    f"{symbol} on {day.isoformat()} is already on line {first_line[symbol, day]}",
                )
            )
            continue
        first_line[symbol, day] = record.line
        rows.append(PriceRow(record.line, symbol, day, close))
    return rows, errors


def parse_dividends_csv(content: bytes | str) -> tuple[list[DividendRow], list[RowError]]:
    """Return the events of a ``symbol,ex_date,pay_date,amount`` file and every bad row.

    Raises ImportFileError for a file that is too big, not text, empty, or lacks a column.
    """
    rows: list[DividendRow] = []
    errors: list[RowError] = []
    first_line: dict[tuple[str, date], int] = {}
    required = ("symbol", "ex_date", "pay_date", "amount")
    for record, cells in _data_records(content, required):
        symbol = cells.symbol("symbol")
        ex_date = cells.day("ex_date")
        pay_date = cells.day("pay_date")
        amount = cells.positive("amount")
        if cells.errors or symbol is None or ex_date is None or pay_date is None or amount is None:
            errors.extend(cells.errors)
            continue
        if (symbol, ex_date) in first_line:
            errors.append(
                RowError(
                    record.line,
                    "ex_date",
                    f"{symbol} ex {ex_date.isoformat()} is already on line "
                    f"{first_line[symbol, ex_date]}",
                )
            )
            continue
        first_line[symbol, ex_date] = record.line
        rows.append(DividendRow(record.line, symbol, ex_date, pay_date, amount))
    return rows, errors


class _Cells:
    """Read one record's cells, collecting a RowError for every bad value."""

    def __init__(self, record: CsvRecord, columns: ColumnIndex) -> None:
        self.record = record
        self.columns = columns
        self.errors: list[RowError] = []

    def _value(self, column: str, parse: Callable[[str], object]) -> object | None:
        raw = self.columns.get(self.record, column)
        if not raw:
            self.errors.append(RowError(self.record.line, column, "is required"))
            return None
        try:
            return parse(raw)
        except ValueProblem as problem:
            self.errors.append(RowError(self.record.line, column, str(problem)))
            return None

    def symbol(self, column: str) -> str | None:
        value = self._value(column, lambda raw: raw.upper())
        if isinstance(value, str) and len(value) > MAX_SYMBOL_LENGTH:
            self.errors.append(
                RowError(self.record.line, column, f"is longer than {MAX_SYMBOL_LENGTH} characters")
            )
            return None
        return value if isinstance(value, str) else None

    def day(self, column: str) -> date | None:
        value = self._value(column, parse_iso_date)
        return value if isinstance(value, date) else None

    def positive(self, column: str) -> Decimal | None:
        value = self._value(column, parse_unsigned_decimal)
        if isinstance(value, Decimal) and value == 0:
            raw = self.columns.get(self.record, column)
            self.errors.append(
                RowError(self.record.line, column, f"must be a positive number, got '{raw}'")
            )
            return None
        return value if isinstance(value, Decimal) else None


def _data_records(
    content: bytes | str, required: tuple[str, ...]
) -> list[tuple[CsvRecord, _Cells]]:
    text = decode_text(content) if isinstance(content, bytes) else content
    records = read_csv_records(text)
    header = next((record for record in records if not record.is_blank), None)
    if header is None:
        raise ImportFileError("the file is empty")
    columns = ColumnIndex(header)
    columns.require(*required)
    data = []
    for record in records:
        if record.is_blank:
            continue
        cells = _Cells(record, columns)
        if columns.extra_cells(record):
            cells.errors.append(
                RowError(
                    record.line,
                    None,
                    f"has {len(record.cells)} fields but the header has {columns.width}; "
                    'a number with a thousands separator must be quoted, e.g. "1,234.50"',
                )
            )
        data.append((record, cells))
    return data
