"""Read stored valuation series: one query for a household's scopes, decoded to arrays."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from portfolios.models import Household
from reporting.calculations.daily_series import DailySeries, decode_series
from reporting.models import ValuationSeries

Scope = ValuationSeries.Scope
logger = logging.getLogger(__name__)


@dataclass
class StoredSeries:
    """A scope's stored row with its arrays decoded."""

    scope: str
    key: str
    label: str
    first_date: date
    computed_at: object
    meta: dict
    series: DailySeries

    @property
    def end(self) -> date:
        return self.series.end


def _stored(row: ValuationSeries) -> StoredSeries | None:
    try:
        series = decode_series(row.values, row.history, row.start_date)
    except ValueError:
        # Packed by an older format: read as not yet valued until the next rebuild.
        logger.warning("valuation series %s has an old format; waiting for a rebuild", row.pk)
        return None
    return StoredSeries(
        scope=row.scope,
        key=row.scope_key,
        label=row.label,
        first_date=row.first_date,
        computed_at=row.computed_at,
        meta=row.meta,
        series=series,
    )


def series_list(
    *, household: Household, scopes: tuple[str, ...] | None = None
) -> list[StoredSeries]:
    """Return the household's stored series (all scopes, or only those named), in one query."""
    rows = ValuationSeries.objects.filter(household=household)
    if scopes:
        rows = rows.filter(scope__in=scopes)
    return [stored for row in rows if (stored := _stored(row)) is not None]


def series_get(*, household: Household, scope: str, key: str = "") -> StoredSeries | None:
    """Return one scope's stored series, or None before the first valuation."""
    row = ValuationSeries.objects.filter(household=household, scope=scope, scope_key=key).first()
    return _stored(row) if row is not None else None


def household_series_end(*, household: Household) -> date | None:
    """Return the last day of the household's stored series, or None before the first."""
    return (
        ValuationSeries.objects.filter(household=household, scope=Scope.HOUSEHOLD)
        .values_list("end_date", flat=True)
        .first()
    )
