"""Parse market-data files: daily closes and dividend events (DESIGN §3).

Prices: ``symbol,date,close``. Dividends: ``symbol,ex_date,pay_date,amount`` (amount per
share) with an optional ``income_class``; several distributions may share an ex-date when
their pay dates or income classes differ. Files are read as they go (a stream from a
command, of any size), never held whole. Headers are case-insensitive and in any order;
extra columns are ignored; blank lines are skipped but counted, the header being line 1.
Every bad row is reported with its line and column, in the same form as transaction
imports. A close given twice for one (symbol, date), or one event twice, is an error
rather than a silent overwrite.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import io
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple, TextIO

from portfolios.imports.csv_records import ColumnIndex, CsvRecord, read_csv_records, read_csv_rows
from portfolios.imports.decoding import decode_text
from portfolios.imports.rows import INCOME_CLASSES, MAX_SYMBOL_LENGTH, ImportFileError, RowError
from portfolios.imports.values import ValueProblem, parse_iso_date, parse_unsigned_decimal


class PriceRow(NamedTuple):
    """One daily close."""

    line: int
    symbol: str
    date: date
    close: Decimal


class DividendRow(NamedTuple):
    """One dividend event, per share; ``income_class`` is blank when the file has none."""

    line: int
    symbol: str
    ex_date: date
    pay_date: date
    amount: Decimal
    income_class: str = ""


class RawClose(NamedTuple):
    """A valid close as the file wrote it (for COPY: no Decimal or date objects made)."""

    line: int
    symbol: str
    day: str  # YYYY-MM-DD
    close: str  # plain digits and point


PRICE_COLUMNS = ("symbol", "date", "close")
DIVIDEND_COLUMNS = ("symbol", "ex_date", "pay_date", "amount")
_PLAIN_POSITIVE = re.compile(r"\d+(\.\d*)?|\.\d+")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
STREAM_SAMPLE_BYTES = 65_536
MAX_REMEMBERED_DAYS = 100_000  # ~270 years of days: bounded memory whatever the file


def iter_raw_closes(text: str | TextIO) -> Iterator[RawClose | RowError]:
    """Yield each close of a ``symbol,date,close`` file as written, or its errors, in file
    order, reading ``text`` as it goes (memory does not grow with the file).

    The common row (plain number, ISO date, known width) takes a fast path that builds no
    Decimal; any other row is checked cell by cell for the exact message. Duplicated
    (symbol, date) pairs are the caller's to find (see ``parse_prices_csv``).
    Raises ImportFileError for a file that is empty, lacks a column or is not text.
    """
    rows = read_csv_rows(text)
    columns = _header(rows, PRICE_COLUMNS)
    i_symbol, i_date, i_close = (_position(columns, name) for name in PRICE_COLUMNS)
    width = columns.width
    plain_positive = _PLAIN_POSITIVE.fullmatch
    real_days: set[str] = set()  # days already checked: a few thousand serve millions of rows
    raw_close = functools.partial(tuple.__new__, RawClose)  # no Python-level __new__ per row
    for line, cells in rows:
        if len(cells) <= width:
            try:
                symbol = cells[i_symbol].strip().upper()
                day = cells[i_date].strip()
                close = cells[i_close].strip()
            except IndexError:
                symbol = ""
            if (
                symbol
                and len(symbol) <= MAX_SYMBOL_LENGTH
                and (day in real_days or _real_iso_day(day, real_days))
                and plain_positive(close)
                and close.strip("0.")
            ):
                yield raw_close((line, symbol, day, close))
                continue
        record = CsvRecord(line=line, cells=tuple(cells))
        if record.is_blank:
            continue
        row = _price_row(record, columns)
        if isinstance(row, PriceRow):
            yield RawClose(row.line, row.symbol, row.date.isoformat(), _plain(row.close))
        else:
            yield from row


def _real_iso_day(day: str, real_days: set[str]) -> bool:
    """Return whether ``day`` is a real date written YYYY-MM-DD, remembering it if so."""
    if not _ISO_DAY.fullmatch(day):
        return False
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    if len(real_days) < MAX_REMEMBERED_DAYS:
        real_days.add(day)
    return True


def parse_prices_csv(content: bytes | str) -> tuple[list[PriceRow], list[RowError]]:
    """Return the closes of a ``symbol,date,close`` file and every bad row.

    Raises ImportFileError for a file that is too big, not text, empty, or lacks a column.
    """
    rows: list[PriceRow] = []
    errors: list[RowError] = []
    first_line: dict[tuple[str, str], int] = {}
    for item in iter_raw_closes(_text(content)):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        key = (item.symbol, item.day)
        if key in first_line:
            errors.append(price_duplicate_error(item.line, item.symbol, item.day, first_line[key]))
            continue
        first_line[key] = item.line
        rows.append(
            PriceRow(item.line, item.symbol, date.fromisoformat(item.day), Decimal(item.close))
        )
    return rows, errors


def price_duplicate_error(line: int, symbol: str, day: str, first: int) -> RowError:
    """Return the error of a close given twice for one symbol and day."""
    return RowError(line, "date", f"{symbol} on {day} is already on line {first}")


def iter_dividend_rows(text: str | TextIO) -> Iterator[DividendRow | RowError]:
    """Yield each event of a ``symbol,ex_date,pay_date,amount[,income_class]`` file, or its
    errors, in file order, reading ``text`` as it goes. Duplicates are the caller's."""
    records, columns = _records_after_header(text, DIVIDEND_COLUMNS)
    has_class = columns.has("income_class")
    for record in records:
        if record.is_blank:
            continue
        cells = _Cells(record, columns)
        _check_width(record, columns, cells)
        symbol = cells.symbol("symbol")
        ex_date = cells.day("ex_date")
        pay_date = cells.day("pay_date")
        amount = cells.positive("amount")
        income_class = cells.income_class("income_class") if has_class else ""
        if cells.errors or None in (symbol, ex_date, pay_date, amount, income_class):
            yield from cells.errors
            continue
        yield DividendRow(record.line, symbol, ex_date, pay_date, amount, income_class)


def parse_dividends_csv(content: bytes | str) -> tuple[list[DividendRow], list[RowError]]:
    """Return the events of a dividends file and every bad row. Several events may share
    an ex-date when their pay dates or income classes differ; the same (symbol, ex date,
    pay date, income class) twice is an error.

    Raises ImportFileError for a file that is too big, not text, empty, or lacks a column.
    """
    rows: list[DividendRow] = []
    errors: list[RowError] = []
    first_line: dict[tuple, int] = {}
    for item in iter_dividend_rows(_text(content)):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        key = dividend_key(item)
        if key in first_line:
            errors.append(dividend_duplicate_error(item, first_line[key]))
            continue
        first_line[key] = item.line
        rows.append(item)
    return rows, errors


def dividend_key(row: DividendRow) -> tuple[str, date, date, str]:
    """Return what tells one distribution from another: symbol, ex and pay date, class."""
    return (row.symbol, row.ex_date, row.pay_date, row.income_class)


def dividend_duplicate_error(row: DividendRow, first: int) -> RowError:
    """Return the error of an event given twice."""
    paid = f"paid {row.pay_date.isoformat()}"
    if row.income_class:
        paid += f", {row.income_class}"
    return RowError(
        row.line,
        "ex_date",
        f"{row.symbol} ex {row.ex_date.isoformat()} ({paid}) is already on line {first}",
    )


def _price_row(record: CsvRecord, columns: ColumnIndex) -> PriceRow | list[RowError]:
    cells = _Cells(record, columns)
    _check_width(record, columns, cells)
    symbol = cells.symbol("symbol")
    day = cells.day("date")
    close = cells.positive("close")
    if cells.errors or symbol is None or day is None or close is None:
        return cells.errors
    return PriceRow(record.line, symbol, day, close)


def _plain(value: Decimal) -> str:
    return format(value, "f")


def _position(columns: ColumnIndex, name: str) -> int:
    """Return the cell position of a required column (a marker record finds it)."""
    marker = CsvRecord(line=0, cells=tuple(str(i) for i in range(columns.width)))
    return int(columns.get(marker, name))


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

    def income_class(self, column: str) -> str | None:
        """Return the cell's income class in lower case, blank when empty."""
        raw = (self.columns.get(self.record, column) or "").strip().lower()
        if raw and raw not in INCOME_CLASSES:
            self.errors.append(
                RowError(self.record.line, column, f"must be one of {', '.join(INCOME_CLASSES)}")
            )
            return None
        return raw

    def positive(self, column: str) -> Decimal | None:
        value = self._value(column, parse_unsigned_decimal)
        if isinstance(value, Decimal) and value == 0:
            raw = self.columns.get(self.record, column)
            self.errors.append(
                RowError(self.record.line, column, f"must be a positive number, got '{raw}'")
            )
            return None
        return value if isinstance(value, Decimal) else None


def _text(content: bytes | str) -> str:
    return decode_text(content) if isinstance(content, bytes) else content


def _records_after_header(
    text: str | TextIO, required: tuple[str, ...]
) -> tuple[Iterator[CsvRecord], ColumnIndex]:
    """Return the records after the header (read lazily) and the header's columns."""
    records = read_csv_records(text)
    header = next((record for record in records if not record.is_blank), None)
    if header is None:
        raise ImportFileError("the file is empty")
    columns = ColumnIndex(header)
    columns.require(*required)
    return records, columns


def _header(rows: Iterator[tuple[int, Sequence[str]]], required: tuple[str, ...]) -> ColumnIndex:
    """Read the header from ``rows`` (the first non-blank one) and return its columns."""
    for line, cells in rows:
        record = CsvRecord(line=line, cells=tuple(cells))
        if not record.is_blank:
            columns = ColumnIndex(record)
            columns.require(*required)
            return columns
    raise ImportFileError("the file is empty")


def _check_width(record: CsvRecord, columns: ColumnIndex, cells: _Cells) -> None:
    if columns.extra_cells(record):
        cells.errors.append(
            RowError(
                record.line,
                None,
                f"has {len(record.cells)} fields but the header has {columns.width}; "
                'a number with a thousands separator must be quoted, e.g. "1,234.50"',
            )
        )


@contextlib.contextmanager
def open_text_stream(path: str | Path) -> Iterator[TextIO]:
    """Open a file for reading as text as it goes, with no size limit (commands).

    The first 64 KiB decide, as ``decode_text`` does for an upload: UTF-16 and files with
    NUL bytes are refused; UTF-8 (a byte-order mark dropped) when that sample decodes,
    otherwise Windows-1252. A byte that does not decode further on raises ImportFileError
    while reading.
    """
    try:
        handle = Path(path).open("rb")  # noqa: SIM115 - closed by the with below
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror or error}") from None
    with handle:
        sample = handle.read(STREAM_SAMPLE_BYTES)
        handle.seek(0)
        if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileError("not a text file: it is UTF-16 encoded; save it as CSV (UTF-8)")
        if b"\x00" in sample:
            raise ImportFileError("not a text file (it contains NUL bytes)")
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "cp1252"
        stream = io.TextIOWrapper(handle, encoding=encoding, newline="")
        try:
            yield stream
        except UnicodeDecodeError as error:
            raise ImportFileError(
                f"not {encoding.removesuffix('-sig').upper()} text: byte {error.start} of a "
                "later part of the file does not decode"
            ) from None
        finally:
            stream.detach()
