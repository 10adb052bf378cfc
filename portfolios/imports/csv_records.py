"""Read CSV text as records that remember the physical line they start on."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from portfolios.imports.rows import ImportFileError


@dataclass(frozen=True, slots=True)
class CsvRecord:
    """One CSV record: the line it starts on (1-based) and its cells."""

    line: int
    cells: tuple[str, ...]

    @property
    def is_blank(self) -> bool:
        """Return True for an empty line or one holding only empty cells (",,,")."""
        return not any(cell.strip() for cell in self.cells)

    def filled_cells(self) -> list[str]:
        """Return the non-empty cells, stripped."""
        return [cell.strip() for cell in self.cells if cell.strip()]


def read_csv_records(text: str) -> Iterator[CsvRecord]:
    """Yield the comma-separated records of ``text`` with their starting line numbers.

    A quoted field may span lines; its record is numbered by the line it starts on, and
    the next record by the line after the one it ends on. Blank lines are yielded too
    (with no cells) so callers decide whether they matter. A field longer than the csv
    module's limit (128k characters) makes the file unreadable rather than the limit being
    raised for the whole process.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    previous_end = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise ImportFileError(f"line {previous_end + 1}: unreadable CSV ({err})") from None
        yield CsvRecord(line=previous_end + 1, cells=tuple(cells))
        previous_end = reader.line_num


def header_key(name: str) -> str:
    """Return the comparable form of a column name: trimmed, lower case, single spaces."""
    return " ".join(name.replace("\ufeff", "").split()).lower()


class ColumnIndex:
    """Find cells by column name in the records that follow a header row.

    Names compare case-insensitively with surrounding and repeated whitespace ignored.
    Unknown columns are simply never asked for.
    """

    def __init__(self, header: CsvRecord) -> None:
        self.line = header.line
        self.width = len(header.cells)
        self._positions: dict[str, int] = {}
        for position, name in enumerate(header.cells):
            key = header_key(name)
            if not key:
                continue
            if key in self._positions:
                raise ImportFileError(
                    f"line {header.line}: column '{name.strip()}' appears more than once"
                )
            self._positions[key] = position

    def has(self, name: str) -> bool:
        """Return True when the header has the column."""
        return header_key(name) in self._positions

    def first_present(self, *names: str) -> str | None:
        """Return the first of ``names`` the header has, or None."""
        for name in names:
            if self.has(name):
                return name
        return None

    def require(self, *groups: Sequence[str] | str) -> None:
        """Raise ImportFileError naming every required column the header lacks.

        Each group is one column name, or a sequence of accepted spellings of it.
        """
        missing = []
        for group in groups:
            names = (group,) if isinstance(group, str) else tuple(group)
            if not any(self.has(name) for name in names):
                missing.append(names[0])
        if missing:
            listed = ", ".join(f"'{name}'" for name in missing)
            noun = "column" if len(missing) == 1 else "columns"
            raise ImportFileError(f"line {self.line}: missing required {noun} {listed}")

    def get(self, record: CsvRecord, *names: str) -> str:
        """Return the stripped cell of the first of ``names`` the header has, or ""."""
        for name in names:
            position = self._positions.get(header_key(name))
            if position is not None:
                if position < len(record.cells):
                    return record.cells[position].strip()
                return ""
        return ""

    def get_raw(self, record: CsvRecord, *names: str) -> str:
        """Return the cell exactly as written (free text: a leading tab or space is part of
        it), or "" when it is blank."""
        for name in names:
            position = self._positions.get(header_key(name))
            if position is not None and position < len(record.cells):
                cell = record.cells[position]
                return cell if cell.strip() else ""
        return ""

    def extra_cells(self, record: CsvRecord) -> int:
        """Return how many non-empty cells the record has beyond the header's width."""
        return sum(1 for cell in record.cells[self.width :] if cell.strip())
