"""Celery tasks: thin interfaces over services."""

import logging

from celery import shared_task

from portfolios.providers import ProviderError

logger = logging.getLogger(__name__)


class TransientRefreshError(ProviderError):
    """Some symbols failed for a reason worth retrying."""


# Idempotent: deleting what is already deleted deletes nothing.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def prune_import_previews_task() -> int:
    """Delete unconfirmed import previews older than two days."""
    from portfolios.services.imports.housekeeping import import_previews_prune

    return import_previews_prune()


# Idempotent: a second run replaces one note by another (the kept figures recompute once).
@shared_task(acks_late=True, reject_on_worker_lost=True)
def compact_change_log_task() -> int:
    """Fold the day's notes of writing transactions into one (the pages' version stays a
    one-row read)."""
    from portfolios.services.data_changes import change_log_compact

    return change_log_compact()


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
