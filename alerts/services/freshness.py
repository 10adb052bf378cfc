"""Bring a household's derived rows (ledger, valuations, projection) up to date before
alerts or the weekly e-mail read them."""

import logging
from datetime import date

from alerts.services.derived import derived_rebuild
from alerts.services.locks import household_lock
from income.services.projections import projections_refresh_if_stale
from portfolios.models import Household, LedgerState, Transaction
from portfolios.services.ledger import LedgerRebuildError
from reporting.models import ValuationSeries

logger = logging.getLogger(__name__)


def household_derived_stale(*, household: Household) -> bool:
    """Return True when the ledger or the valuations lag the household's transactions.

    Stale means: a change marked and not yet rebuilt (``LedgerState.dirty_from``),
    transactions but no rebuild, or a household valuation series computed before the
    ledger's last rebuild (a rebuild whose valuations step has not run). Two queries.
    """
    state = (
        LedgerState.objects.filter(household=household)
        .values_list("dirty_from", "rebuilt_at")
        .first()
    )
    if state is None:
        return Transaction.objects.filter(account__household=household).exists()
    dirty_from, rebuilt_at = state
    if dirty_from is not None:
        return True
    if rebuilt_at is None:
        return Transaction.objects.filter(account__household=household).exists()
    computed_at = (
        ValuationSeries.objects.filter(household=household, scope=ValuationSeries.Scope.HOUSEHOLD)
        .values_list("computed_at", flat=True)
        .first()
    )
    return computed_at is None or computed_at < rebuilt_at


def household_refresh_if_stale(*, household: Household, today: date) -> bool:
    """Recompute what is stale so nothing reads yesterday's facts; return whether it did.

    1. Ledger or valuations behind (``household_derived_stale``): the whole recompute
       (ledger, valuations, projections) from the earliest changed date.
    2. Otherwise the projection alone when it is for another day or other inputs (a newly
       declared dividend): ``projections_refresh_if_stale``, one query when current.
    A ledger that cannot be rebuilt (bad data) keeps its error for the pages; the stored
    rows are read as they are.
    """
    if household_derived_stale(household=household):
        # Under the recompute chain's lock: never beside a running chain of the household;
        # after waiting for one, checked again (it may have brought everything up to date).
        with household_lock(household.pk):
            if household_derived_stale(household=household):
                dirty_from = (
                    LedgerState.objects.filter(household=household)
                    .values_list("dirty_from", flat=True)
                    .first()
                )
                try:
                    derived_rebuild(household=household, from_date=dirty_from)
                except LedgerRebuildError:
                    logger.warning(
                        "household %s: ledger not rebuilt, alerts read stored rows",
                        household.pk,
                    )
                projections_refresh_if_stale(household=household, today=today)
                return True
    return projections_refresh_if_stale(household=household, today=today)
