"""Yahoo Finance through its public chart endpoint (the one the `yfinance` package wraps).

`GET https://query1.finance.yahoo.com/v8/finance/chart/{symbol}?period1=&period2=&interval=1d
&events=div,splits` answers JSON: `chart.result[0]` holds `timestamp` (each session's open,
in UTC seconds), `indicators.quote[0].close`, `events.dividends` and `events.splits`, and
`meta.exchangeTimezoneName`. An unknown symbol is HTTP 404 with `chart.error`.

Yahoo's closes and dividends are adjusted for every split up to the day of the request.
The ledger records splits as SPLIT transactions on the shares actually held, so closes are
turned back into the prices actually traded: a close on day d is multiplied by the ratio of
every split after d. For that the request always runs to today, whatever `end` is asked.
"""

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portfolios.providers.base import (
    Close,
    Dividend,
    FxClose,
    PriceProvider,
    ProviderError,
    SecurityDescription,
    Split,
)
from portfolios.providers.http import fetch_url

CHART_URL = "https://query1.finance.yahoo.com/v8/finance/chart/{symbol}?{query}"
# Yahoo's `meta.instrumentType` -> Security.Kind
INSTRUMENT_KINDS = {
    "EQUITY": "stock",
    "ETF": "etf",
    "MUTUALFUND": "mutual_fund",
    "MONEYMARKET": "money_market",
    "CRYPTOCURRENCY": "crypto",
    "OPTION": "option",
    "BOND": "bond",
}


def yahoo_symbol(symbol: str) -> str:
    """Return Yahoo's spelling of a symbol: share classes use a dash (BRK.B is BRK-B)."""
    return symbol.strip().upper().replace(".", "-").replace("/", "-")


def _epoch(day: date) -> int:
    return int(datetime.combine(day, time(), tzinfo=UTC).timestamp())


def _decimal(value: object) -> Decimal | None:
    """Return a positive JSON number as Decimal, to the 7 significant digits Yahoo carries
    (its prices are single-precision floats: 114.99999237060547 is 115.0000)."""
    if value is None:
        return None
    try:
        number = Decimal(f"{float(value):.7g}")
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() and number > 0 else None


class ChartResponse:
    """One parsed chart answer: session dates, raw closes, dividends and splits."""

    def __init__(self, body: bytes, symbol: str) -> None:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProviderError(f"{symbol}: Yahoo sent no JSON", symbol=symbol) from exc
        chart = (payload or {}).get("chart") or {}
        error = chart.get("error")
        results = chart.get("result") or []
        if error or not results:
            description = (error or {}).get("description") or "no result"
            raise ProviderError(f"{symbol}: {description}", permanent=True, symbol=symbol)
        result = results[0]
        meta = result.get("meta") or {}
        self.zone = self._zone(meta)
        self.meta = meta
        self.symbol = symbol
        quotes = ((result.get("indicators") or {}).get("quote") or [{}])[0]
        stamps = result.get("timestamp") or []
        closes = quotes.get("close") or []
        events = result.get("events") or {}
        self.splits = sorted(self._splits(events.get("splits") or {}), key=lambda s: s.date)
        self.closes = [
            (self._day(stamp), _decimal(close))
            for stamp, close in zip(stamps, closes, strict=False)
        ]
        self.dividends = sorted(
            (
                (self._day(event["date"]), _decimal(event.get("amount")))
                for event in (events.get("dividends") or {}).values()
                if "date" in event
            ),
            key=lambda pair: pair[0],
        )

    @staticmethod
    def _zone(meta: dict) -> ZoneInfo | None:
        try:
            return ZoneInfo(meta.get("exchangeTimezoneName") or "America/New_York")
        except (ZoneInfoNotFoundError, ValueError):
            return None

    def _day(self, stamp: int) -> date:
        moment = datetime.fromtimestamp(int(stamp), tz=UTC)
        return moment.astimezone(self.zone).date() if self.zone else moment.date()

    def _splits(self, raw: dict) -> Iterable[Split]:
        for event in raw.values():
            new, old = _decimal(event.get("numerator")), _decimal(event.get("denominator"))
            if new is None or old is None or "date" not in event:
                continue
            yield Split(self.symbol, self._day(event["date"]), new, old)

    def split_factor(self, day: date) -> Decimal:
        """Return the product of new/old of every split after day (1 when none)."""
        factor = Decimal(1)
        for split in self.splits:
            if split.date > day:
                factor = factor * split.ratio_new / split.ratio_old
        return factor


class YFinanceProvider(PriceProvider):
    """Daily closes, dividends, splits and FX rates from Yahoo Finance, over the network."""

    name = "yfinance"

    def chart(self, symbol: str, start: date, end: date) -> ChartResponse:
        """Return the parsed chart of symbol from start to today (see the module docstring)."""
        until = max(end, datetime.now(tz=UTC).date()) + timedelta(days=1)
        query = urlencode(
            {
                "period1": _epoch(start),
                "period2": _epoch(until),
                "interval": "1d",
                "events": "div,splits",
                "includeAdjustedClose": "true",
            }
        )
        url = CHART_URL.format(symbol=quote(yahoo_symbol(symbol), safe="=^-"), query=query)
        return ChartResponse(fetch_url(url, symbol=symbol), symbol)

    def fetch_closes(self, symbol: str, start: date, end: date) -> list[Close]:
        if end < start:
            return []
        chart = self.chart(symbol, start, end)
        closes: dict[date, Close] = {}
        for day, close in chart.closes:
            if close is None or not start <= day <= end:
                continue
            closes[day] = Close(symbol, day, close * chart.split_factor(day))
        return [closes[day] for day in sorted(closes)]

    def fetch_dividends(self, symbol: str, start: date, end: date) -> list[Dividend]:
        if end < start:
            return []
        chart = self.chart(symbol, start, end)
        # The chart endpoint knows only the ex-date; the pay date is set to it.
        return [
            Dividend(symbol, day, day, amount * chart.split_factor(day))
            for day, amount in chart.dividends
            if amount is not None and start <= day <= end
        ]

    def fetch_splits(self, symbol: str, start: date, end: date) -> list[Split]:
        if end < start:
            return []
        return [s for s in self.chart(symbol, start, end).splits if start <= s.date <= end]

    def describe(self, symbol: str) -> SecurityDescription | None:
        """Return the name and kind from the chart's `meta` (last week's chart, one request)."""
        today = datetime.now(tz=UTC).date()
        meta = self.chart(symbol, today - timedelta(days=7), today).meta
        name = str(meta.get("longName") or meta.get("shortName") or "").strip()
        kind = INSTRUMENT_KINDS.get(str(meta.get("instrumentType") or "").upper(), "")
        if not name and not kind:
            return None
        return SecurityDescription(symbol=symbol.upper(), name=name, kind=kind)

    def fetch_fx(self, base: str, quote: str, start: date, end: date) -> list[FxClose]:
        """Return quote per base from Yahoo's `{BASE}{QUOTE}=X` series (EURUSD=X: USD per EUR)."""
        pair = f"{base.upper()}{quote.upper()}=X"
        return [
            FxClose(base.upper(), quote.upper(), close.date, close.close)
            for close in self.fetch_closes(pair, start, end)
        ]
