"""Recompute everything derived from a household's transactions, in order.

1. The ledger: tax lots and reliefs (``portfolios.services.ledger``).
2. Daily valuations, which need the lots (``reporting.services.valuations``).
3. Income projections, which need the holdings (``income.services.projections``).

Each step is called explicitly here, never from signals, so the order is visible.
``ledger_mark_changed`` is what imports and edits call; the worker then runs
``recompute_household_task``, and ``manage.py recompute`` runs the same in-process.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from portfolios.models import Household, LedgerState
from portfolios.services.ledger import ledger_rebuild


def household_recompute(*, household: Household, from_date: date | None = None) -> dict:
    """Rebuild the household's ledger, then its valuations and income projections; return a
    JSON-ready summary. ``from_date`` is the earliest changed trade date (None: everything).
    """
    ledger = ledger_rebuild(household=household, from_date=from_date)
    summary: dict = {"household": household.pk, "ledger": ledger.as_dict()}

    # Imported here: both apps import portfolios, so a module-level import would be circular.
    from income.services.projections import projections_rebuild
    from reporting.services.valuations import valuations_rebuild

    summary["valuations"] = _jsonable(valuations_rebuild(household=household, from_date=from_date))
    summary["projections"] = _jsonable(projections_rebuild(household=household))
    return summary


def ledger_mark_changed(*, household: Household, from_date: date) -> None:
    """Record that transactions on or after ``from_date`` changed, and recompute the
    household in the worker once the current database transaction commits."""
    from portfolios.tasks import recompute_household_task

    state, _ = LedgerState.objects.get_or_create(household=household)
    if state.dirty_from is None or from_date < state.dirty_from:
        # Conditional, so a concurrent earlier mark is never moved later.
        LedgerState.objects.filter(pk=state.pk, dirty_from=state.dirty_from).update(
            dirty_from=from_date
        )
    household_id, day = household.pk, from_date.isoformat()
    transaction.on_commit(lambda: recompute_household_task.delay(household_id, day))


def _jsonable(value: object) -> object:
    """Return a step's result in a form a JSON task result can carry."""
    as_dict = getattr(value, "as_dict", None)
    if callable(as_dict):
        value = as_dict()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.loads(DjangoJSONEncoder().encode(value))
