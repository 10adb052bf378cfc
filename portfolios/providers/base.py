from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Close:
    symbol: str
    date: date
    close: Decimal


@dataclass(frozen=True, slots=True)
class Dividend:
    """A distribution per share; providers that only know the ex-date repeat it as pay date."""

    symbol: str
    ex_date: date
    pay_date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Split:
    """A split effective on `date`: `ratio_new` shares for every `ratio_old` held."""

    symbol: str
    date: date
    ratio_new: Decimal
    ratio_old: Decimal


@dataclass(frozen=True, slots=True)
class FxClose:
    """Units of `quote` per one unit of `base` at a day's close (as the FxRate model)."""

    base: str
    quote: str
    date: date
    rate: Decimal


@dataclass(frozen=True, slots=True)
class SecurityDescription:
    """What a provider says an instrument is: its name and one of ``Security.Kind``'s codes
    (blank when it cannot tell)."""

    symbol: str
    name: str
    kind: str


class ProviderError(Exception):
    """A provider could not answer; `permanent` errors are not worth retrying."""

    def __init__(self, message: str, *, permanent: bool = False, symbol: str | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.symbol = symbol


class PriceProvider:
    """Fetches daily closes, corporate actions and FX rates, one symbol at a time.

    Subclasses implement `fetch_closes`; dividends, splits and FX rates default to nothing,
    for providers (such as a folder of closes) that do not know them.
    """

    name = "base"
    synthetic = False

    def fetch_closes(self, symbol: str, start: date, end: date) -> Iterable[Close]:
        """Return the closes of symbol for trading days in [start, end]."""
        raise NotImplementedError

    def fetch_dividends(self, symbol: str, start: date, end: date) -> Iterable[Dividend]:
        """Return the dividends of symbol with an ex-date in [start, end]."""
        return []

    def fetch_splits(self, symbol: str, start: date, end: date) -> Iterable[Split]:
        """Return the splits of symbol effective in [start, end]."""
        return []

    def fetch_fx(self, base: str, quote: str, start: date, end: date) -> Iterable[FxClose]:
        """Return the daily rates (quote per one base) in [start, end]."""
        return []

    def describe(self, symbol: str) -> SecurityDescription | None:
        """Return the instrument's name and kind, or None when the provider does not know."""
        return None

    def fetch_many(self, symbols: Sequence[str], start: date, end: date) -> Iterable[Close]:
        for symbol in symbols:
            yield from self.fetch_closes(symbol, start, end)
