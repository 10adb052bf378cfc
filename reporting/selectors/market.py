"""Market-data health: securities whose closes have stopped arriving."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from portfolios.models import Household, Price, Security, Transaction
from reporting.calculations.sessions import xnys_session_days
from reporting.models import ValuationSeries
from reporting.services.valuation_inputs import PAR_KINDS

NEW_YORK = ZoneInfo("America/New_York")
# Closes are published a little after the 16:00 bell; before this a session is not over.
SESSION_DONE = time(16, 30)


@dataclass(frozen=True)
class StaleSecurity:
    """A held security without a new close for ``sessions_missing`` XNYS sessions."""

    security_id: int
    symbol: str
    last_price: date | None
    sessions_missing: int


def last_closed_session(now: datetime | None = None) -> date:
    """Return the latest XNYS session whose close is past, in New York time."""
    moment = (now or timezone.now()).astimezone(NEW_YORK)
    today = moment.date()
    days = list(xnys_session_days(today - timedelta(days=14), today).astype(object))
    if days and days[-1] == today and moment.time() < SESSION_DONE:
        days.pop()
    return days[-1] if days else today


def held_security_ids(*, household: Household | None = None) -> list[int]:
    """Return the securities held at the last valuation (all households when None).

    Before a household's first valuation, every security it has traded counts.
    """
    rows = ValuationSeries.objects.filter(scope=ValuationSeries.Scope.HOUSEHOLD)
    traded = Transaction.objects.filter(security__isnull=False)
    if household is not None:
        rows = rows.filter(household=household)
        traded = traded.filter(account__household=household)
    held: set[int] = set()
    valued = set()
    for household_id, meta in rows.values_list("household_id", "meta"):
        held.update(meta.get("held", []))
        valued.add(household_id)
    if household is not None and household.pk in valued:
        return sorted(held)  # valued: nothing traded is left to count
    unvalued = traded.exclude(account__household_id__in=valued)
    held.update(unvalued.values_list("security_id", flat=True).distinct())
    return sorted(held)


def held_in_series(meta: dict) -> list[int]:
    """Return the securities held at the last valuation as ``held_security_ids`` does, from
    the household series' ``meta`` a page has already read."""
    return sorted(set(meta.get("held", [])))


def stale_securities(
    *,
    household: Household | None = None,
    as_of: date | None = None,
    sessions: int | None = None,
    held_ids: list[int] | None = None,
) -> list[StaleSecurity]:
    """Return held securities whose last close is ``sessions`` or more XNYS sessions old.

    ``sessions`` defaults to settings.STALE_PRICE_SESSIONS, ``as_of`` to the last session
    that has closed. Cash-like securities, valued at par, are never stale. One query for
    the held set (none when the caller has it: ``held_ids``, see ``held_in_series``) and
    one for each security's last close (an index seek each).
    """
    sessions = sessions if sessions is not None else settings.STALE_PRICE_SESSIONS
    as_of = as_of or last_closed_session()
    ids = held_ids if held_ids is not None else held_security_ids(household=household)
    if not ids:
        return []
    latest = Price.objects.filter(security=OuterRef("pk")).order_by("-date").values("date")[:1]
    rows = list(
        Security.objects.filter(pk__in=ids)
        .exclude(kind__in=PAR_KINDS)
        .annotate(last_price=Subquery(latest))
        .values_list("pk", "symbol", "last_price")
        .order_by("symbol")
    )
    if not rows:
        return []
    earliest = min((last for _, _, last in rows if last), default=as_of)
    session_days = xnys_session_days(min(earliest, as_of), as_of)
    stale = []
    for pk, symbol, last in rows:
        if last is None:
            stale.append(StaleSecurity(pk, symbol, None, len(session_days)))
            continue
        missing = len(session_days) - int(
            np.searchsorted(session_days, np.datetime64(last, "D"), side="right")
        )
        if missing >= sessions:
            stale.append(StaleSecurity(pk, symbol, last, missing))
    return stale
