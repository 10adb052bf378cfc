"""The recompute outbox: every write marks its household, the worker catches up.

Every write that changes what the derived rows are made from (transactions, accounts,
identity groups, market data) calls ``ledger_mark_changed`` (or ``recompute_mark_pending``
when the ledger itself is unchanged, e.g. new closes) inside its own database transaction.
The mark is a ``PendingRecompute`` row, committed or rolled back with the write, so:

1. a committed change always leaves a recompute owed, whatever happens to the broker;
2. once the transaction commits, the recompute task is enqueued; a broker that is down is
   logged and never raised, so the client still gets its answer;
3. the top layer's chain (``alerts.services.recompute``) recomputes and deletes the row only
   if its ``version`` is still the one it read, so a change marked during a run is kept;
4. a beat job (``recompute_pending_sweep``) enqueues again what was left behind.

The task lives in the top layer, which this ground layer never imports: it is sent by its
name (``send_task``), so a write never loads the apps above.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import DateField, F, Q, Value
from django.db.models.functions import Least
from django.utils import timezone

from portfolios.models import Household, LedgerState, PendingRecompute

logger = logging.getLogger(__name__)
RECOMPUTE_TASK = "alerts.tasks.recompute_household_task"
# A pending row this old whose task has not finished is enqueued again by the sweep.
SWEEP_GRACE = timedelta(minutes=2)
# Publishing while the broker is down must not hold the client's request for long.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1}


def ledger_mark_changed(*, household: Household, from_date: date) -> None:
    """Record that transactions on or after ``from_date`` changed: the ledger rebuilds from
    there, and the household's whole recompute is owed (see the module docstring)."""
    state, _ = LedgerState.objects.get_or_create(household=household)
    # One statement that reads the row it writes: a concurrent earlier mark is never moved
    # later, and a rebuild that clears the mark while this waits for its lock is marked
    # again (a read, then an update conditional on the value read, lost that mark).
    LedgerState.objects.filter(pk=state.pk).filter(
        Q(dirty_from__isnull=True) | Q(dirty_from__gt=from_date)
    ).update(dirty_from=from_date)
    recompute_mark_pending(household=household, from_date=from_date)


def recompute_mark_pending(*, household: Household, from_date: date) -> None:
    """Record, in the caller's transaction, that the household's derived rows are owed a
    recompute from ``from_date``; enqueue the task once that transaction commits."""
    now = timezone.now()
    with transaction.atomic():
        # Update first, create when there is no row: a row a finishing run deletes between
        # a read and the update (get_or_create then update) would lose the mark. A row
        # created concurrently by another mark makes the insert fail: update that one.
        for attempt in range(3):
            updated = PendingRecompute.objects.filter(pk=household.pk).update(
                from_date=Least(F("from_date"), Value(from_date, output_field=DateField())),
                version=F("version") + 1,
                marked_at=now,
                failed_version=None,
            )
            if updated:
                break
            try:
                with transaction.atomic():
                    PendingRecompute.objects.create(
                        household=household, from_date=from_date, marked_at=now
                    )
                break
            except IntegrityError:
                if attempt == 2:  # not a concurrent mark (the household is gone): raise
                    raise
    household_id = household.pk
    transaction.on_commit(lambda: recompute_enqueue(household_id=household_id))


def recompute_enqueue(*, household_id: int) -> bool:
    """Send the household's recompute task; return False (and log) when the broker cannot
    take it. The pending row stays either way, so the sweep sends it again later."""
    from celery import current_app

    try:
        if current_app.conf.task_always_eager:
            # Eager (tests, a worker-less demo): run the registered task in this process.
            current_app.loader.import_default_modules()
            current_app.tasks[RECOMPUTE_TASK].apply_async((household_id,))
        else:
            current_app.send_task(
                RECOMPUTE_TASK,
                args=(household_id,),
                retry=True,
                retry_policy=PUBLISH_RETRY_POLICY,
            )
    except Exception:  # any broker failure: the outbox row keeps the work
        logger.warning(
            "recompute of household %s not enqueued; the sweep will retry",
            household_id,
            exc_info=True,
        )
        return False
    PendingRecompute.objects.filter(pk=household_id).update(enqueued_at=timezone.now())
    return True


def recompute_pending_get(*, household_id: int) -> PendingRecompute | None:
    """Return the household's pending recompute, or None when nothing is owed."""
    return PendingRecompute.objects.filter(pk=household_id).first()


def recompute_pending_clear(*, household_id: int, version: int) -> bool:
    """Delete the pending row if no mark came since ``version`` was read; return True if
    it was deleted (a newer mark keeps it, for the task that mark enqueued)."""
    deleted, _ = PendingRecompute.objects.filter(pk=household_id, version=version).delete()
    return deleted > 0


def recompute_pending_failed(*, household_id: int, version: int, error: str) -> None:
    """Record that the recompute of ``version`` failed on the household's data (retrying
    cannot help): the sweep leaves it alone until the next change marks it again."""
    PendingRecompute.objects.filter(pk=household_id, version=version).update(
        failed_version=version, error=error[:2000], attempts=F("attempts") + 1
    )


def recompute_pending_sweep(*, now=None) -> list[int]:
    """Enqueue the recompute of every household whose mark is older than the grace period
    and whose task never ran to the end (lost on the broker, a worker killed, a broker
    down at commit); return their ids."""
    now = now or timezone.now()
    stale = now - SWEEP_GRACE
    due = (
        PendingRecompute.objects.filter(marked_at__lte=stale)
        .exclude(failed_version=F("version"))
        .exclude(enqueued_at__gt=stale)
        .values_list("household_id", flat=True)
    )
    sent = []
    for household_id in list(due):
        PendingRecompute.objects.filter(pk=household_id).update(attempts=F("attempts") + 1)
        if recompute_enqueue(household_id=household_id):
            sent.append(household_id)
    return sent
