"""Celery tasks: thin interfaces over services."""

import logging
from datetime import date

from celery import shared_task
from django.db import OperationalError

from portfolios.providers import ProviderError

logger = logging.getLogger(__name__)


class TransientRefreshError(ProviderError):
    """Some symbols failed for a reason worth retrying."""


@shared_task(
    # A locked or briefly unreachable database is worth another try; the rebuild is
    # idempotent (it replaces derived rows), so running it twice is harmless.
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
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


# Idempotent: deleting what is already deleted deletes nothing.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def prune_import_previews_task() -> int:
    """Delete unconfirmed import previews older than two days."""
    from portfolios.services.imports.housekeeping import import_previews_prune

    return import_previews_prune()


@shared_task
def backup_database_task() -> dict:
    """Take tonight's database backup into BACKUP_DIR and keep the newest BACKUP_KEEP.

    Not acknowledged late: a dump interrupted by a lost worker is not redone behind the
    user's back; the next night's run takes a fresh one (and a repeated run in the same
    night finds the file and writes nothing).
    """
    from django.conf import settings
    from django.utils import timezone

    from portfolios.services.backups import database_backup_nightly

    result = database_backup_nightly(
        folder=settings.BACKUP_DIR, keep=settings.BACKUP_KEEP, now=timezone.now()
    )
    return {
        "path": str(result.path),
        "size": result.size,
        "created": result.created,
        "pruned": [p.name for p in result.pruned],
    }
