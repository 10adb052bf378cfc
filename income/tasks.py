"""Celery tasks of the income app: thin interfaces over services."""

import logging

from celery import shared_task

from income.services.projections import projection_snapshots_take

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def snapshot_income_projections_task() -> dict:
    """Keep this month's projection of every household whose local month has begun.

    Idempotent (one snapshot per household and month, by a unique constraint), so a late or
    repeated run adds nothing.
    """
    result = projection_snapshots_take()
    if result.taken or result.failed:
        logger.info("income snapshots taken for %s; failed: %s", result.taken, result.failed)
    return {"taken": result.taken, "failed": result.failed}
