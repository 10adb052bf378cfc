from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Close:
    symbol: str
    date: date
    close: Decimal


class ProviderError(Exception):
    """A provider could not answer; `permanent` errors are not worth retrying."""

    def __init__(self, message: str, *, permanent: bool = False, symbol: str | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.symbol = symbol


class PriceProvider:
    """Fetches daily closes. Subclasses implement fetch_closes for one symbol at a time."""

    name = "base"
    synthetic = False

    def fetch_closes(self, symbol: str, start: date, end: date) -> Iterable[Close]:
        """Return the closes of symbol for trading days in [start, end]."""
        raise NotImplementedError

    def fetch_many(self, symbols: Sequence[str], start: date, end: date) -> Iterable[Close]:
        for symbol in symbols:
            yield from self.fetch_closes(symbol, start, end)
