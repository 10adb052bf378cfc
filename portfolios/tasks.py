"""Celery tasks: thin interfaces over services."""

import logging

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
