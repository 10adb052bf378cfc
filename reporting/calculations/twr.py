"""Daily time-weighted returns (DESIGN §7), with numpy alone.

``reporting.calculations.performance`` re-exports these; they live apart so that the stored
series' TWR index (``daily_series``), which every recompute and the alert rules read, needs
no pandas (which the performance module's benchmark and risk figures import).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

Number = float | int | Decimal

# A day whose capital at work, |V_{t-1} + in_t|, is at or below this has no return: the
# valuation is rounded to 4 decimal places, so anything smaller is rounding residue.
_NO_CAPITAL = 1e-9


def _floats(values: Sequence[Number], name: str) -> np.ndarray:
    """Return ``values`` as a float64 array, rejecting missing entries by name."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return values.astype(np.float64, copy=False)  # already numbers: no per-item loop
    try:
        return np.fromiter((float(v) for v in values), dtype=np.float64, count=len(values))
    except TypeError as error:
        raise ValueError(f"{name} must hold only numbers") from error


def _aligned_series(
    values: Sequence[Number], inflows: Sequence[Number], outflows: Sequence[Number]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not len(values) == len(inflows) == len(outflows):
        raise ValueError(
            "values, inflows and outflows must be aligned day by day "
            f"(got {len(values)}, {len(inflows)}, {len(outflows)})"
        )
    return (
        _floats(values, "values"),
        _floats(inflows, "inflows"),
        _floats(outflows, "outflows"),
    )


def _daily_returns(
    values: Sequence[Number], inflows: Sequence[Number], outflows: Sequence[Number]
) -> np.ndarray:
    value, inflow, outflow = _aligned_series(values, inflows, outflows)
    returns = np.zeros(len(value), dtype=np.float64)
    if len(value) < 2:
        return returns
    capital = value[:-1] + inflow[1:]
    ending = value[1:] + outflow[1:]
    at_work = np.abs(capital) > _NO_CAPITAL
    returns[1:][at_work] = ending[at_work] / capital[at_work] - 1.0
    return returns


def twr_daily(
    values: Sequence[Number], inflows: Sequence[Number], outflows: Sequence[Number]
) -> list[float]:
    """Return each calendar day's true time-weighted return (Portfolio Performance's TTWROR).

    The three sequences are aligned by calendar day; index 0 is the period's start day,
    whose closing value is the base, so its return is 0 and its flows are ignored (they are
    already in the base). Flows are positive magnitudes.

    1. r_t = (V_t + out_t) / (V_{t-1} + in_t) - 1: inflows arrive at the start of the day
       and so earn that day's return; outflows leave at its end (DESIGN §7).
    2. A day that starts with nothing at work (V_{t-1} + in_t = 0) returns 0, as Portfolio
       Performance does for interest booked without any investment.
    """
    return _daily_returns(values, inflows, outflows).tolist()
