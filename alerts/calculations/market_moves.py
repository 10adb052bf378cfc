"""Price moves, volatility and drawdown from close series (pure; numpy, no ORM)."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from math import sqrt

import numpy as np

TRADING_DAYS_PER_YEAR = 252
RECENT_SESSIONS = 20


def last_move(closes: Sequence[tuple[date, Decimal]]) -> tuple[date, Decimal, Decimal] | None:
    """Return (day, close, change) of the latest close against the one before it."""
    if len(closes) < 2 or closes[-2][1] <= 0:
        return None
    (_, before), (day, close) = closes[-2], closes[-1]
    return day, close, close / before - 1


def volatility_pair(levels: Sequence[float]) -> tuple[float, float] | None:
    """Return (20-session, one-year) annualised volatility of a series of levels.

    1. Daily returns r_i = level_i / level_(i−1) − 1 over the last 253 levels (a year).
    2. Each volatility = sample standard deviation × √252 (DESIGN §7), the recent one over
       the last 20 returns. None with fewer than 40 returns (too little to compare).
    """
    values = np.asarray(levels[-(TRADING_DAYS_PER_YEAR + 1) :], dtype=float)
    if len(values) < 2 * RECENT_SESSIONS + 1 or np.any(values <= 0):
        return None
    returns = values[1:] / values[:-1] - 1.0
    year = float(np.std(returns, ddof=1)) * sqrt(TRADING_DAYS_PER_YEAR)
    recent = float(np.std(returns[-RECENT_SESSIONS:], ddof=1)) * sqrt(TRADING_DAYS_PER_YEAR)
    return recent, year


def fall_from_peak(levels: Sequence[float]) -> Decimal | None:
    """Return how far the last level is below the highest one so far (a positive fraction)."""
    if len(levels) == 0:
        return None
    peak = max(levels)
    if peak <= 0:
        return None
    return Decimal(str(round(1 - levels[-1] / peak, 8)))
