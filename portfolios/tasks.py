"""Celery tasks: thin interfaces over services."""

import logging

from celery import shared_task

from portfolios.providers import ProviderError

logger = logging.getLogger(__name__)


class TransientRefreshError(ProviderError):
    """Some symbols failed for a reason worth retrying."""


@shared_task
def prune_import_previews_task() -> int:
    """Delete unconfirmed import previews older than two days."""
    from portfolios.services.imports.housekeeping import import_previews_prune

    return import_previews_prune()
