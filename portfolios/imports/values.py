"""Parse single cell values (numbers, dates) the way each file format writes them.

Every parser raises ``ValueProblem`` with a message that completes the sentence
"line 7, column quantity: ...", so callers only add where the value was.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

_PLAIN_NUMBER = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
_GROUPED_NUMBER = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_US_DATE = re.compile(r"^(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_BROKER_BLANKS = frozenset({"", "--", "-", "n/a", "N/A"})
_SPLIT_IN_TEXT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:-\s*FOR\s*-|\s+FOR\s+|:)\s*(\d+(?:\.\d+)?)", re.I
)
EARLIEST_YEAR = 1900
# Nothing a household imports comes near this; bigger numbers are refused before any
# arithmetic (a Decimal like 1e400 would otherwise overflow later, far from its line).
NUMBER_LIMIT = Decimal(10) ** 18
SHOWN_CHARACTERS = 60


class ValueProblem(ValueError):
    """Raised when a cell does not hold the value its column needs."""


def shown(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """Return ``text`` as an error message quotes it: stripped, and cut at ``limit``
    characters so a 10,000-character cell does not flood the page."""
    cleaned = " ".join(str(text).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def parse_unsigned_decimal(text: str) -> Decimal:
    """Return the number written in ``text``: digits, an optional point, and optional
    thousands separators ("1,234.50", which a CSV file must quote).

    A leading minus raises "must be a positive number" so the user sees the sign is the
    problem; exponents, NaN and infinities are refused.
    """
    cleaned = text.strip()
    if cleaned.startswith("-"):
        raise ValueProblem(f"must be a positive number, got '{shown(text)}'")
    cleaned = cleaned.removeprefix("+")
    if "," in cleaned:
        if not _GROUPED_NUMBER.match(cleaned):
            raise ValueProblem(f"must be a number, got '{shown(text)}'")
        cleaned = cleaned.replace(",", "")
    if not _PLAIN_NUMBER.match(cleaned):
        raise ValueProblem(f"must be a number, got '{shown(text)}'")
    value = Decimal(cleaned)
    if value >= NUMBER_LIMIT:
        raise ValueProblem(f"is too large, got '{shown(text)}'")
    return value


def parse_signed_decimal(text: str) -> Decimal:
    """Return the number in ``text``, which may start with a minus sign."""
    cleaned = text.strip()
    if cleaned.startswith("-"):
        return -parse_unsigned_decimal(cleaned[1:])
    return parse_unsigned_decimal(cleaned)


def parse_broker_amount(text: str) -> Decimal | None:
    """Return the signed number in a broker export cell, or None when the cell is blank.

    Accepts "$1,234.56", "-$1,234.56", "$-1,234.56", "($1,234.56)" (negative), "1234.5",
    and treats "", "--" and "N/A" as blank.
    """
    cleaned = text.strip()
    if cleaned in _BROKER_BLANKS:
        return None
    negative = False
    if cleaned.startswith("(") and cleaned.endswith(")"):
        negative = True
        cleaned = cleaned[1:-1].strip()
    if cleaned.startswith("-"):
        negative = not negative
        cleaned = cleaned[1:].strip()
    cleaned = cleaned.removeprefix("$").strip()
    if cleaned.startswith("-"):
        negative = not negative
        cleaned = cleaned[1:].strip()
    try:
        value = parse_unsigned_decimal(cleaned)
    except ValueProblem as problem:
        if "too large" in str(problem):
            raise
        raise ValueProblem(f"must be a number, got '{shown(text)}'") from None
    return -value if negative else value


def parse_ofx_decimal(text: str) -> Decimal:
    """Return the signed number of an OFX element; OFX allows a comma as decimal point."""
    cleaned = text.strip()
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    if len(cleaned) > 40:
        raise ValueProblem(f"must be a number, got '{shown(text)}'")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueProblem(f"must be a number, got '{shown(text)}'") from None
    if not value.is_finite():
        raise ValueProblem(f"must be a number, got '{shown(text)}'")
    if abs(value) >= NUMBER_LIMIT:
        raise ValueProblem(f"is too large, got '{shown(text)}'")
    return value


def _checked_date(year: int, month: int, day: int, text: str, expected: str) -> date:
    try:
        value = date(year, month, day)
    except ValueError:
        raise ValueProblem(f"is not a real date, got '{shown(text)}'") from None
    if value.year < EARLIEST_YEAR:
        raise ValueProblem(f"must be a date {expected} after {EARLIEST_YEAR}, got '{shown(text)}'")
    return value


def parse_iso_date(text: str) -> date:
    """Return the date in ``text``, which must be exactly ``YYYY-MM-DD``."""
    cleaned = text.strip()
    if not _ISO_DATE.match(cleaned):
        raise ValueProblem(f"must be a date YYYY-MM-DD, got '{shown(cleaned)}'")
    year, month, day = (int(part) for part in cleaned.split("-"))
    return _checked_date(year, month, day, cleaned, "YYYY-MM-DD")


def parse_us_date(text: str) -> date:
    """Return the date in ``text`` written ``MM/DD/YYYY`` (US brokers)."""
    cleaned = text.strip()
    match = _US_DATE.match(cleaned)
    if not match:
        raise ValueProblem(f"must be a date MM/DD/YYYY, got '{shown(cleaned)}'")
    month, day, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
    if len(match.group(4)) == 2:
        year += 2000
    return _checked_date(year, month, day, cleaned, "MM/DD/YYYY")


def parse_broker_date(text: str) -> date:
    """Return a date written ``MM/DD/YYYY``, ``YYYY-MM-DD`` or ``YYYYMMDD``."""
    cleaned = text.strip()
    if _ISO_DATE.match(cleaned):
        return parse_iso_date(cleaned)
    match = _COMPACT_DATE.match(cleaned)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return _checked_date(year, month, day, cleaned, "YYYYMMDD")
    if _US_DATE.match(cleaned):
        return parse_us_date(cleaned)
    raise ValueProblem(f"must be a date MM/DD/YYYY, YYYY-MM-DD or YYYYMMDD, got '{shown(cleaned)}'")


def split_ratio_in_text(text: str) -> tuple[Decimal, Decimal] | None:
    """Return (new, old) when ``text`` states a split ratio ("2 FOR 1", "3-for-2", "4:1")."""
    match = _SPLIT_IN_TEXT.search(text)
    if not match:
        return None
    new, old = Decimal(match.group(1)), Decimal(match.group(2))
    if new <= 0 or old <= 0:
        return None
    return new, old


def decimal_text(value: Decimal | None) -> str:
    """Return a canonical spelling of a number: "10", "10.0" and "1E+1" all give "10"."""
    if value is None:
        return ""
    normalized = value.normalize()
    if normalized == 0:
        return "0"
    return format(normalized, "f")
