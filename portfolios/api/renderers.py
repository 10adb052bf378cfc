"""CSV for spreadsheets: one header row, stable snake_case columns, plain numbers, ISO dates.

Spreadsheets are the main client, so no cell may run as a formula (OWASP, "CSV Injection"):
a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or
their full-width forms) gets a leading ``'``. Numbers stay numbers: a number, or a text that
is exactly a plain decimal such as "-12.5" (how the API writes money), is left as it is.
"""

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

from rest_framework.renderers import BaseRenderer

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def neutralise(text: str) -> str:
    """Return a text cell that no spreadsheet evaluates: formula-like text gets a ``'``."""
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return neutralise(";".join(_cell(item) for item in value))
    return neutralise(str(value))


def _flatten(row: dict, prefix: str = "") -> dict:
    flat: dict = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}_"))
        else:
            flat[name] = value
    return flat


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        if isinstance(data, dict) and "results" in data and isinstance(data["results"], list):
            rows = data["results"]
        elif isinstance(data, list):
            rows = data
        elif data is None:
            rows = []
        else:
            rows = [data]
        rows = [_flatten(row) if isinstance(row, dict) else {"value": row} for row in rows]
        columns = self._columns(rows, renderer_context.get("view"), response)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(column)) for column in columns])
        if response is not None and response.status_code < 400:
            view = renderer_context.get("view")
            name = getattr(view, "csv_filename", None) or "hearth"
            response["Content-Disposition"] = f'inline; filename="{name}.csv"'
        return buffer.getvalue().encode(self.charset)

    @staticmethod
    def _columns(rows: list[dict], view, response) -> list[str]:
        if response is not None and response.status_code >= 400:
            columns: list[str] = []
        else:
            columns = list(getattr(view, "csv_columns", None) or [])
            if not columns and view is not None and hasattr(view, "get_serializer_class"):
                try:
                    columns = list(view.get_serializer_class()().fields.keys())
                except Exception:
                    columns = []
        for row in rows:
            for key in row:
                if key not in columns:
                    columns.append(key)
        return columns
