"""Celery tasks of the performance engine: thin interfaces over services."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from celery import shared_task

from portfolios.models import Household
from portfolios.tasks import TransientRefreshError
from reporting.calculations.performance import xnys_sessions
from reporting.selectors.market import stale_securities
from reporting.services.market_data import market_data_refresh
from reporting.services.valuations import valuations_rebuild

logger = logging.getLogger(__name__)
NEW_YORK = ZoneInfo("America/New_York")


def is_xnys_session(day: date) -> bool:
    """Return True when the New York Stock Exchange trades on ``day`` (exchange-calendars)."""
    return len(xnys_sessions(day, day)) == 1


def _recompute_signature(household_id: int, from_date: date):
    """Return the signature that recomputes a household from ``from_date``.

    The ledger's ``recompute_household_task`` rebuilds lots, then valuations (this app's
    ``valuations_rebuild``), then projections; alert rules run on their own schedule after
    the evening refresh (config/schedule.py).
    """
    from portfolios.tasks import recompute_household_task

    return recompute_household_task.si(household_id, from_date.isoformat())


@shared_task(
    bind=True,
    # Idempotent (upserts of closes and events), so a run lost with its worker runs again.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TransientRefreshError,),
    retry_backoff=60,
    retry_backoff_max=1800,  # within Redis' visibility timeout even at its 1 h default
    retry_jitter=True,
    max_retries=5,
)
def refresh_after_close_task(self, provider_name: str | None = None, session: str | None = None):
    """After the XNYS close: refresh market data, then recompute every household's valuations.

    1. Skip a day the exchange did not trade (weekends, holidays; exchange-calendars).
    2. Refresh closes (missing days only), FX rates, dividends and splits.
    3. Report stale symbols: held, without a new close for STALE_PRICE_SESSIONS sessions.
    4. For each household, enqueue its recompute from the earliest new close.
    5. Symbols that failed for a transient reason make the task retry with backoff; the
       retry fetches only what is still missing and recomputes from there.
    """
    day = date.fromisoformat(session) if session else datetime.now(tz=NEW_YORK).date()
    if not is_xnys_session(day):
        logger.info("%s is not an XNYS session: no refresh", day)
        return {"skipped": f"{day} is not an XNYS session"}
    result = market_data_refresh(provider_name=provider_name, today=day)
    stale = stale_securities(as_of=day)
    if stale:
        logger.warning(
            "stale prices (no close for %s+ sessions): %s",
            min(s.sessions_missing for s in stale),
            ", ".join(f"{s.symbol} (last {s.last_price or 'never'})" for s in stale),
        )
    for household_id, from_date in sorted(result.recompute_from.items()):
        _recompute_signature(household_id, from_date).apply_async()
    summary = {
        "session": day.isoformat(),
        "closes": result.prices.written,
        "symbols": result.prices.symbols,
        "fx_rates": result.fx_rates,
        "dividends": result.dividends,
        "splits": result.splits,
        "failed": {**result.prices.failed, **result.failed},
        "stale": [s.symbol for s in stale],
        "households": len(result.recompute_from),
    }
    logger.info("after-close refresh: %s", summary)
    if result.transient:
        raise TransientRefreshError(f"transient failures for {', '.join(result.transient)}")
    return summary


# Idempotent: rebuilds derived rows from the ledger.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_valuations_task(household_id: int, from_date: str | None = None) -> dict:
    """Rebuild a household's stored valuation series from ``from_date`` (ISO; None: all)."""
    household = Household.objects.filter(pk=household_id).first()
    if household is None:
        return {"household": household_id, "skipped": "no such household"}
    start = date.fromisoformat(from_date) if from_date else None
    return valuations_rebuild(household=household, from_date=start).as_dict()


__all__ = [
    "is_xnys_session",
    "recompute_valuations_task",
    "refresh_after_close_task",
]
