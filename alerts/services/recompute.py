"""Recompute everything derived from a household's transactions and market data, in order.

1. The ledger: tax lots and reliefs (``portfolios.services.ledger``).
2. Daily valuations, which need the lots (``reporting.services.valuations``).
3. Income projections, which need the holdings (``income.services.projections``).
4. Alert rules, which read all of the above (``alerts.services.evaluation``).

Each step is called explicitly here, never from signals, so the order is visible. It lives in
the top layer because it calls every app; the lower apps only mark a household as owing a
recompute (``portfolios.services.recompute``), and the worker's ``recompute_household_task``
runs ``pending_recompute_run``, which ``manage.py recompute`` also uses.

Each step replaces what it derives (and does only the work the change needs), so running the
chain twice, or again after a worker died half-way, gives the rows of one clean run.
"""

from __future__ import annotations

import logging
import time
from datetime import date

from django.utils import timezone

from alerts.selectors.evaluation_inputs import evaluation_fingerprint, evaluation_is_current
from alerts.services.derived import derived_rebuild
from alerts.services.locks import household_lock
from portfolios.models import Household
from portfolios.selectors.as_of import household_today
from portfolios.services.ledger import LedgerRebuildError
from portfolios.services.recompute import (
    recompute_pending_clear,
    recompute_pending_failed,
    recompute_pending_get,
)

logger = logging.getLogger(__name__)


def household_recompute(
    *, household: Household, from_date: date | None = None, full: bool = False
) -> dict:
    """Run the chain for the household and return a JSON-ready summary with each step's
    seconds: the derived rows (``derived_rebuild``: ledger, valuations, projections), then
    the alert rules, one household at a time.

    ``from_date`` is the earliest changed day when the caller knows it (a pending mark);
    without it the ledger checks whether its transactions changed and the later steps start
    from the first day whose lots changed (or only extend to today when none did). ``full``
    rebuilds every step from the start. Raises ``LedgerRebuildError`` when a transaction
    cannot be replayed; the later steps then do not run (they would read the old lots).
    """
    with household_lock(household.pk):
        summary = derived_rebuild(household=household, from_date=from_date, full=full)
        started = time.perf_counter()
        now = timezone.now()
        # The rules see nothing new when none of their inputs moved (nothing changed, the
        # same day): the episodes stand as they are.
        fingerprint = evaluation_fingerprint(
            household=household, today=household_today(household, now=now)
        )
        if not full and evaluation_is_current(household=household, fingerprint=fingerprint):
            summary["alerts"] = {"skipped": "nothing the rules read has changed"}
        else:
            # Imported here: the rules' facts need pandas and the exchange calendar, about a
            # second of start-up that a run with nothing to evaluate never pays.
            from alerts.services.evaluation import alert_evaluation_record, alerts_evaluate

            evaluated = alerts_evaluate(household=household, now=now, derived_fresh=True)
            alert_evaluation_record(household=household, fingerprint=fingerprint, now=now)
            summary["alerts"] = {"opened": len(evaluated.opened), "resolved": evaluated.resolved}
        summary["seconds"]["alerts"] = _since(started)
    return summary


def pending_recompute_run(
    *, household_id: int, full: bool = False, when_none_pending: bool = False
) -> dict:
    """Run the chain for what the household owes, then clear what was owed.

    1. Read the pending row (its version and earliest changed day). Nothing pending: return
       at once (a task delivered twice, or after the sweep caught up), unless ``full`` or
       ``when_none_pending`` (``manage.py recompute``: the ledger then checks its digests).
    2. Run the chain from that day (from the start when ``full``).
    3. Delete the pending row if its version is still the one read; a mark made during the
       run keeps it, and the task that mark enqueued runs the chain again.
    A transaction the ledger cannot replay is recorded on the pending row (retrying cannot
    help) and reported in the summary, not raised. Any other error propagates, and the row
    stays for the task's retry or the sweep.
    """
    household = Household.objects.filter(pk=household_id).first()
    if household is None:
        return {"household": household_id, "skipped": "no such household"}
    # The pending row is read, recomputed and cleared under the household's lock: a run
    # that waited for another must not act on what it read before that one cleared the row
    # (it would clear a newer mark made with the same version, its changes never recomputed).
    with household_lock(household_id):
        return _pending_run_locked(
            household=household, full=full, when_none_pending=when_none_pending
        )


def _pending_run_locked(*, household: Household, full: bool, when_none_pending: bool) -> dict:
    household_id = household.pk
    pending = recompute_pending_get(household_id=household_id)
    if pending is None and not (full or when_none_pending):
        return {"household": household_id, "skipped": "nothing pending"}
    from_date = None if full or pending is None else pending.from_date
    try:
        summary = household_recompute(household=household, from_date=from_date, full=full)
    except LedgerRebuildError as exc:
        if pending is not None:
            recompute_pending_failed(
                household_id=household_id, version=pending.version, error=exc.message
            )
        logger.warning("household %s not recomputed: %s", household_id, exc.message)
        return {"household": household_id, "error": exc.message}
    if pending is not None:
        summary["cleared"] = recompute_pending_clear(
            household_id=household_id, version=pending.version
        )
    return summary


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)
