"""Deterministic synthetic prices for the demo: the same symbol and day always give the same
close, whatever range is asked. Labelled as synthetic in the UI."""

import hashlib
from datetime import date
from decimal import Decimal
from functools import lru_cache

import numpy as np

from portfolios.providers.base import Close, FxClose, PriceProvider, SecurityDescription

EPOCH = date(1995, 1, 2)
ANCHOR = (date(2020, 1, 2) - EPOCH).days


# Demo treasuries (symbols like UST-2028-05) are quoted per 100 of face value and stay near par.
BOND_PREFIX = "UST"


@lru_cache(maxsize=2048)
def _path(symbol: str, days: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(symbol.upper().encode()).digest()[:4], "big")
    rng = np.random.default_rng(seed)
    if symbol.upper().startswith(BOND_PREFIX):
        return 100 + np.cumsum(rng.normal(0, 0.02, size=days + 1)).clip(-4, 4)
    base = 20 + (seed % 180)
    annual_drift = 0.03 + (seed % 7) / 100  # 3%..9% a year
    annual_vol = 0.08 + (seed % 17) / 100  # 8%..24% a year
    daily = rng.normal(annual_drift / 252, annual_vol / np.sqrt(252), size=max(days, ANCHOR) + 1)
    walk = np.cumsum(daily)
    # Anchored so that each symbol trades at its base price on the anchor day, not 30 years
    # of drift away from it.
    return base * np.exp(walk - walk[ANCHOR])


# Names and kinds the demo provider describes: well-known funds and stocks, so a household
# trying Hearth without a network sees what a real provider would offer.
DESCRIPTIONS = {
    "VTI": ("Vanguard Total Stock Market ETF", "etf"),
    "VOO": ("Vanguard S&P 500 ETF", "etf"),
    "IVV": ("iShares Core S&P 500 ETF", "etf"),
    "VXUS": ("Vanguard Total International Stock ETF", "etf"),
    "BND": ("Vanguard Total Bond Market ETF", "etf"),
    "BNDX": ("Vanguard Total International Bond ETF", "etf"),
    "VNQ": ("Vanguard Real Estate ETF", "etf"),
    "SCHD": ("Schwab US Dividend Equity ETF", "etf"),
    "VYM": ("Vanguard High Dividend Yield ETF", "etf"),
    "QQQ": ("Invesco QQQ Trust", "etf"),
    "VGT": ("Vanguard Information Technology ETF", "etf"),
    "VUG": ("Vanguard Growth ETF", "etf"),
    "VTSAX": ("Vanguard Total Stock Market Index Fund Admiral Shares", "mutual_fund"),
    "FXAIX": ("Fidelity 500 Index Fund", "mutual_fund"),
    "SPAXX": ("Fidelity Government Money Market Fund", "money_market"),
    "VMFXX": ("Vanguard Federal Money Market Fund", "money_market"),
    "AAPL": ("Apple Inc.", "stock"),
    "MSFT": ("Microsoft Corporation", "stock"),
    "O": ("Realty Income Corporation", "reit"),
}


class DemoProvider(PriceProvider):
    name = "demo"
    synthetic = True

    def describe(self, symbol: str) -> SecurityDescription | None:
        key = symbol.strip().upper()
        if key in DESCRIPTIONS:
            name, kind = DESCRIPTIONS[key]
            return SecurityDescription(symbol=key, name=name, kind=kind)
        if key.startswith(BOND_PREFIX):
            return SecurityDescription(symbol=key, name="US Treasury note", kind="bond")
        return None

    def fetch_closes(self, symbol: str, start: date, end: date):
        if end < start:
            return []
        # One synthetic close per weekday; weekends carry forward in valuations.
        offsets = np.arange((start - EPOCH).days, (end - EPOCH).days + 1)
        path = _path(symbol, int(offsets[-1]) if len(offsets) else 0)
        closes = []
        for offset in offsets:
            day = date.fromordinal(EPOCH.toordinal() + int(offset))
            if day.weekday() >= 5 or offset < 0:
                continue
            closes.append(Close(symbol, day, Decimal(f"{path[offset]:.4f}")))
        return closes

    def fetch_fx(self, base: str, quote: str, start: date, end: date):
        """Return a deterministic synthetic rate per weekday (quote per base).

        The rate swings slowly around a level between 0.8 and 1.4 set by the pair; both
        directions come from one curve, so EURUSD is 1 / USDEUR (to the 6 places returned).
        """
        base, quote = base.upper(), quote.upper()
        if end < start or base == quote:
            return []
        first, second = sorted((base, quote))
        seed = int.from_bytes(hashlib.sha256(f"{first}{second}".encode()).digest()[:4], "big")
        level = 0.8 + (seed % 600) / 1000
        phase = (seed % 360) * np.pi / 180
        rates = []
        for ordinal in range(start.toordinal(), end.toordinal() + 1):
            day = date.fromordinal(ordinal)
            if day.weekday() >= 5:
                continue
            rate = level * np.exp(0.08 * np.sin(2 * np.pi * ordinal / 1200 + phase))
            if base != first:
                rate = 1 / rate
            rates.append(FxClose(base, quote, day, Decimal(f"{rate:.6f}")))
        return rates
