"""The performance page: charts and figures read from the stored series (never computed here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portfolios.api.exceptions import ApplicationError
from portfolios.remembered import remembered
from portfolios.selectors.as_of import household_today
from portfolios.views.households import current_membership_or_404
from reporting.calculations.daily_series import MONEY_SCALE
from reporting.calculations.downsampling import DEFAULT_MAX_POINTS, downsample_indices
from reporting.calculations.performance import PERIOD_CODES
from reporting.models import ValuationSeries
from reporting.selectors.benchmarks import benchmark_index, benchmark_list
from reporting.selectors.market import held_in_series, last_closed_session, stale_securities
from reporting.selectors.performance import (
    PerformanceSummary,
    gain_breakdown,
    period_window,
    summary_of,
)
from reporting.selectors.series import StoredSeries, series_list
from reporting.services.benchmarks import benchmark_choose

Scope = ValuationSeries.Scope
DEFAULT_PERIOD = "1Y"
STALE_SHOWN = 20  # the rest is counted; the admin lists all


@dataclass
class TableRow:
    scope: str
    label: str
    summary: PerformanceSummary


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ApplicationError(
            f"not a date: {raw!r}", errors={"date": ["use YYYY-MM-DD"]}
        ) from None


def _chart_points(days: list[str], values: np.ndarray) -> dict:
    """Return {x, y} thinned to at most 1,500 points for display (figures use every day)."""
    keep = downsample_indices(values.tolist(), DEFAULT_MAX_POINTS)
    return {"x": [days[i] for i in keep], "y": [round(float(values[i]), 6) for i in keep]}


def _charts(stored: StoredSeries, window, bench_levels) -> dict:
    """Return the three charts' data: value and contributions, cumulative TWR, drawdown."""
    series = stored.series
    first, last = window.first, window.last
    day0 = series.start + timedelta(days=first)
    days = [(day0 + timedelta(days=i)).isoformat() for i in range(last - first + 1)]
    value = series.money["value"][first : last + 1] / MONEY_SCALE
    net = (series.money["inflow"] - series.money["outflow"])[first + 1 : last + 1] / MONEY_SCALE
    contributions = value[0] + np.concatenate(([0.0], np.cumsum(net)))
    index = series.twr_index[first : last + 1]
    cumulative = index / index[0] - 1.0
    drawdown = index / np.maximum.accumulate(index) - 1.0
    charts = {
        "value": _chart_points(days, value),
        "contributions": _chart_points(days, contributions),
        "twr": _chart_points(days, cumulative),
        "drawdown": _chart_points(days, drawdown),
        "benchmark": None,
    }
    if bench_levels is not None:
        bench = bench_levels.to_numpy() / bench_levels.iloc[0] - 1.0
        bench_days = [d.date().isoformat() for d in bench_levels.index]
        charts["benchmark"] = _chart_points(bench_days, bench)
    return charts


@dataclass(frozen=True)
class ScopeChoice:
    """A stored series as the page lists it (its arrays stay out of the kept figures)."""

    scope: str
    key: str
    label: str


@login_required
def performance_page(request: HttpRequest) -> HttpResponse:
    """Show the household's (or a scope's) performance over a period, with a benchmark.

    Query: ``period`` (1M..MAX, default 1Y) or ``start``/``end``; ``scope`` as
    ``account:<id>`` or ``sleeve:<id>``; ``benchmark`` (ticker, blend or saved name; the
    household's default benchmark when absent, fetched through the price provider when
    none of its closes are stored). Periods end at the household's valuation as-of.

    The figures are a function of the data, the household's day, the last closed session
    (stale prices) and the query: they are kept until the data changes.
    """
    household = current_membership_or_404(request).household
    query = {
        name: request.GET.get(name) for name in ("scope", "benchmark", "period", "start", "end")
    }
    context = remembered(
        "performance page",
        household.pk,
        household_today(household),
        last_closed_session(),
        *sorted(query.items()),
        compute=lambda: _performance_context(household, query),
        # Not kept when a benchmark came from the price provider rather than the stored
        # closes, or could not be used: the next read asks again.
        keep=lambda context: not context["error"] and not context.get("fetched"),
    )
    return render(request, "reporting/performance.html", context)


def _performance_context(household, query: dict[str, str | None]) -> dict:
    stored_all = series_list(household=household)
    benchmarks = benchmark_list(household=household)
    household_row = next((s for s in stored_all if s.scope == Scope.HOUSEHOLD), None)
    # The held set as the household series' last valuation lists it (no second read).
    held = held_in_series(household_row.meta) if household_row is not None else None
    stale = stale_securities(household=household, held_ids=held)
    context = {
        "periods": PERIOD_CODES,
        "benchmarks": benchmarks,
        "stale": stale[:STALE_SHOWN],
        "stale_more": max(len(stale) - STALE_SHOWN, 0),
        "scopes": [ScopeChoice(s.scope, s.key, s.label) for s in stored_all],
        "error": None,
    }
    if household_row is None:
        return context
    context["problems"] = household_row.meta.get("problems", [])
    context["computed_at"] = household_row.computed_at

    chosen_scope = query["scope"] or ""
    stored = next((s for s in stored_all if f"{s.scope}:{s.key}" == chosen_scope), household_row)
    benchmark_spec = query["benchmark"]
    period = (query["period"] or "").upper()
    as_of = household_today(household)
    try:
        start, end = _parse_day(query["start"]), _parse_day(query["end"])
        if not (start or end) and period not in PERIOD_CODES:
            period = DEFAULT_PERIOD
        window = period_window(
            stored, start=start, end=end, period=period if not start else None, as_of=as_of
        )
        chosen = benchmark_choose(household=household, spec=benchmark_spec, start=window.start)
        resolved = chosen.resolved
        context["fetched"] = bool(chosen.fetched)
        context["error"] = chosen.error or None  # the default benchmark could not be used
        try:
            summary = summary_of(stored, window, resolved, fetched=chosen.fetched)
            bench_levels = (
                benchmark_index(
                    benchmark=resolved, start=window.start, end=window.end, fetched=chosen.fetched
                )
                if resolved
                else None
            )
        except ApplicationError as error:
            if chosen.explicit:
                raise
            # The default has no closes over this period: the figures without it.
            context["error"] = f"default benchmark {resolved.name}: {error.message}"
            resolved, bench_levels = None, None
            summary = summary_of(stored, window)
    except ApplicationError as error:
        context["error"] = error.message
        period, resolved, bench_levels = DEFAULT_PERIOD, None, None
        window = period_window(stored, period=period, as_of=as_of)
        summary = summary_of(stored, window)
    if not benchmark_spec and resolved is not None:
        benchmark_spec = resolved.name

    table = []
    for other in stored_all:
        if other.scope == Scope.HOUSEHOLD:
            continue
        other_window = period_window(other, start=window.start, end=window.end)
        table.append(TableRow(other.scope, other.label, summary_of(other, other_window)))
    context |= {
        "stored": ScopeChoice(stored.scope, stored.key, stored.label),
        "selected_scope": f"{stored.scope}:{stored.key}",
        "period": period if not query["start"] else "",
        "window": window,
        "benchmark_spec": benchmark_spec or "",
        "benchmark_name": resolved.name if resolved else "",
        "summary": summary,
        "breakdown": gain_breakdown(stored, window),
        "account_rows": [row for row in table if row.scope == Scope.ACCOUNT],
        "sleeve_rows": [row for row in table if row.scope == Scope.SLEEVE],
        "charts": _charts(stored, window, bench_levels),
    }
    return context
