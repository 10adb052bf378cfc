"""CSV responses written as their rows are read, for routes with tens of thousands of rows.

The rows never pass through a serializer or a list: a query's ``values_list`` is iterated in
chunks (a server-side cursor on PostgreSQL) and each chunk is written as CSV lines and sent.

Cells are written as the CSV renderer's ``_cell`` writes them. A route with many rows
writes them itself, column by column, with the writers here (``cells_written=True``): no
value is asked its type, ints, dates and None go to the csv module as they are (it writes
them as ``_cell`` does), and the text of a column whose values repeat (account names,
symbols, types) is checked for a formula once per distinct value (``LabelCells``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse

from portfolios.api.renderers import FORMULA_STARTS, CSVRenderer, _cell, neutralise

CHUNK_ROWS = 2_000


def csv_streaming_response(
    *,
    columns: Sequence[str],
    rows: Iterable[Sequence],
    filename: str,
    cells_written: bool = False,
) -> StreamingHttpResponse:
    """Return a ``text/csv`` response of one header row and ``rows`` (already in column
    order), encoded as they are read. Each value is written by ``_cell``, unless the rows
    are ``cells_written`` already (by the writers below)."""
    response = StreamingHttpResponse(
        _lines(columns, rows, cells_written=cells_written),
        content_type=f"{CSVRenderer.media_type}; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{filename}.csv"'
    return response


def csv_response(
    *,
    columns: Sequence[str],
    rows: Iterable[Sequence],
    filename: str,
    cells_written: bool = False,
) -> HttpResponse:
    """Return the same CSV as ``csv_streaming_response`` in one body, for a few thousand rows
    built in memory anyway (no serializer: the cells are written directly)."""
    response = HttpResponse(
        b"".join(_lines(columns, rows, cells_written=cells_written)),
        content_type=f"{CSVRenderer.media_type}; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{filename}.csv"'
    return response


def decimal_cell(value: Decimal | None) -> str | None:
    """Return ``decimal_string`` of a value (None stays None: an empty cell). Such text is
    a plain number, which no spreadsheet runs as a formula."""
    if value is None:
        return None
    text = str(value)  # a stored value's own digits; far quicker than format()
    if "E" in text:  # tiny or scientific: 0E-10, 1E-7
        text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "0") else text


class LabelCells(dict):
    """The text cells of one column whose values repeat, by value: each distinct text is
    neutralised once (``cells[value]``). One per column and response."""

    def __missing__(self, value):
        cell = text_cell(value)
        self[value] = cell
        return cell


def text_cell(value) -> str | None:
    """Return a text cell, neutralised when it could run as a formula (None stays None)."""
    if not value:
        return value
    if value.__class__ is not str:
        value = str(value)
    return neutralise(value) if value.startswith(FORMULA_STARTS) else value


class DecimalCells(dict):
    """The cells of one decimal column whose values repeat (fees, share counts), by value:
    each distinct value written once (``cells[value]``). One per column and response."""

    def __missing__(self, value):
        cell = decimal_cell(value)
        self[value] = cell
        return cell


def bool_cell(value) -> str | None:
    return None if value is None else ("true" if value else "false")


def datetime_cell(value) -> str | None:
    """Return a datetime as ISO 8601 with its ``T`` (a date's own ``str`` is already ISO)."""
    return None if value is None else value.isoformat()


def _lines(
    columns: Sequence[str], rows: Iterable[Sequence], *, cells_written: bool = False
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    batch: list = []
    for row in rows:
        batch.append(row if cells_written else [_cell(value) for value in row])
        if len(batch) == CHUNK_ROWS:
            writer.writerows(batch)
            batch.clear()
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(batch)
    yield buffer.getvalue().encode()
