"""Writes of the stored received income by month (``ReceivedIncomeMonth``)."""

import contextlib
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, Max, OuterRef, Subquery, Sum, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone

from income.calculations import INCOME_TYPES, first_of_month
from income.models import ReceivedIncomeMonth, ReceivedIncomeState
from portfolios.models import Household, SecurityProfile
from portfolios.services.bulk_keys import LOCK_WAIT, foreign_keys_set_aside

# The stamp's two halves: what the transactions are, and how the household classifies.
STAMP_SEPARATOR = "#"


@transaction.atomic
def received_months_rebuild(*, household: Household, from_date: date | None = None) -> int:
    """Store the household's received income by month, account and source, from the month
    of `from_date` on (None: every month); return how many month rows it wrote.

    1. Take the stamp of the inputs (``_inputs_stamp``) first, so a change made meanwhile
       leaves the rows stale. Every month is summed again, whatever `from_date`, when
       nothing was stored yet or the household's classification changed since (a kind or
       qualified default changes the source of old payments too); a pending recompute's
       changed-from day earlier than `from_date` moves it earlier.
    2. Under a lock on the household's ``ReceivedIncomeState``, delete the rows of those
       months, then sum the income transactions (``INCOME_TYPES``, return of capital
       included) per month, account and source straight into the table: the source is
       ``received_source`` written as SQL (``received_source_expression``), over the
       security's kind and qualified default as the household classifies it.
    3. Store the stamp.
    """
    # Imported here, as the projection's selectors (``income.services.projections``).
    from income.selectors.received import income_transaction_rows, received_source_expression

    stamp = _inputs_stamp(household)
    if stamp.stored is None or _classification(stamp.stored) != _classification(stamp.now):
        from_date = None
    elif from_date is not None and stamp.pending_from is not None:
        from_date = min(from_date, stamp.pending_from)
    since = None if from_date is None else first_of_month(from_date)
    rows = income_transaction_rows(household).filter(type__in=INCOME_TYPES)
    if since is not None:
        rows = rows.filter(trade_date__gte=since)
    sums = (
        rows.annotate(
            income_household=Value(household.pk, output_field=IntegerField()),
            income_month=TruncMonth("trade_date"),
            income_source=received_source_expression(),
        )
        .order_by()
        .values("income_household", "income_month", "account_id", "income_source")
        .annotate(income_amount=Sum("amount"), income_payments=Count("pk"))
    )
    now = timezone.now()
    state, _ = ReceivedIncomeState.objects.select_for_update().get_or_create(
        household=household, defaults={"computed_at": now}
    )
    replaced = ReceivedIncomeMonth.objects.filter(household=household)
    if since is not None:
        replaced = replaced.filter(month__gte=since)
    replaced.delete()
    # Summed and written by the database in one statement (INSERT ... SELECT): ten thousand
    # month rows never pass through Python.
    select, params = sums.query.sql_with_params()
    table = connection.ops.quote_name(ReceivedIncomeMonth._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(ReceivedIncomeMonth._meta.get_field(name).column)
        for name in ("household", "month", "account", "source", "amount", "payments")
    )
    with connection.cursor() as cursor, _keys_checked_at_once(every_month=since is None):
        cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)
        written = cursor.rowcount
    state.computed_at, state.inputs_stamp = now, stamp.now
    state.save(update_fields=["computed_at", "inputs_stamp"])
    return written


def _keys_checked_at_once(*, every_month: bool):
    """When every month is written again (ten thousand rows for a heavy household), check
    the new rows' keys in one join each rather than row by row at commit, on PostgreSQL
    (``portfolios.services.bulk_keys``; row by row when the tables are busy)."""
    if not every_month or connection.vendor != "postgresql":
        return contextlib.nullcontext()
    return foreign_keys_set_aside(
        ReceivedIncomeMonth, lock_wait=LOCK_WAIT, checks_owed_first=True, validated_apart=True
    )


def received_months_refresh_if_stale(*, household: Household) -> bool:
    """Bring the stored received income up to date when its inputs changed; return whether
    it did.

    Every write of a transaction marks its household in the same database transaction
    (``portfolios.services.recompute``): a pending recompute, with the earliest changed day
    and a version bumped by each mark, kept until the recompute chain has run, whose
    derived step sums the changed months again (``alerts.services.derived``). So:

    1. Nothing stored yet, or the household's classification changed: every month.
    2. A pending recompute whose version or mark time is not the stored one: the months
       from its changed day on (a page read before the worker ran).
    3. The pending recompute stored is gone: its chain ran, and summed the months again;
       only the stamp is updated.
    One query when the stored rows are current. Rows written without a mark (by hand in
    the database) are not seen until the next recompute.
    """
    stamp = _inputs_stamp(household)
    if stamp.stored == stamp.now:
        return False
    classification_moved = stamp.stored is None or (
        _classification(stamp.stored) != _classification(stamp.now)
    )
    if not classification_moved and stamp.pending_from is None:
        ReceivedIncomeState.objects.filter(household=household).update(inputs_stamp=stamp.now)
        return False
    received_months_rebuild(household=household, from_date=stamp.pending_from)
    return True


@dataclass(frozen=True, slots=True)
class _Stamp:
    now: str
    stored: str | None
    pending_from: date | None


def _classification(stamp: str) -> str:
    return stamp.partition(STAMP_SEPARATOR)[2]


def _inputs_stamp(household: Household) -> _Stamp:
    """Return the stamp of the household's income inputs now, the stored stamp, and the
    changed-from day of its pending recompute.

    The stamp joins the pending recompute's version and mark time, then the count and
    latest update of the household's security profiles. One query over one-row tables and
    the household's profiles, whatever the number of transactions.
    """
    profiles = (
        SecurityProfile.objects.filter(household=OuterRef("pk"))
        .order_by()
        .annotate(group=Value(1))
        .values("group")
    )
    row = (
        Household.objects.filter(pk=household.pk)
        .annotate(
            stored=F("received_income_state__inputs_stamp"),
            pending_from=F("pending_recompute__from_date"),
            pending_version=F("pending_recompute__version"),
            pending_at=F("pending_recompute__marked_at"),
            profile_count=Subquery(profiles.annotate(value=Count("pk")).values("value")),
            profile_latest=Subquery(profiles.annotate(value=Max("updated_at")).values("value")),
        )
        .values(
            "stored",
            "pending_from",
            "pending_version",
            "pending_at",
            "profile_count",
            "profile_latest",
        )
        .get()
    )
    marks = f"{row['pending_version']}|{row['pending_at']}"
    classification = f"{row['profile_count']}|{row['profile_latest']}"
    return _Stamp(marks + STAMP_SEPARATOR + classification, row["stored"], row["pending_from"])
