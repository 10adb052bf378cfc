"""Read stored valuation series: one query for a household's scopes, decoded to arrays."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portfolios.models import Household
from reporting.calculations.daily_series import (
    MONEY_SCALE,
    DailySeries,
    combine_series,
    decode_series,
)
from reporting.models import ValuationSeries

Scope = ValuationSeries.Scope
logger = logging.getLogger(__name__)

# Decoded series kept by this process, keyed by the stored bytes themselves: decoding is a
# pure function of them, so a rewritten row is simply a new key. A heavy household's 16
# series decode to about 14 MB; the oldest are dropped past this many.
DECODED_KEPT = 48
_decoded: OrderedDict[tuple, DailySeries] = OrderedDict()
_decoded_lock = threading.Lock()


def _decoded_series(recent, history, start: date) -> DailySeries:
    """Return ``decode_series`` of the stored parts, decoded once per process.

    The arrays are shared by every reader, so they are made read-only: a reader that
    needs to change one works on a copy.
    """
    key = (start, bytes(recent), bytes(history))
    with _decoded_lock:
        found = _decoded.get(key)
        if found is not None:
            _decoded.move_to_end(key)
            return found
    series = decode_series(key[1], key[2], start)
    for column in series.money.values():
        column.flags.writeable = False
    with _decoded_lock:
        _decoded[key] = series
        while len(_decoded) > DECODED_KEPT:
            _decoded.popitem(last=False)
    return series


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


# The columns a stored series is read from (plain rows: no model instances to build).
_COLUMNS = (
    "pk",
    "scope",
    "scope_key",
    "label",
    "first_date",
    "computed_at",
    "meta",
    "start_date",
    "values",
    "history",
)


def _stored(row: tuple) -> StoredSeries | None:
    pk, scope, key, label, first_date, computed_at, meta, start, recent, history = row
    try:
        series = _decoded_series(recent, history, start)
    except ValueError:
        # Packed by an older format: read as not yet valued until the next rebuild.
        logger.warning("valuation series %s has an old format; waiting for a rebuild", pk)
        return None
    return StoredSeries(
        scope=scope,
        key=key,
        label=label,
        first_date=first_date,
        computed_at=computed_at,
        meta=meta,
        series=series,
    )


def series_list(
    *, household: Household, scopes: tuple[str, ...] | None = None
) -> list[StoredSeries]:
    """Return the household's stored series (all scopes, or only those named), in one query."""
    rows = ValuationSeries.objects.filter(household=household)
    if scopes:
        rows = rows.filter(scope__in=scopes)
    return [stored for row in rows.values_list(*_COLUMNS) if (stored := _stored(row)) is not None]


def series_get(*, household: Household, scope: str, key: str = "") -> StoredSeries | None:
    """Return one scope's stored series, or None before the first valuation."""
    row = (
        ValuationSeries.objects.filter(household=household, scope=scope, scope_key=key)
        .values_list(*_COLUMNS)
        .first()
    )
    return _stored(row) if row is not None else None


def series_combined(parts: list[StoredSeries], *, label: str) -> StoredSeries | None:
    """Return several accounts' stored series added up as one (None without any).

    Flows between accounts of the group net out (``combine_series``), so the group's return
    is that of the group, not of its parts.
    """
    if not parts:
        return None
    if len(parts) == 1:
        return StoredSeries(**{**parts[0].__dict__, "label": label})
    return StoredSeries(
        scope=Scope.ACCOUNT,
        key=",".join(part.key for part in parts),
        label=label,
        first_date=min(part.first_date for part in parts),
        computed_at=min(part.computed_at for part in parts),
        meta={},
        series=combine_series([part.series for part in parts]),
    )


def series_cash_by_account(
    parts: list[StoredSeries], *, today: date, not_older_than
) -> dict[int, Decimal] | None:
    """Return each account's cash on its series' last day, read from the stored series.

    None (the caller then reads the ledger) unless every series reaches ``today`` and was
    computed at or after ``not_older_than`` (the ledger's last rebuild): only then is the
    stored cash today's. Accounts without a series have no transactions: no cash.
    """
    if (
        not parts
        or not_older_than is None
        or any(part.series.end < today or part.computed_at < not_older_than for part in parts)
    ):
        return None
    return {
        int(part.key): Decimal(int(part.series.money["cash"][-1])) / MONEY_SCALE for part in parts
    }


def household_series_end(*, household: Household) -> date | None:
    """Return the last day of the household's stored series, or None before the first."""
    return (
        ValuationSeries.objects.filter(household=household, scope=Scope.HOUSEHOLD)
        .values_list("end_date", flat=True)
        .first()
    )
