"""Return fewer points of a long daily series for drawing a chart, keeping its shape.

For display only: every figure a user reads is computed on the full series.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import numpy as np

DEFAULT_MAX_POINTS = 1500


def downsample_indices(
    values: Sequence[float | Decimal | None], max_points: int = DEFAULT_MAX_POINTS
) -> list[int]:
    """Return the sorted positions to keep so that at most ``max_points`` remain.

    Min/max bucketing (as chart libraries' "min-max" decimation):

    1. Keep the first and the last point.
    2. Split the points between them into ``(max_points - 2) // 2`` buckets of near-equal size.
    3. Keep each bucket's lowest and highest point, so every peak and trough (including the
       series' global extremes and hence its drawdowns) survives.

    Missing values (None or NaN) are never chosen as extremes. A series already short enough
    is returned whole.
    """
    if max_points < 4:
        raise ValueError("max_points must be at least 4")
    count = len(values)
    if count <= max_points:
        return list(range(count))
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        series = values.astype(np.float64)  # already numbers: no Python loop over them
    else:
        series = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    buckets = (max_points - 2) // 2
    edges = np.linspace(1, count - 1, buckets + 1).astype(np.int64)
    keep = {0, count - 1}
    if not np.isnan(series).any():
        return sorted(keep | _bucket_extremes(series, edges))
    for low, high in itertools.pairwise(edges):
        bucket = series[low:high]
        if high <= low or np.isnan(bucket).all():
            continue
        keep.add(low + int(np.nanargmin(bucket)))
        keep.add(low + int(np.nanargmax(bucket)))
    return sorted(keep)


def _bucket_extremes(series: np.ndarray, edges: np.ndarray) -> set[int]:
    """Return each bucket's first lowest and first highest position, without a Python loop
    over the buckets (the same positions as ``nanargmin``/``nanargmax`` per bucket)."""
    positions = np.arange(edges[0], edges[-1])
    bucket = np.repeat(np.arange(len(edges) - 1), np.diff(edges))
    found: set[int] = set()
    for key in (series[positions], -series[positions]):
        order = np.lexsort((key, bucket))  # stable: ties keep the earlier position first
        first = np.flatnonzero(np.diff(bucket[order], prepend=-1))
        found.update(int(p) for p in positions[order[first]])
    return found


def downsample(
    dates: Sequence[date],
    values: Sequence[float | Decimal | None],
    max_points: int = DEFAULT_MAX_POINTS,
) -> tuple[list[date], list[float | Decimal | None]]:
    """Return ``(dates, values)`` thinned to at most ``max_points`` by ``downsample_indices``.

    The kept values are the original objects (a ``Decimal`` stays a ``Decimal``).
    """
    if len(dates) != len(values):
        raise ValueError(f"dates and values must align (got {len(dates)} and {len(values)})")
    keep = downsample_indices(values, max_points)
    return [dates[i] for i in keep], [values[i] for i in keep]
