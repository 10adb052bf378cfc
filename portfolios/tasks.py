"""Celery tasks: thin interfaces over services."""

import logging
from datetime import date

from celery import shared_task

from portfolios.providers import ProviderError
from portfolios.services.market_data import prices_refresh

logger = logging.getLogger(__name__)


class TransientRefreshError(ProviderError):
    """Some symbols failed for a reason worth retrying."""


@shared_task(
    bind=True,
    autoretry_for=(TransientRefreshError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=5,
)
def refresh_prices_task(self, provider_name: str | None = None) -> dict:
    """Pull missing closes for every held security; retried later for transient failures."""
    result = prices_refresh(provider_name=provider_name)
    logger.info(
        "refreshed %s symbols (%s rows) from %s; failed: %s",
        result.symbols,
        result.written,
        result.provider,
        result.failed,
    )
    if result.transient:
        # Already-fetched symbols are not fetched again: only missing days are asked for.
        raise TransientRefreshError(f"transient failures for {', '.join(result.transient)}")
    return {"written": result.written, "symbols": result.symbols, "failed": result.failed}


@shared_task
def recompute_household_task(household_id: int, from_date: str | None = None) -> dict:
    """Rebuild a household's ledger, valuations and projections from ``from_date`` (ISO)."""
    from portfolios.models import Household
    from portfolios.services.ledger import LedgerRebuildError
    from portfolios.services.recompute import household_recompute

    household = Household.objects.filter(pk=household_id).first()
    if household is None:
        return {"household": household_id, "skipped": "no such household"}
    start = date.fromisoformat(from_date) if from_date else None
    try:
        return household_recompute(household=household, from_date=start)
    except LedgerRebuildError as exc:
        # A data problem, not a transient one: retrying cannot help. The message is kept on
        # LedgerState.error for the pages to show.
        logger.warning("ledger of household %s not rebuilt: %s", household_id, exc)
        return {"household": household_id, "error": str(exc)}


@shared_task
def prune_import_previews_task() -> int:
    """Delete unconfirmed import previews older than two days."""
    from portfolios.services.imports.housekeeping import import_previews_prune

    return import_previews_prune()
