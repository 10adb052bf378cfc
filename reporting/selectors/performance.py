"""Performance figures of a household, an account or a sleeve over any period (DESIGN §5, §7).

Every figure is a slice of one stored daily series (``reporting.models.ValuationSeries``):
periods are windows on it, never separate recomputations, and nothing here values a
portfolio. Money is returned as ``Decimal`` (from the stored ten-thousandths), ratios as
floats that the API rounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings

from portfolios.api.exceptions import ApplicationError
from portfolios.models import Account, Household, Sleeve
from portfolios.selectors.accounts import account_get
from portfolios.selectors.as_of import household_today
from reporting.calculations.daily_series import MONEY_SCALE, DailySeries
from reporting.calculations.performance import (
    PERIOD_CODES,
    annualize,
    benchmark_metrics,
    daily_risk_metrics,
    modified_dietz,
    period_bounds,
    period_irr,
    risk_metrics,
    trading_day_returns,
)
from reporting.models import ValuationSeries
from reporting.selectors.benchmarks import ResolvedBenchmark, benchmark_index, benchmark_resolve
from reporting.selectors.series import StoredSeries, series_get

Scope = ValuationSeries.Scope


@dataclass(frozen=True)
class PerformanceSummary:
    """Exactly DESIGN §5's fields of `performance/`; benchmark fields None without one."""

    twr: float | None
    twr_annualized: float | None
    irr: float | None
    modified_dietz: float | None
    volatility: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float | None
    var_95: float | None
    start_value: Decimal
    end_value: Decimal
    net_flows: Decimal
    benchmark_twr: float | None = None
    benchmark_volatility: float | None = None
    benchmark_max_drawdown: float | None = None
    excess_return: float | None = None
    beta: float | None = None
    tracking_error: float | None = None


@dataclass(frozen=True)
class GainBreakdown:
    """start value + net flows + realized + unrealized + income - fees - taxes = end value."""

    start_value: Decimal
    net_flows: Decimal
    realized: Decimal
    unrealized: Decimal
    income: Decimal
    fees: Decimal
    taxes: Decimal
    end_value: Decimal


@dataclass(frozen=True)
class Window:
    """A period on a stored series: dates asked for, and their positions in the arrays."""

    start: date
    end: date
    first: int
    last: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def _money(units: int | np.integer) -> Decimal:
    return Decimal(int(units)) / MONEY_SCALE


def scope_resolve(
    *,
    household: Household,
    account: Account | str | int | None = None,
    sleeve: Sleeve | str | int | None = None,
) -> tuple[str, str]:
    """Return (scope, key) of the household, an account (id or name) or a sleeve (id or name).

    An account or sleeve of another household is unknown here: a 400 naming the field.
    """
    if account not in (None, "") and sleeve not in (None, ""):
        raise ApplicationError(
            "choose an account or a sleeve, not both",
            errors={"sleeve": ["choose an account or a sleeve, not both"]},
        )
    if account not in (None, ""):
        if isinstance(account, Account):
            if account.household_id != household.pk:
                raise _unknown("account", account.pk)
            return Scope.ACCOUNT, str(account.pk)
        try:
            return Scope.ACCOUNT, str(account_get(household=household, ref=account).pk)
        except Account.DoesNotExist:
            raise _unknown("account", account) from None
    if sleeve not in (None, ""):
        if isinstance(sleeve, Sleeve):
            found = sleeve if sleeve.household_id == household.pk else None
        else:
            sleeves = Sleeve.objects.filter(household=household)
            ref = str(sleeve)
            found = (
                sleeves.filter(pk=int(ref)).first() if ref.isascii() and ref.isdigit() else None
            ) or (sleeves.filter(name__iexact=ref).first())
        if found is None:
            raise _unknown("sleeve", sleeve)
        return Scope.SLEEVE, str(found.pk)
    return Scope.HOUSEHOLD, ""


def _unknown(field: str, ref) -> ApplicationError:
    message = f"no {field} {ref!r} in this household"
    return ApplicationError(message, errors={field: [message]})


def period_window(
    stored: StoredSeries,
    *,
    start: date | None = None,
    end: date | None = None,
    period: str | None = None,
    as_of: date | None = None,
) -> Window:
    """Return the window of a period: a code (1M..MAX) ending at ``end``, or start/end.

    Without dates the window is the scope's whole history up to ``as_of`` (the household's
    valuation as-of, ``portfolios.selectors.as_of.household_today``: the day the holdings
    are valued at), or to the last stored day without one. ``end`` after the last stored
    day is clamped to it; a ``start`` before the history counts from a value of 0.
    """
    series = stored.series
    if end is None and as_of is not None and as_of >= stored.first_date:
        end = as_of
    end = min(end or series.end, series.end)
    if period:
        code = period.upper()
        if code not in PERIOD_CODES:
            raise ApplicationError(
                f"unknown period {period!r}",
                errors={"period": [f"choose one of {', '.join(PERIOD_CODES)}"]},
            )
        start, end = period_bounds(code, end, stored.first_date)
    start = start or stored.first_date
    if start > end:
        raise ApplicationError(
            "start must be on or before end",
            errors={"start": [f"start {start} is after end {end}"]},
        )
    return Window(start, end, series.position(start), series.position(end))


def _index(series: DailySeries, window: Window) -> pd.Series:
    first_day = series.start + timedelta(days=window.first)
    levels = series.twr_index[window.first : window.last + 1]
    return pd.Series(levels, index=pd.date_range(first_day, periods=len(levels), freq="D"))


def _flows(series: DailySeries, window: Window) -> list[tuple[date, float]]:
    """Return the external flows in (start, end] as the portfolio sees them (in - out)."""
    net = (series.money["inflow"] - series.money["outflow"])[window.first + 1 : window.last + 1]
    days = np.flatnonzero(net)
    # Whole arrays at once (the same float64 division, the same dates): decades of history
    # have thousands of flow days.
    dates = (np.datetime64(series.start, "D") + (window.first + 1 + days)).tolist()
    return list(zip(dates, (net[days] / MONEY_SCALE).tolist(), strict=True))


def summary_of(
    stored: StoredSeries,
    window: Window,
    benchmark: ResolvedBenchmark | None = None,
    *,
    with_risk: bool = True,
    fetched: Mapping[str, pd.Series] | None = None,
) -> PerformanceSummary:
    """Return the figures of one stored series over a window (DESIGN §7)."""
    series = stored.series
    value = series.money["value"]
    index = series.twr_index
    start_value, end_value = _money(value[window.first]), _money(value[window.last])
    flows = _flows(series, window)
    net_flows = _money(
        (series.money["inflow"] - series.money["outflow"])[window.first + 1 : window.last + 1].sum()
    )
    twr = float(index[window.last] / index[window.first] - 1.0)
    irr = dietz = None
    if window.days > 0:
        irr = period_irr(window.start, start_value, flows, window.end, end_value)
        dietz = modified_dietz(start_value, end_value, flows, window.start, window.end)
    risk = None
    if with_risk:
        # risk_metrics' figures from the stored arrays, without building a pandas Series
        risk = daily_risk_metrics(
            index[window.first : window.last + 1],
            series.start + timedelta(days=window.first),
            float(settings.RISK_FREE_RATE),
        )
    figures = {
        "twr": twr,
        "twr_annualized": annualize(twr, window.days),
        "irr": irr,
        "modified_dietz": dietz,
        "volatility": risk.volatility if risk else None,
        "sharpe": risk.sharpe if risk else None,
        "sortino": risk.sortino if risk else None,
        "max_drawdown": risk.max_drawdown if risk else None,
        "var_95": risk.var_95 if risk else None,
        "start_value": start_value,
        "end_value": end_value,
        "net_flows": net_flows,
    }
    if benchmark is not None:
        bench = benchmark_index(
            benchmark=benchmark, start=window.start, end=window.end, fetched=fetched
        )
        bench_risk = risk_metrics(bench, float(settings.RISK_FREE_RATE))
        bench_twr = float(bench.iloc[-1] / bench.iloc[0] - 1.0)
        levels = _index(series, window)
        paired = benchmark_metrics(trading_day_returns(levels), trading_day_returns(bench))
        figures |= {
            "benchmark_twr": bench_twr,
            "benchmark_volatility": bench_risk.volatility,
            "benchmark_max_drawdown": bench_risk.max_drawdown,
            "excess_return": twr - bench_twr,
            "beta": paired.beta,
            "tracking_error": paired.tracking_error,
        }
    return PerformanceSummary(**figures)


def _stored_or_empty(household: Household, scope: str, key: str) -> StoredSeries | None:
    return series_get(household=household, scope=scope, key=key)


EMPTY = PerformanceSummary(
    twr=None,
    twr_annualized=None,
    irr=None,
    modified_dietz=None,
    volatility=None,
    sharpe=None,
    sortino=None,
    max_drawdown=None,
    var_95=None,
    start_value=Decimal("0"),
    end_value=Decimal("0"),
    net_flows=Decimal("0"),
)


def performance_summary(
    *,
    household: Household,
    start: date | None = None,
    end: date | None = None,
    account: Account | str | int | None = None,
    sleeve: Sleeve | str | int | None = None,
    benchmark: str | ResolvedBenchmark | None = None,
    period: str | None = None,
    fetched: Mapping[str, pd.Series] | None = None,
) -> PerformanceSummary:
    """Return DESIGN §5's figures for the household, an account or a sleeve over a period.

    Without ``end`` the period ends at the household's valuation as-of (the day its holdings
    are valued at), so ``end_value`` is the holdings' market value plus cash. ``benchmark``
    is a spec or one resolved already, ``fetched`` the closes fetched for it
    (``reporting.services.benchmarks.benchmark_choose``). Before the household's first
    valuation every ratio is None and every amount 0.
    """
    scope, key = scope_resolve(household=household, account=account, sleeve=sleeve)
    resolved = _resolved(household, benchmark)
    stored = _stored_or_empty(household, scope, key)
    if stored is None:
        return EMPTY
    window = period_window(
        stored, start=start, end=end, period=period, as_of=household_today(household)
    )
    return summary_of(stored, window, resolved, fetched=fetched)


def _resolved(
    household: Household, benchmark: str | ResolvedBenchmark | None
) -> ResolvedBenchmark | None:
    if isinstance(benchmark, ResolvedBenchmark) or not benchmark:
        return benchmark or None
    return benchmark_resolve(household=household, spec=benchmark)


@dataclass(frozen=True)
class SeriesRow:
    date: date
    value: Decimal
    net_flows: Decimal
    cumulative_twr: float
    benchmark_cumulative: float | None


def series_rows(
    stored: StoredSeries,
    window: Window,
    benchmark: ResolvedBenchmark | None = None,
    fetched: Mapping[str, pd.Series] | None = None,
) -> list[SeriesRow]:
    """Return one row per day of the window: value, net flows, cumulative TWR (and bench)."""
    series = stored.series
    first, last = window.first, window.last
    values = series.money["value"][first : last + 1]
    net = (series.money["inflow"] - series.money["outflow"])[first : last + 1]
    net[0] = 0  # flows of the base day are already in its value
    index = series.twr_index[first : last + 1]
    cumulative = index / index[0] - 1.0
    bench = None
    if benchmark is not None:
        day0 = series.start + timedelta(days=first)
        bench_index = benchmark_index(
            benchmark=benchmark, start=day0, end=window.end, fetched=fetched
        )
        bench = bench_index.to_numpy() / bench_index.iloc[0] - 1.0
    day0 = series.start + timedelta(days=first)
    return [
        SeriesRow(
            date=day0 + timedelta(days=i),
            value=_money(values[i]),
            net_flows=_money(net[i]),
            cumulative_twr=float(cumulative[i]),
            benchmark_cumulative=float(bench[i]) if bench is not None else None,
        )
        for i in range(len(values))
    ]


def performance_series(
    *,
    household: Household,
    start: date | None = None,
    end: date | None = None,
    account: Account | str | int | None = None,
    sleeve: Sleeve | str | int | None = None,
    benchmark: str | ResolvedBenchmark | None = None,
    period: str | None = None,
    fetched: Mapping[str, pd.Series] | None = None,
) -> list[SeriesRow]:
    """Return the daily rows of `performance/series/` (none before the first valuation),
    ending by default at the household's valuation as-of (as ``performance_summary``)."""
    scope, key = scope_resolve(household=household, account=account, sleeve=sleeve)
    resolved = _resolved(household, benchmark)
    stored = _stored_or_empty(household, scope, key)
    if stored is None:
        return []
    window = period_window(
        stored, start=start, end=end, period=period, as_of=household_today(household)
    )
    return series_rows(stored, window, resolved, fetched)


def gain_breakdown(stored: StoredSeries, window: Window) -> GainBreakdown:
    """Return the period's absolute gain in its parts (see reporting.calculations.replay)."""
    money = stored.series.money
    first, last = window.first, window.last

    def change(column: str) -> int:
        return int(money[column][last]) - int(money[column][first])

    net_flows = int((money["inflow"] - money["outflow"])[first + 1 : last + 1].sum())
    unrealized = (
        int(money["value"][last]) - int(money["cost"][last]) - int(money["carried"][last])
    ) - (int(money["value"][first]) - int(money["cost"][first]) - int(money["carried"][first]))
    return GainBreakdown(
        start_value=_money(money["value"][first]),
        net_flows=_money(net_flows),
        realized=_money(change("realized")),
        unrealized=_money(unrealized),
        income=_money(change("income")),
        fees=_money(change("fees")),
        taxes=_money(change("taxes")),
        end_value=_money(money["value"][last]),
    )


def value_as_of(*, household: Household, account=None, sleeve=None) -> Decimal | None:
    """Return the stored value of the household (or an account, or a sleeve) at its
    valuation as-of: the last stored day on or before the household's today, the day the
    holdings are valued at, so it equals their market values plus cash to the cent. None
    before the first valuation. For the dashboard's "worth now", read this (not the
    series' last day, which a transaction dated after today would move)."""
    scope, key = scope_resolve(household=household, account=account, sleeve=sleeve)
    stored = _stored_or_empty(household, scope, key)
    if stored is None:
        return None
    window = period_window(stored, as_of=household_today(household))
    return _money(stored.series.money["value"][window.last])
