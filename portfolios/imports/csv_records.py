"""Read CSV text as records that remember the physical line they start on."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from portfolios.imports.rows import ImportFileError

DELIMITERS = (",", "\t", ";")


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


def sniff_delimiter(text: str) -> str:
    """Return the file's delimiter: a comma, unless the first non-blank line has none and
    has tabs (Excel's "Unicode text") or semicolons (a European spreadsheet)."""
    for line in text[:65_536].splitlines():
        if not line.strip():
            continue
        if "," in line:
            return ","
        for delimiter in DELIMITERS[1:]:
            if delimiter in line:
                return delimiter
        return ","
    return ","


# Stands in for a carriage return inside a cell while the csv module reads the file.
_CR_STAND_IN = "\ue000"
_BARE_CR = re.compile(r"\r(?!\n)")


def _protect_bare_carriage_returns(text: str) -> tuple[str, bool]:
    """Return the text with each carriage return that does not end a line hidden, and
    whether any was.

    The csv module ends a record at a bare CR even outside quotes, so a memo holding one
    (pasted from another program) would split its row in two. In a file whose lines end
    in LF or CRLF a bare CR ends no line: it is part of the cell, and comes back as itself
    (``_restore``). A file of CR-only line ends (classic Mac) is read as it is.
    """
    if "\r" not in text or "\n" not in text or _CR_STAND_IN in text:
        return text, False
    protected, count = _BARE_CR.subn(_CR_STAND_IN, text)
    return protected, count > 0


def _restore(cells: list[str]) -> tuple[str, ...]:
    return tuple(cell.replace(_CR_STAND_IN, "\r") for cell in cells)


def _unclosed_quote_line(text: str) -> int | None:
    """Return the line where a quoted field opens and never closes, or None.

    Quotes come in pairs in a well-formed file (an escaped quote is two), so an odd count
    means one was left open; the culprit is the last line where the count turned odd.
    Lines end where the csv module ends them: at LF (or CRLF), or at CR in a file with no
    LF at all.
    """
    if text.count('"') % 2 == 0:
        return None
    parity = 0
    opened = None
    lines = text.split("\n") if "\n" in text else text.split("\r")
    for number, line in enumerate(lines, start=1):
        count = line.count('"')
        if count % 2:
            parity ^= 1
            if parity:
                opened = number
    return opened


def read_csv_records(text: str | TextIO, *, delimiter: str | None = None) -> Iterator[CsvRecord]:
    """Yield the records of ``text`` (a string, or a text stream read as it goes) with their
    starting line numbers.

    A quoted field may span lines; its record is numbered by the line it starts on, and
    the next record by the line after the one it ends on. Blank lines are yielded too
    (with no cells) so callers decide whether they matter. A field longer than the csv
    module's limit (128k characters) makes the file unreadable rather than the limit being
    raised for the whole process. A carriage return inside a line of an LF or CRLF file is
    part of its cell, quoted or not (``_protect_bare_carriage_returns``). A quoted field
    still open at the end of the file (a download cut short) is refused naming its line,
    rather than read as one huge cell.
    The delimiter is sniffed (``sniff_delimiter``) unless given. A stream (a command's file
    of any size) is never held whole: its delimiter is a comma unless given, and a field
    cut off at its end is left to the row's own checks.
    """
    for line, cells in read_csv_rows(text, delimiter=delimiter):
        yield CsvRecord(line=line, cells=tuple(cells))


def read_csv_rows(
    text: str | TextIO, *, delimiter: str | None = None
) -> Iterator[tuple[int, Sequence[str]]]:
    """Yield ``(line, cells)`` for each record of ``text``, as ``read_csv_records`` reads
    them, without making a record object (the millions of rows of a prices file)."""
    streamed = not isinstance(text, str)
    protected = False
    if isinstance(text, str):
        readable, protected = _protect_bare_carriage_returns(text)
        source, delimiter = io.StringIO(readable, newline=""), delimiter or sniff_delimiter(text)
    else:
        source, delimiter = text, delimiter or ","
    reader = csv.reader(source, delimiter=delimiter, strict=False)
    previous_end = 0
    pending: tuple[int, Sequence[str]] | None = None
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            raise ImportFileError(f"line {previous_end + 1}: unreadable CSV ({err})") from None
        if pending is not None:
            yield pending
        pending = (previous_end + 1, _restore(cells) if protected else cells)
        previous_end = reader.line_num
    if pending is not None:
        opened = None if streamed else _unclosed_quote_line(text)
        if opened is not None and opened >= pending[0]:
            raise ImportFileError(
                f"line {opened}: a quoted field starts here and is never closed, so the "
                "file looks cut off; download or export it again"
            )
        yield pending


def header_key(name: str) -> str:
    """Return the comparable form of a column name: trimmed, lower case, single spaces."""
    return " ".join(name.replace("\ufeff", "").split()).lower()


class ColumnIndex:
    """Find cells by column name in the records that follow a header row.

    Names compare case-insensitively with surrounding and repeated whitespace ignored.
    Unknown columns are simply never asked for. A column named twice is refused when the
    header is read (``strict``), or, for broker exports that repeat columns nobody reads,
    only when the import asks for it.
    """

    def __init__(self, header: CsvRecord, *, strict: bool = True) -> None:
        self.line = header.line
        self.width = len(header.cells)
        self._positions: dict[str, int] = {}
        self._repeated: dict[str, str] = {}
        self._looked_up: dict[str, int | None] = {}
        for position, name in enumerate(header.cells):
            key = header_key(name)
            if not key:
                continue
            if key in self._positions:
                if strict:
                    raise ImportFileError(
                        f"line {header.line}: column '{name.strip()[:60]}' appears more than once"
                    )
                self._repeated[key] = name.strip()[:60]
                continue
            self._positions[key] = position

    def _position(self, name: str) -> int | None:
        try:
            return self._looked_up[name]  # asked for by every row: worked out once
        except KeyError:
            pass
        key = header_key(name)
        if key in self._repeated:
            raise ImportFileError(
                f"line {self.line}: column '{self._repeated[key]}' appears more than once, "
                "so its values are ambiguous; remove one of them"
            )
        position = self._looked_up[name] = self._positions.get(key)
        return position

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
            position = self._position(name)
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
