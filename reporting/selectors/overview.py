"""The value and return of a scope at a glance: its change over the usual periods and the
charts of the front page, all read from one stored series (nothing is valued here)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from portfolios.api.exceptions import ApplicationError
from portfolios.models import Household
from reporting.calculations.daily_series import MONEY_SCALE
from reporting.calculations.downsampling import downsample_indices
from reporting.selectors.benchmarks import benchmark_index, benchmark_list, benchmark_resolve
from reporting.selectors.performance import Window, period_window
from reporting.selectors.series import StoredSeries

logger = logging.getLogger(__name__)

# The periods a change is shown over, and those the charts' period picker offers.
CHANGE_PERIODS = (("1D", "Day"), ("1M", "Month"), ("YTD", "Year to date"), ("1Y", "1 year"))
CHART_PERIODS = (("1M", "1M"), ("YTD", "YTD"), ("1Y", "1Y"), ("5Y", "5Y"), ("MAX", "All"))
DEFAULT_CHART_PERIOD = "1Y"
CHART_POINTS = 300  # per period and line; figures always use every day


@dataclass(frozen=True)
class PeriodChange:
    """A period's change in value split into what was put in and what the market did.

    ``change = net_contributions + gain``; ``twr`` is the time-weighted return, which
    deposits and withdrawals do not move.
    """

    code: str
    label: str
    start: date
    end: date
    start_value: Decimal
    end_value: Decimal
    change: Decimal
    net_contributions: Decimal
    gain: Decimal
    twr: float | None


@dataclass
class ValueOverview:
    """A scope's value now, its changes, and the charts' lines for every picker period."""

    as_of: date
    value: Decimal
    changes: list[PeriodChange]
    charts: dict = field(default_factory=dict)
    benchmark_name: str = ""
    benchmark_error: str = ""


def _money(units) -> Decimal:
    return Decimal(int(units)) / MONEY_SCALE


def previous_session_window(stored: StoredSeries) -> Window:
    """Return the last weekday's change: from the weekday before it to the series' end.

    On a weekend the value has not moved since Friday, so "Day" is Friday against Thursday.
    """
    end = stored.series.end
    last = end
    while last.weekday() >= 5:
        last -= timedelta(days=1)
    start = last - timedelta(days=1)
    while start.weekday() >= 5:
        start -= timedelta(days=1)
    return period_window(stored, start=max(start, stored.first_date), end=end)


def period_change(
    stored: StoredSeries, window: Window, code: str = "", label: str = ""
) -> PeriodChange:
    """Return the window's change in value, net contributions, gain and TWR."""
    money = stored.series.money
    first, last = window.first, window.last
    start_value, end_value = _money(money["value"][first]), _money(money["value"][last])
    net = _money((money["inflow"] - money["outflow"])[first + 1 : last + 1].sum())
    index = stored.series.twr_index
    twr = float(index[last] / index[first] - 1.0) if last > first else None
    change = end_value - start_value
    return PeriodChange(
        code,
        label,
        window.start,
        window.end,
        start_value,
        end_value,
        change,
        net,
        change - net,
        twr,
    )


def value_overview(
    *, household: Household, stored: StoredSeries, benchmark_spec: str | None = None
) -> ValueOverview:
    """Return the scope's value at its last stored day, its changes and the chart lines.

    The benchmark is ``benchmark_spec``, else the household's default (a ticker or blend),
    else its first saved benchmark; one whose prices are missing is left off with a note.
    """
    windows = {"1D": previous_session_window(stored)}
    for code, _ in CHANGE_PERIODS[1:] + CHART_PERIODS:
        windows.setdefault(code, period_window(stored, period=code))
    changes = [period_change(stored, windows[code], code, label) for code, label in CHANGE_PERIODS]
    end = stored.series.end
    overview = ValueOverview(
        as_of=end, value=_money(stored.series.money["value"][-1]), changes=changes
    )

    spec = benchmark_spec or household.default_benchmark
    if not spec:
        saved = benchmark_list(household=household)
        spec = saved[0].name if saved else ""
    bench = None
    if spec:
        try:
            resolved = benchmark_resolve(household=household, spec=spec)
            overview.benchmark_name = resolved.name
            bench = benchmark_index(benchmark=resolved, start=windows["MAX"].start, end=end)
        except ApplicationError as error:
            overview.benchmark_error = error.message
            bench = None
    overview.charts = {
        code: _chart_lines(stored, windows[code], bench) for code, _ in CHART_PERIODS
    }
    return overview


def _chart_lines(stored: StoredSeries, window: Window, bench: pd.Series | None) -> dict:
    """Return one period's lines: value and net contributions, cumulative TWR and benchmark.

    Net contributions start at the period's opening value and add each day's net flow, so
    the gap between the two lines is what the market added.
    """
    series = stored.series
    first, last = window.first, window.last
    value = series.money["value"][first : last + 1] / MONEY_SCALE
    net = (series.money["inflow"] - series.money["outflow"])[first + 1 : last + 1] / MONEY_SCALE
    contributions = value[0] + np.concatenate(([0.0], np.cumsum(net)))
    index = series.twr_index[first : last + 1]
    twr = index / index[0] - 1.0
    keep = [int(i) for i in downsample_indices(value, CHART_POINTS)]
    day0 = series.start + timedelta(days=first)
    lines = {
        "x": [(day0 + timedelta(days=i)).isoformat() for i in keep],
        "value": [round(float(value[i]), 2) for i in keep],
        "contributions": [round(float(contributions[i]), 2) for i in keep],
        "twr": [round(float(twr[i]), 6) for i in keep],
        "benchmark": None,
    }
    if bench is not None and len(bench):
        part = bench.loc[pd.Timestamp(day0) : pd.Timestamp(window.end)]
        if len(part):
            levels = part.to_numpy() / part.iloc[0] - 1.0
            base = part.index[0].date()
            positions = [(day0 + timedelta(days=i) - base).days for i in keep]
            lines["benchmark"] = [
                round(float(levels[p]), 6) if 0 <= p < len(levels) else None for p in positions
            ]
    return lines
