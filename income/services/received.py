"""Writes of the stored received income by month (``ReceivedIncomeMonth``)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Subquery, Sum, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone

from income.calculations import INCOME_TYPES, first_of_month, received_source
from income.models import ReceivedIncomeMonth, ReceivedIncomeState
from income.selectors.received import income_transaction_rows
from portfolios.models import Household, SecurityProfile

ZERO = Decimal(0)
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
    2. Sum the income transactions (``INCOME_TYPES``, return of capital included) per
       month, account, type, income class and the security's kind and qualified default
       as the household classifies it: one query, grouped in the database.
    3. Give each group its source (``received_source``, as ``received_payments`` does) and
       add up the groups of one month, account and source.
    4. Under a lock on the household's ``ReceivedIncomeState``, replace the rows of those
       months and store the stamp.
    """
    stamp = _inputs_stamp(household)
    if stamp.stored is None or _classification(stamp.stored) != _classification(stamp.now):
        from_date = None
    elif from_date is not None and stamp.pending_from is not None:
        from_date = min(from_date, stamp.pending_from)
    since = None if from_date is None else first_of_month(from_date)
    rows = income_transaction_rows(household).filter(type__in=INCOME_TYPES)
    if since is not None:
        rows = rows.filter(trade_date__gte=since)
    groups = (
        rows.annotate(month=TruncMonth("trade_date"))
        .order_by()
        .values("month", "account_id", "type", "income_class", "view_kind", "view_qualified")
        .annotate(total=Sum("amount"), count=Count("pk"))
    )
    amounts: dict[tuple[date, int, str], Decimal] = defaultdict(lambda: ZERO)
    counts: dict[tuple[date, int, str], int] = defaultdict(int)
    for group in groups:
        source = received_source(
            type=group["type"],
            income_class=group["income_class"],
            kind=group["view_kind"],
            qualified_default=group["view_qualified"] is not False,
        )
        key = (group["month"], group["account_id"], str(source))
        amounts[key] += group["total"]
        counts[key] += group["count"]
    now = timezone.now()
    state, _ = ReceivedIncomeState.objects.select_for_update().get_or_create(
        household=household, defaults={"computed_at": now}
    )
    replaced = ReceivedIncomeMonth.objects.filter(household=household)
    if since is not None:
        replaced = replaced.filter(month__gte=since)
    replaced.delete()
    ReceivedIncomeMonth.objects.bulk_create(
        ReceivedIncomeMonth(
            household=household,
            month=month,
            account_id=account_id,
            source=source,
            amount=amount,
            payments=counts[(month, account_id, source)],
        )
        for (month, account_id, source), amount in sorted(amounts.items())
    )
    state.computed_at, state.inputs_stamp = now, stamp.now
    state.save(update_fields=["computed_at", "inputs_stamp"])
    return len(amounts)


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
