"""Check one value a household typed into a setting, the same way for pages, API and files.

Each parser takes what was typed (text, a number, a boolean, None) and returns the clean
value or raises ``ValueProblem`` with a message that completes "<field>: ...", so the page
shows it under the field, the API under ``errors[field]`` and a file import after
"line N, column C:". Tests assert these messages word for word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from zoneinfo import available_timezones

from portfolios.errors import ApplicationError
from portfolios.imports.values import ValueProblem

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=/]{0,19}$")
_TRUE = frozenset({"true", "yes", "y", "1", "on", "qualified"})
_FALSE = frozenset({"false", "no", "n", "0", "off", "ordinary"})
MAX_BENCHMARK_COMPONENTS = 10


def text(value: object) -> str:
    """Return the typed value as stripped text ('' for None)."""
    if value is None:
        return ""
    return str(value).strip()


def is_blank(value: object) -> bool:
    return text(value) == ""


def parse_text(value: object, *, max_length: int, required: bool = False) -> str:
    cleaned = text(value)
    if required and not cleaned:
        raise ValueProblem("is required")
    if len(cleaned) > max_length:
        raise ValueProblem(f"must be at most {max_length} characters")
    return cleaned


def parse_decimal(
    value: object,
    *,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    places: int = 4,
    above_minimum: bool = False,
) -> Decimal:
    """Return a number ("1,500.25" and "12.5%" are fine) within the bounds, with at most
    ``places`` decimal places."""
    if isinstance(value, bool):
        raise ValueProblem(f"must be a number, got '{value}'")
    raw = text(value)
    if raw == "":
        raise ValueProblem("is required")
    cleaned = raw.replace(",", "").removesuffix("%").strip().removeprefix("$")
    if not _NUMBER.match(cleaned):
        raise ValueProblem(f"must be a number, got '{raw}'")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueProblem(f"must be a number, got '{raw}'") from None
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueProblem(f"must have at most {places} decimal places, got '{raw}'")
    low = Decimal(minimum) if minimum is not None else None
    high = Decimal(maximum) if maximum is not None else None
    too_low = low is not None and (number <= low if above_minimum else number < low)
    too_high = high is not None and number > high
    if too_low or too_high:
        if low is not None and high is not None:
            if above_minimum:
                raise ValueProblem(
                    f"must be above {_plain(low)} and at most {_plain(high)}, got '{raw}'"
                )
            raise ValueProblem(f"must be between {_plain(low)} and {_plain(high)}, got '{raw}'")
        if low is not None:
            floor = "above" if above_minimum else "or more"
            bound = f"above {_plain(low)}" if floor == "above" else f"{_plain(low)} or more"
            raise ValueProblem(f"must be {bound}, got '{raw}'")
        raise ValueProblem(f"must be at most {_plain(high)}, got '{raw}'")
    return number


def parse_percent(value: object, *, above_zero: bool = False) -> Decimal:
    """Return a percentage from 0 to 100 (12.5 means 12.5%)."""
    return parse_decimal(value, minimum=0, maximum=100, above_minimum=above_zero)


def parse_money(value: object) -> Decimal:
    """Return an amount of money, zero or more, to at most 4 decimal places."""
    return parse_decimal(value, minimum=0)


def parse_choice(value: object, choices: Iterable[tuple[str, str]]) -> str:
    """Return the code of a choice given by its code or its label, any case."""
    raw = text(value)
    pairs = list(choices)
    for code, label in pairs:
        if raw.lower() in (code.lower(), str(label).lower()):
            return code
    options = ", ".join(code for code, _ in pairs if code)
    raise ValueProblem(f"must be one of {options}; got '{raw}'")


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueProblem(f"must be yes or no, got '{text(value)}'")


def parse_currency(value: object) -> str:
    raw = text(value).upper()
    if not _CURRENCY.match(raw):
        raise ValueProblem(f"must be a three-letter currency code such as USD, got '{text(value)}'")
    return raw


def parse_time_zone(value: object) -> str:
    raw = text(value)
    if raw not in available_timezones():
        raise ValueProblem(f"must be a time zone such as America/New_York, got '{raw}'")
    return raw


def parse_benchmark(value: object) -> str:
    """Return a ticker (``VTI``) or a blend (``VTI:60,BND:40``, weights adding up to 100 or
    to 1) in its canonical spelling; blank is allowed (no default benchmark)."""
    raw = text(value)
    if not raw:
        return ""
    parts = [part.strip() for part in raw.split(",")]
    if any(not part for part in parts) or len(parts) > MAX_BENCHMARK_COMPONENTS:
        raise ValueProblem(
            f"must be a ticker such as VTI or a blend such as VTI:60,BND:40, got '{raw}'"
        )
    weights: dict[str, Decimal | None] = {}
    for part in parts:
        symbol, colon, weight = part.partition(":")
        symbol = symbol.strip().upper()
        if not _SYMBOL.match(symbol):
            raise ValueProblem(f"'{symbol or part}' is not a ticker")
        if symbol in weights:
            raise ValueProblem(f"{symbol} is listed twice")
        if not colon:
            weights[symbol] = None
            continue
        try:
            weights[symbol] = parse_decimal(weight, minimum=0, maximum=100, above_minimum=True)
        except ValueProblem:
            raise ValueProblem(
                f"the weight of {symbol} must be a number above 0, got '{weight.strip()}'"
            ) from None
    if len(weights) == 1 and next(iter(weights.values())) is None:
        return next(iter(weights))
    if any(weight is None for weight in weights.values()):
        raise ValueProblem("give every part of a blend a weight, e.g. VTI:60,BND:40")
    total = sum(weights.values(), Decimal(0))
    if total not in (Decimal(100), Decimal(1)):
        raise ValueProblem(f"the weights of a blend must add up to 100, got {_plain(total)}")
    return ",".join(f"{symbol}:{_plain(weight)}" for symbol, weight in weights.items())


def _plain(number: Decimal) -> str:
    """Return a number without exponent or trailing zeros (100, 12.5)."""
    return format(number.normalize(), "f")


class FieldErrors:
    """Collect ``{field: [messages]}`` while checking several fields, then raise once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def check(self, field: str, parser, value: object, **kwargs):
        """Return parser(value) or record its problem under field (and return None)."""
        try:
            return parser(value, **kwargs)
        except ValueProblem as problem:
            self.add(field, str(problem))
            return None

    def raise_if_any(self, message: str = "Some values need fixing.") -> None:
        if self.errors:
            raise ApplicationError(message, errors=self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)


def unknown_fields(changes: Mapping[str, object], allowed: Iterable[str]) -> list[str]:
    """Return the names in changes that are not allowed fields, sorted."""
    allowed_set = set(allowed)
    return sorted(name for name in changes if name not in allowed_set)
