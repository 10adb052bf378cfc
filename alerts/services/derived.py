"""Rebuild the rows derived from a household's transactions and market data, in order.

1. The ledger: tax lots and reliefs (``portfolios.services.ledger``).
2. Daily valuations, which need the lots (``reporting.services.valuations``).
3. Income projections, which need the holdings (``income.services.projections``), and the
   received income by month (``income.services.received``).

Each step replaces what it derives and does only the work the change needs. When the
day the valuation series is rebuilt from is known before the ledger runs (``--full``, or a
marked change: an import, a new transaction), it needs no lot, so it is computed in a
second process while this one rebuilds the ledger, the projection and the received income
(``alerts.services.side_process``); it is written only once the ledger is. The recompute
chain (``alerts.services.recompute``) runs this and then the alert rules; the alerts'
freshness check runs this alone (it is called from within the alerts step).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import time
from datetime import date

from django.core.serializers.json import DjangoJSONEncoder

from alerts.services.side_process import SideProcess, SideProcessError, side_process_possible
from income.services.projections import projections_rebuild, projections_refresh_if_stale
from income.services.received import received_months_rebuild, received_months_refresh_if_stale
from portfolios.collector import cycle_collection_paused
from portfolios.models import Household
from portfolios.selectors.as_of import household_today
from portfolios.services.ledger import LedgerRebuildResult, ledger_rebuild
from reporting.models import ValuationSeries

logger = logging.getLogger(__name__)


def derived_rebuild(
    *, household: Household, from_date: date | None = None, full: bool = False
) -> dict:
    """Rebuild the ledger, valuations and projection; return a JSON-ready summary with
    each step's seconds. Arguments as ``alerts.services.recompute.household_recompute``;
    raises ``LedgerRebuildError`` before the later steps when the ledger cannot be rebuilt.
    """
    # A full replay's million long-lived, acyclic objects would set off collections.
    with cycle_collection_paused():
        return _derived_rebuild(household, from_date, full)


def _derived_rebuild(household: Household, from_date: date | None, full: bool) -> dict:
    summary: dict = {"household": household.pk, "seconds": {}}
    started = time.perf_counter()
    beside = _beside(household, from_date, full)
    try:
        ledger = ledger_rebuild(household=household, from_date=from_date, full=full)
    except BaseException:
        if beside is not None:
            _dropped(beside)
        raise
    summary["ledger"] = ledger.as_dict()
    summary["seconds"]["ledger"] = _since(started)
    if beside is not None:
        # The ledger is rebuilt: the side process may write its series meanwhile.
        beside.tell({"ledger": "rebuilt"})
        started = time.perf_counter()
        try:
            summary["projections"] = _jsonable(projections_rebuild(household=household))
            summary["received_income"] = _received_income(
                household, from_date, ledger.changed_from, full
            )
        except BaseException:
            _dropped(beside)  # told already: it finishes its writes; never left running
            raise
        summary["seconds"]["projections"] = _since(started)
        started = time.perf_counter()
        _load_alert_rules_meanwhile()
        valued = _collected(beside)
        if valued is not None:
            summary["valuations"] = valued
            summary["seconds"]["valuations"] = _since(started)
            return summary
        # The side process failed (logged): each step again, here, as without one.

    started = time.perf_counter()
    start = _valuation_start(household, from_date, ledger, full)
    unmarked = not full and from_date is None and ledger.changed_from is None
    series_end = _series_end(household) if unmarked else None
    if unmarked and series_end is not None and series_end >= start:
        # Nothing marked, no lot changed, and the stored series already reaches today.
        summary["valuations"] = {"skipped": "current"}
    else:
        # Imported here: valuing needs pandas, which a run with nothing to do never loads.
        from reporting.services.valuations import valuations_rebuild

        summary["valuations"] = _jsonable(valuations_rebuild(household=household, from_date=start))
    summary["seconds"]["valuations"] = _since(started)

    started = time.perf_counter()
    if full or from_date is not None or ledger.changed_from is not None:
        summary["projections"] = _jsonable(projections_rebuild(household=household))
    else:
        # Nothing marked and no lot changed: rebuilt only if its inputs or its day moved.
        summary["projections"] = {"rebuilt": projections_refresh_if_stale(household=household)}
    summary["received_income"] = _received_income(household, from_date, ledger.changed_from, full)
    summary["seconds"]["projections"] = _since(started)
    return summary


def _beside(household: Household, from_date: date | None, full: bool) -> SideProcess | None:
    """Start rebuilding the valuation series in a side process, when the day it starts from
    does not depend on what the ledger finds: ``full`` (its first day), or a marked change
    (the marked day, from the stored checkpoint when it is on or after it). Return None to
    run it after the ledger, here: without a mark its first day is the first whose lots
    changed.

    Even an incremental rebuild (one new trade: numpy's import and a few weeks replayed
    from the checkpoint, about 0.2 s) takes about as long as the ledger and the projection
    beside it, so the second process takes it off the chain's path.

    The side process computes the series, waits for the word that the ledger is rebuilt,
    then stores it; with no word (the ledger failed) it writes nothing.
    """
    if not side_process_possible():
        return None
    if not full and from_date is None:
        return None
    start = None if full else from_date

    def work(word) -> object:
        # Imported in the side process: numpy's start-up is paid beside the ledger.
        from reporting.services.valuations import valuations_rebuild

        def may_store() -> bool:
            return word() is not None

        return _jsonable(
            valuations_rebuild(household=household, from_date=start, may_store=may_store)
        )

    return SideProcess(work)


def _load_alert_rules_meanwhile() -> None:
    """Import the alert rules' modules while the side process is still valuing.

    A rebuild with a side process (any run with a marked change, or ``--full``) changes
    what the rules read, so the chain evaluates them next; their import (numpy, the
    facts' selectors: a fifth of a second) otherwise waits until the series are stored.
    """
    import alerts.services.evaluation  # noqa: F401


def _collected(beside: SideProcess) -> dict | None:
    """Return what the side process stored, or None when it failed (logged)."""
    try:
        return beside.result()
    except SideProcessError as exc:
        logger.warning("valuations in a side process failed; rebuilt here: %s", exc)
        return None


def _dropped(beside: SideProcess) -> None:
    """Tell the side process to write nothing (the ledger failed) and wait for it."""
    with contextlib.suppress(SideProcessError):
        beside.result()


def _valuation_start(
    household: Household, from_date: date | None, ledger: LedgerRebuildResult, full: bool
) -> date | None:
    """Return the day the valuation series must be rebuilt from (None: from the start).

    The marked day when there is one: nothing before it changed (the ledger's own
    ``changed_from`` is only as fine as a year). Without a mark, the first day whose lots
    changed; with neither, today (the stored series is only extended).
    """
    if full:
        return None
    if from_date is not None:
        return from_date
    if ledger.changed_from is not None:
        return ledger.changed_from
    return household_today(household)


def _series_end(household: Household) -> date | None:
    """Return the last day of the household's stored series (None before the first).

    ``reporting.selectors.series.household_series_end``'s query, without importing that
    module: it decodes series with numpy, an import a run with nothing to do need not pay.
    """
    scope = ValuationSeries.Scope.HOUSEHOLD
    rows = ValuationSeries.objects.filter(household=household, scope=scope)
    return rows.values_list("end_date", flat=True).first()


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def _jsonable(value: object) -> object:
    """Return a step's result in a form a JSON task result can carry."""
    as_dict = getattr(value, "as_dict", None)
    if callable(as_dict):
        value = as_dict()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.loads(DjangoJSONEncoder().encode(value))


def _received_income(
    household: Household, from_date: date | None, changed_from: date | None, full: bool
) -> dict:
    """Sum the received income by month again from the earliest changed day (the marked
    day, or the ledger's ``changed_from``; every month when full); with nothing marked or
    changed, only if its inputs moved."""
    changed = [day for day in (from_date, changed_from) if day is not None]
    if full or changed:
        since = None if full else min(changed)
        return {"months": received_months_rebuild(household=household, from_date=since)}
    return {"rebuilt": received_months_refresh_if_stale(household=household)}
