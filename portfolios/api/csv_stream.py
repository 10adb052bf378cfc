"""CSV responses written as their rows are read, for routes with tens of thousands of rows.

The rows never pass through a serializer or a list: a query's ``values_list`` is iterated in
chunks (a server-side cursor on PostgreSQL) and each chunk is written as CSV lines and sent.
Cells are written by the CSV renderer's own ``_cell``, so both paths format alike.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from django.http import HttpResponse, StreamingHttpResponse

from portfolios.api.renderers import CSVRenderer, _cell

CHUNK_ROWS = 2_000


def csv_streaming_response(
    *, columns: Sequence[str], rows: Iterable[Sequence], filename: str
) -> StreamingHttpResponse:
    """Return a ``text/csv`` response of one header row and ``rows`` (already in column
    order), encoded as they are read."""
    response = StreamingHttpResponse(
        _lines(columns, rows), content_type=f"{CSVRenderer.media_type}; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{filename}.csv"'
    return response


def csv_response(
    *, columns: Sequence[str], rows: Iterable[Sequence], filename: str
) -> HttpResponse:
    """Return the same CSV as ``csv_streaming_response`` in one body, for a few thousand rows
    built in memory anyway (no serializer: the cells are written directly)."""
    response = HttpResponse(
        b"".join(_lines(columns, rows)), content_type=f"{CSVRenderer.media_type}; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{filename}.csv"'
    return response


def _lines(columns: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(value) for value in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
