"""Return risk figures of a TWR index on the trading days of the New York Stock Exchange.

DESIGN §7: risk is measured on XNYS sessions, from the daily returns of the cumulative TWR
index (the level, 1.0 at the period's base). Returns are ratios, so everything here is
float64; ``Decimal`` inputs are accepted and converted.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from reporting.calculations.sessions import trading_day_points, xnys_session_days

TRADING_DAYS_PER_YEAR = 252
VAR_PERCENTILE = 5.0


@dataclass(frozen=True)
class RiskMetrics:
    """Risk figures of one TWR index over XNYS sessions; None where too few returns exist."""

    observations: int
    volatility: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float
    drawdown_peak: date | None
    drawdown_trough: date | None
    drawdown_recovery: date | None
    var_95: float | None


@dataclass(frozen=True)
class BenchmarkMetrics:
    """Figures of a portfolio's daily returns against its benchmark's."""

    observations: int
    beta: float | None
    tracking_error: float | None


@functools.lru_cache(maxsize=512)
def _cached_sessions(start: date, end: date) -> pd.DatetimeIndex:
    days = xnys_session_days(start, end)
    return pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date")


def xnys_sessions(start: date, end: date) -> pd.DatetimeIndex:
    """Return the XNYS sessions from ``start`` to ``end`` inclusive, as naive midnight dates.

    Dates outside the calendar's range (before 1970, or more than about a year ahead) have
    no sessions. Results are cached by (start, end); each call gets its own shallow copy, so
    renaming one cannot change another caller's.
    """
    return _cached_sessions(start, end).copy()


def _float_array(values: Sequence[float | Decimal] | np.ndarray | pd.Series) -> np.ndarray:
    """Return numbers as float64, converting ``Decimal`` objects one by one."""
    array = np.asarray(values)
    if array.dtype.kind in "fiu":
        return array.astype(np.float64)
    return np.array([float(value) for value in array], dtype=np.float64)


def _level_series(index_series: pd.Series) -> pd.Series:
    levels = pd.Series(
        _float_array(index_series.to_numpy()),
        index=pd.DatetimeIndex(pd.to_datetime(index_series.index)).normalize(),
    )
    return levels[~levels.index.duplicated(keep="last")].sort_index().dropna()


def trading_day_levels(
    index_series: pd.Series, trading_days: Sequence[date] | pd.DatetimeIndex | None = None
) -> pd.Series:
    """Return the index at its first date and at each trading day after it, carried forward.

    1. The first date is kept whatever it is: it is the period's base (the close of the start
       day), so the first session's return is measured from it even when it is a weekend.
    2. Then each session in ``(first, last]`` (XNYS unless ``trading_days`` is given) takes
       the index's level on that date, or the last level before it.
    """
    levels = _level_series(index_series)
    if levels.empty:
        return levels
    first, last = levels.index[0], levels.index[-1]
    if trading_days is None:
        sessions = xnys_sessions(first.date(), last.date())
    else:
        sessions = pd.DatetimeIndex(pd.to_datetime(list(trading_days))).normalize()
    sessions = sessions[(sessions > first) & (sessions <= last)]
    points = pd.DatetimeIndex([first]).append(sessions).unique().sort_values()
    # Each point's level is the last one on or before it (the levels are sorted and unique,
    # and the first point is the first level): found by bisection, not a reindex.
    before = levels.index.searchsorted(points, side="right") - 1
    return pd.Series(levels.to_numpy()[before], index=points.rename("date"))


def trading_day_returns(
    index_series: pd.Series, trading_days: Sequence[date] | pd.DatetimeIndex | None = None
) -> pd.Series:
    """Return the daily returns of a TWR index between consecutive trading days.

    The first return runs from the index's first date (the base) to the first session.
    """
    levels = trading_day_levels(index_series, trading_days)
    return (levels / levels.shift(1) - 1.0).iloc[1:]


def _drawdown(
    values: np.ndarray, day_of: Callable[[int], date]
) -> tuple[float, date | None, date | None, date | None]:
    """Return the largest peak-to-trough fall of the levels ``values`` and its peak, trough
    and recovery dates (``day_of(i)``: the date of ``values[i]``).

    1. The drawdown on each day is ``1 - level / running maximum``.
    2. The trough is the day of the largest drawdown (the first such day on a tie).
    3. The peak is the last day at the running maximum before the trough.
    4. The recovery is the first day after the trough back at or above the peak, else None.
    """
    if len(values) < 2:
        return 0.0, None, None, None
    running_peak = np.maximum.accumulate(values)
    falls = 1.0 - values / running_peak
    trough = int(np.argmax(falls))
    if falls[trough] <= 0:
        return 0.0, None, None, None
    peak = int(np.flatnonzero(values[: trough + 1] == running_peak[trough])[-1])
    recovered = np.flatnonzero(values[trough + 1 :] >= values[peak])
    recovery = day_of(trough + 1 + int(recovered[0])) if len(recovered) else None
    return float(falls[trough]), day_of(peak), day_of(trough), recovery


def risk_metrics(
    index_series: pd.Series,
    risk_free_rate: float | Decimal = 0.0,
    trading_days: Sequence[date] | pd.DatetimeIndex | None = None,
) -> RiskMetrics:
    """Return volatility, Sharpe, Sortino, max drawdown and VaR of a TWR index (DESIGN §7).

    ``index_series`` is the cumulative TWR index (1.0 at the base) by calendar date;
    ``risk_free_rate`` is annual. With returns r_1..r_n on XNYS sessions:

    1. volatility = sample standard deviation (n - 1) x sqrt(252).
    2. rf_daily = (1 + rf)^(1/252) - 1; Sharpe = (mean - rf_daily) / sd x sqrt(252).
    3. Sortino = (mean - rf_daily) / dd x sqrt(252), where the downside deviation
       dd = sqrt(mean(min(r, 0)^2)) over every day (threshold 0, DESIGN §7).
    4. max_drawdown is the largest fall of the index from a running peak, a positive fraction,
       with its peak, trough and recovery dates.
    5. var_95 = -(5th percentile of the returns), a positive fraction for a loss, using
       numpy's linear interpolation between order statistics (Hyndman & Fan type 7, Excel's
       PERCENTILE.INC). A negative var_95 means even that day was a gain.

    Figures needing a spread are None when there are fewer than two returns or no spread.
    """
    levels = trading_day_levels(index_series, trading_days)
    dates = levels.index
    return _risk_of_levels(levels.to_numpy(), lambda i: dates[i].date(), risk_free_rate)


def daily_risk_metrics(
    levels: np.ndarray, start: date, risk_free_rate: float | Decimal = 0.0
) -> RiskMetrics:
    """Return ``risk_metrics`` of a daily index without pandas: the same figures, float for
    float (the same levels on the same XNYS sessions, then the same arithmetic).

    ``levels[i]`` is the index on ``start`` + i days (NaN: none that day), as a stored
    valuation series holds it.
    """
    points, values = trading_day_points(levels, start)
    return _risk_of_levels(values, lambda i: start + timedelta(days=int(points[i])), risk_free_rate)


def _risk_of_levels(
    values: np.ndarray, day_of: Callable[[int], date], risk_free_rate: float | Decimal
) -> RiskMetrics:
    """Return the figures of ``risk_metrics`` from the index's levels on its trading days
    (the base first); ``day_of(i)`` is the date of ``values[i]``."""
    returns = values[1:] / values[:-1] - 1.0
    max_drawdown, peak, trough, recovery = _drawdown(values, day_of)
    count = len(returns)
    annual_scale = math.sqrt(TRADING_DAYS_PER_YEAR)

    volatility = sharpe = sortino = var_95 = None
    if count >= 1:
        var_95 = -float(np.percentile(returns, VAR_PERCENTILE, method="linear"))
    if count >= 2:
        rf_daily = (1.0 + float(risk_free_rate)) ** (1.0 / TRADING_DAYS_PER_YEAR) - 1.0
        excess = float(np.mean(returns)) - rf_daily
        sd = float(np.std(returns, ddof=1))
        volatility = sd * annual_scale
        if sd > 0:
            sharpe = excess / sd * annual_scale
        downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
        if downside > 0:
            sortino = excess / downside * annual_scale

    return RiskMetrics(
        observations=count,
        volatility=volatility,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown=max_drawdown,
        drawdown_peak=peak,
        drawdown_trough=trough,
        drawdown_recovery=recovery,
        var_95=var_95,
    )


def _paired_returns(
    port_returns: pd.Series | Sequence[float | Decimal],
    bench_returns: pd.Series | Sequence[float | Decimal],
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(port_returns, pd.Series) and isinstance(bench_returns, pd.Series):
        paired = pd.concat([port_returns, bench_returns], axis=1, join="inner").dropna()
        return _float_array(paired.iloc[:, 0]), _float_array(paired.iloc[:, 1])
    if len(port_returns) != len(bench_returns):
        raise ValueError(
            "portfolio and benchmark returns must be aligned "
            f"(got {len(port_returns)} and {len(bench_returns)})"
        )
    return _float_array(port_returns), _float_array(bench_returns)


def benchmark_metrics(
    port_returns: pd.Series | Sequence[float | Decimal],
    bench_returns: pd.Series | Sequence[float | Decimal],
) -> BenchmarkMetrics:
    """Return beta and tracking error of daily portfolio returns against a benchmark's.

    Two Series are paired on their common dates; plain sequences must already be aligned.

    1. beta = sample cov(p, b) / sample var(b).
    2. tracking_error = sample sd(p - b) x sqrt(252).

    The excess return (portfolio TWR - benchmark TWR) is the caller's, from the two TWRs.
    """
    port, bench = _paired_returns(port_returns, bench_returns)
    count = len(port)
    if count < 2:
        return BenchmarkMetrics(observations=count, beta=None, tracking_error=None)
    bench_variance = float(np.var(bench, ddof=1))
    beta = None
    if bench_variance > 0:
        beta = float(np.cov(port, bench, ddof=1)[0, 1]) / bench_variance
    tracking_error = float(np.std(port - bench, ddof=1)) * math.sqrt(TRADING_DAYS_PER_YEAR)
    return BenchmarkMetrics(observations=count, beta=beta, tracking_error=tracking_error)
