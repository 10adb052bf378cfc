"""Stooq's free CSV download: `https://stooq.com/q/d/l/?s={symbol}.us&d1=YYYYMMDD&d2=YYYYMMDD&i=d`.

The answer is `Date,Open,High,Low,Close,Volume` with one row per session. Stooq publishes
split-adjusted closes and no dividend or split events in this download, so those stay empty.
For a symbol it does not know Stooq answers HTTP 200 with the body `No data`, the same as for
a range without sessions; a range of more than `UNKNOWN_AFTER_DAYS` days that has no data is
taken to mean the symbol is unknown (permanent), a shorter one as nothing new yet.
"""

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from portfolios.providers.base import Close, FxClose, PriceProvider, ProviderError
from portfolios.providers.http import fetch_url

DOWNLOAD_URL = "https://stooq.com/q/d/l/?{query}"
UNKNOWN_AFTER_DAYS = 10
NO_DATA = "no data"
LIMIT_REACHED = "exceeded the daily hits limit"


def stooq_symbol(symbol: str) -> str:
    """Return Stooq's spelling of a US listing: lower case, `.us`, share classes with a dash."""
    return symbol.strip().lower().replace(".", "-").replace("/", "-") + ".us"


def parse_stooq_csv(body: bytes, symbol: str, start: date, end: date) -> list[tuple[date, Decimal]]:
    """Return (day, close) rows of a Stooq CSV inside [start, end], or raise ProviderError."""
    text = body.decode("utf-8-sig", errors="replace").strip()
    lowered = text.lower()
    if lowered.startswith(NO_DATA):
        if (end - start).days > UNKNOWN_AFTER_DAYS:
            raise ProviderError(f"{symbol}: Stooq has no data", permanent=True, symbol=symbol)
        return []
    if LIMIT_REACHED in lowered:
        raise ProviderError(f"{symbol}: Stooq daily limit reached", symbol=symbol)
    reader = csv.DictReader(io.StringIO(text))
    fields = {name.strip().lower(): name for name in reader.fieldnames or []}
    if "date" not in fields or "close" not in fields:
        # An HTML page (maintenance, captcha) instead of the CSV: worth another try later.
        raise ProviderError(f"{symbol}: unexpected answer {text[:60]!r}", symbol=symbol)
    rows: dict[date, Decimal] = {}
    for row in reader:
        try:
            day = date.fromisoformat(row[fields["date"]].strip())
            close = Decimal(row[fields["close"]].strip())
        except (ValueError, InvalidOperation, AttributeError) as exc:
            raise ProviderError(f"{symbol}: bad row {row!r}", permanent=True) from exc
        if start <= day <= end and close.is_finite() and close > 0:
            rows[day] = close
    return sorted(rows.items())


class StooqProvider(PriceProvider):
    """Daily closes and FX rates from stooq.com, over the network."""

    name = "stooq"

    def _download(self, stooq_name: str, symbol: str, start: date, end: date):
        query = urlencode(
            {
                "s": stooq_name,
                "d1": start.strftime("%Y%m%d"),
                "d2": end.strftime("%Y%m%d"),
                "i": "d",
            }
        )
        body = fetch_url(DOWNLOAD_URL.format(query=query), symbol=symbol)
        return parse_stooq_csv(body, symbol, start, end)

    def fetch_closes(self, symbol: str, start: date, end: date) -> list[Close]:
        if end < start:
            return []
        rows = self._download(stooq_symbol(symbol), symbol, start, end)
        return [Close(symbol, day, close) for day, close in rows]

    def fetch_fx(self, base: str, quote: str, start: date, end: date) -> list[FxClose]:
        """Return quote per base from Stooq's pair (eurusd: USD per EUR)."""
        if end < start:
            return []
        pair = f"{base}{quote}".lower()
        rows = self._download(pair, pair.upper(), start, end)
        return [FxClose(base.upper(), quote.upper(), day, rate) for day, rate in rows]
