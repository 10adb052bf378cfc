"""The one valuation as-of of a household: what "now" means for every figure that values it.

Every path that values the household "now" — the holdings, lots and allocation pages and
their API rows and CSVs, rebalancing and harvesting, income yields, the alert facts, the
weekly e-mail and the quarterly review, and the stored daily valuation series (whose last
day is the performance end value and the dashboard's net worth) — takes its day from
``household_today``: today's date in the household's time zone, never the server's.

On that day each security is valued at its latest stored close on or before it, carried
forward; before its first close, at its first close (DESIGN §7, ``ledger.closes_on``).
A position's value is quantity × that close rounded once to the cent, half up, and its lots
share it by cumulative rounding (``portfolios.calculations.position_values``); the
household's value is the sum of its positions plus cash.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from portfolios.calculations.position_values import lot_values, position_value
from portfolios.models import Household

FALLBACK_ZONE = ZoneInfo("UTC")
__all__ = ["household_today", "household_zone", "lot_values", "position_value"]


def household_zone(household: Household) -> ZoneInfo:
    """Return the household's time zone; UTC when it is blank or unknown."""
    try:
        return ZoneInfo(household.time_zone) if household.time_zone else FALLBACK_ZONE
    except (ZoneInfoNotFoundError, ValueError):
        return FALLBACK_ZONE


def household_today(household: Household, *, now: datetime | None = None) -> date:
    """Return today's date in the household's time zone (at ``now``, default the clock)."""
    return (now or timezone.now()).astimezone(household_zone(household)).date()
