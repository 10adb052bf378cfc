"""Return a portfolio's period returns: true time-weighted, money-weighted and Modified Dietz.

Pure functions over plain sequences, following DESIGN §7 and Portfolio Performance's
conventions. Inputs may be ``Decimal`` (money as stored) or floats; results are floats,
because a return is a ratio, not money, and the caller rounds it where a user reads it.

Two sign conventions, each named where it applies:

* ``xirr`` takes flows as the *investor* sees them (Excel's XIRR): money put into the
  portfolio is negative, money taken out is positive.
* ``period_irr`` and ``modified_dietz`` take a period's external flows as the *portfolio*
  sees them: a deposit is positive, a withdrawal negative. Both use only flows dated inside
  the period ``(start, end]``: a flow on the start date is already in the start value.

The risk, benchmark, period and display helpers live in sibling modules and are re-exported
here, so ``reporting.calculations.performance`` is the one import for performance math.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
import pyxirr

from reporting.calculations.benchmarks import blend_benchmark_index
from reporting.calculations.downsampling import downsample, downsample_indices
from reporting.calculations.periods import PERIOD_CODES, period_bounds
from reporting.calculations.risk import (
    TRADING_DAYS_PER_YEAR,
    BenchmarkMetrics,
    RiskMetrics,
    benchmark_metrics,
    daily_risk_metrics,
    risk_metrics,
    trading_day_levels,
    trading_day_returns,
    xnys_sessions,
)
from reporting.calculations.twr import (  # numpy only: daily_series uses them, without pandas
    _NO_CAPITAL,
    Number,
    _daily_returns,
    twr_daily,
)

__all__ = [
    "DAYS_PER_YEAR",
    "PERIOD_CODES",
    "TRADING_DAYS_PER_YEAR",
    "BenchmarkMetrics",
    "Number",
    "RiskMetrics",
    "annualize",
    "benchmark_metrics",
    "blend_benchmark_index",
    "daily_risk_metrics",
    "downsample",
    "downsample_indices",
    "modified_dietz",
    "period_bounds",
    "period_irr",
    "risk_metrics",
    "trading_day_levels",
    "trading_day_returns",
    "twr",
    "twr_daily",
    "twr_index",
    "xirr",
    "xnys_sessions",
]

DAYS_PER_YEAR = 365


def twr_index(
    values: Sequence[Number], inflows: Sequence[Number], outflows: Sequence[Number]
) -> list[float]:
    """Return the cumulative TWR index by day: 1.0 on the start day, then the product of 1 + r_t.

    ``index[t] - 1`` is the cumulative time-weighted return over ``(start, day t]``.
    """
    return np.cumprod(1.0 + _daily_returns(values, inflows, outflows)).tolist()


def twr(values: Sequence[Number], inflows: Sequence[Number], outflows: Sequence[Number]) -> float:
    """Return the cumulative time-weighted return over ``(start, end]``, chain-linking days."""
    if len(values) == 0:
        return 0.0
    return float(np.prod(1.0 + _daily_returns(values, inflows, outflows)) - 1.0)


def annualize(twr: Number, days: int) -> float | None:
    """Return ``(1 + twr)^(365 / days) - 1``, or None for a period under 365 days (DESIGN §7).

    None also when ``1 + twr`` is negative, where no real annual rate exists.
    """
    if days < DAYS_PER_YEAR:
        return None
    growth = 1.0 + float(twr)
    if growth < 0:
        return None
    return growth ** (DAYS_PER_YEAR / days) - 1.0


def xirr(flows: Sequence[tuple[date, Number]]) -> float | None:
    """Return the annual internal rate of return of dated flows (XIRR, actual/365), or None.

    Sign convention (the investor's, as Excel's XIRR): money into the portfolio is negative,
    money out of it (including a closing value) positive. None when the flows have no
    solution: fewer than two flows, all of one sign, or a solver that does not converge.
    """
    if len(flows) < 2:
        return None
    ordered = sorted(flows, key=lambda flow: flow[0])
    rate = pyxirr.xirr(
        [flow_date for flow_date, _ in ordered],
        [float(amount) for _, amount in ordered],
        day_count=pyxirr.DayCount.ACT_365F,
        silent=True,
    )
    if rate is None or not math.isfinite(rate):
        return None
    return float(rate)


def _flows_in_period(
    flows: Sequence[tuple[date, Number]], start: date, end: date
) -> list[tuple[date, float]]:
    return [(flow_date, float(amount)) for flow_date, amount in flows if start < flow_date <= end]


def period_irr(
    start_date: date,
    start_value: Number,
    flows: Sequence[tuple[date, Number]],
    end_date: date,
    end_value: Number,
) -> float | None:
    """Return the money-weighted return (XIRR, actual/365) of a period, or None if unsolvable.

    ``flows`` are the period's external flows as the portfolio sees them (a deposit positive,
    a withdrawal negative); only those in ``(start_date, end_date]`` count.

    1. The value at the close of ``start_date`` is put in: a flow of ``-start_value``.
    2. Each external flow is turned to the investor's side: ``-amount`` on its date.
    3. The value at the close of ``end_date`` is taken out: a flow of ``+end_value``.
    4. XIRR solves ``sum(flow_i / (1 + irr)^(days_i / 365)) = 0`` (DESIGN §7; Portfolio
       Performance's IRR, where the start value counts as an inflow when a period starts
       after the first transaction).
    """
    cash_flows: list[tuple[date, Number]] = [(start_date, -float(start_value))]
    cash_flows += [
        (flow_date, -amount) for flow_date, amount in _flows_in_period(flows, start_date, end_date)
    ]
    cash_flows.append((end_date, float(end_value)))
    return xirr(cash_flows)


def modified_dietz(
    start_value: Number,
    end_value: Number,
    flows: Sequence[tuple[date, Number]],
    start: date,
    end: date,
) -> float | None:
    """Return the Modified Dietz return of a period, or None when nothing was at work.

    ``flows`` are external flows as the portfolio sees them (a deposit positive, a withdrawal
    negative); only those in ``(start, end]`` count.

    1. Weight each flow by the share of the period left after its day:
       ``w_i = (end - d_i) / (end - start)`` in calendar days (a flow on ``end`` weighs 0).
    2. Return ``(EMV - BMV - sum F_i) / (BMV + sum w_i F_i)`` (GIPS, Modified Dietz).
    """
    total_days = (end - start).days
    if total_days <= 0:
        raise ValueError(f"the period must end after it starts (got {start} to {end})")
    period_flows = _flows_in_period(flows, start, end)
    net_flow = sum(amount for _, amount in period_flows)
    weighted_flow = sum(
        amount * (end - flow_date).days / total_days for flow_date, amount in period_flows
    )
    average_capital = float(start_value) + weighted_flow
    if abs(average_capital) <= _NO_CAPITAL:
        return None
    return (float(end_value) - float(start_value) - net_flow) / average_capital
