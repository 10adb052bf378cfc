"""Return the cumulative index of a benchmark blend, such as 60% VTI + 40% BND (DESIGN §2)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

REBALANCE_RULES = ("monthly", "daily", "none")

# Weights are Decimals that add up to exactly 1; floats from elsewhere may miss by a hair.
_WEIGHT_TOLERANCE = 1e-9


def _close_series(symbol: str, closes: pd.Series) -> pd.Series:
    series = pd.Series(
        np.array([float(close) for close in closes.to_numpy()], dtype=np.float64),
        index=pd.DatetimeIndex(pd.to_datetime(closes.index)).normalize(),
    ).dropna()
    series = series[~series.index.duplicated(keep="last")].sort_index()
    if series.empty:
        raise ValueError(f"{symbol} has no prices")
    if (series <= 0).any():
        raise ValueError(f"{symbol} has a price at or below zero")
    return series


def _anchor_positions(days: pd.DatetimeIndex, rebalance: str) -> np.ndarray:
    """Return the positions of the days at whose close the blend is reset to its weights."""
    if rebalance == "daily":
        return np.arange(len(days))
    if rebalance == "monthly":
        month_ends = np.flatnonzero(days.is_month_end)
        return np.union1d([0], month_ends[month_ends > 0])
    return np.array([0])


def blend_benchmark_index(
    prices: Mapping[str, pd.Series],
    weights: Mapping[str, Decimal | float],
    rebalance: str = "monthly",
    start: date | None = None,
    end: date | None = None,
) -> pd.Series:
    """Return a blend's cumulative index on every calendar day, 1.0 at the start day's close.

    ``prices`` maps each component to its closes by date (trading days are enough);
    ``weights`` must add up to 1. The index runs from ``start`` (default: the first day every
    component has a price) to ``end`` (default: the last price of any component).

    1. Each component's close is carried forward over calendar days; before its first price
       its first price applies (the valuation rule of DESIGN §7).
    2. The blend is reset to its weights at the close of each anchor day: the start day, then
       each month's last day ("monthly": the weights hold from the first day of each month),
       every day ("daily"), or never ("none", buy and hold).
    3. Between anchors, I_t = I_a x sum_i(w_i x P_i,t / P_i,a), where a is the last anchor
       before t, so each component drifts with its own price until the next reset.
    """
    if rebalance not in REBALANCE_RULES:
        raise ValueError(f"rebalance must be one of {', '.join(REBALANCE_RULES)}")
    if not weights:
        raise ValueError("a blend needs at least one weighted component")
    missing = sorted(set(weights) - set(prices))
    if missing:
        raise ValueError(f"no prices for {', '.join(missing)}")
    symbols = sorted(weights)
    weight = np.array([float(weights[symbol]) for symbol in symbols], dtype=np.float64)
    if abs(weight.sum() - 1.0) > _WEIGHT_TOLERANCE:
        raise ValueError(f"weights must add up to 1 (got {weight.sum():g})")

    closes = {symbol: _close_series(symbol, prices[symbol]) for symbol in symbols}
    first = pd.Timestamp(start) if start else max(series.index[0] for series in closes.values())
    last = pd.Timestamp(end) if end else max(series.index[-1] for series in closes.values())
    if last < first:
        raise ValueError(f"the blend must end on or after its start (got {first} to {last})")
    days = pd.date_range(first, last, freq="D", name="date")

    matrix = np.column_stack(
        [
            series.reindex(series.index.union(days)).ffill().bfill().reindex(days).to_numpy()
            for series in closes.values()
        ]
    )
    anchors = _anchor_positions(days, rebalance)
    growth_between_anchors = (matrix[anchors[1:]] / matrix[anchors[:-1]]) @ weight
    anchor_levels = np.concatenate([[1.0], np.cumprod(growth_between_anchors)])

    positions = np.arange(len(days))
    previous_anchor = np.searchsorted(anchors, positions, side="left") - 1
    previous_anchor[0] = 0
    base_rows = anchors[previous_anchor]
    levels = anchor_levels[previous_anchor] * ((matrix / matrix[base_rows]) @ weight)
    levels[0] = 1.0
    return pd.Series(levels, index=days, name="benchmark_index")
