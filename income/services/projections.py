"""Writes of the stored income projection and of the snapshots kept at each month's start."""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import CharField, Count, F, Max, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from income.calculations import NOT_INCOME, add_months, first_of_month, project_income
from income.models import ProjectedPayment, ProjectionSnapshot, ProjectionState
from portfolios.models import Account, DividendEvent, Household, TaxLot
from portfolios.remembered import unless_unchanged
from portfolios.selectors.accounts import account_cash_balances
from portfolios.selectors.as_of import household_today

logger = logging.getLogger(__name__)
ZERO = Decimal(0)


@dataclass(frozen=True)
class ProjectionRebuildResult:
    """What a rebuild stored: the day it starts from and how many payments it expects."""

    household_id: int
    as_of: date
    payments: int
    computed_at: datetime

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "payments": self.payments}


@transaction.atomic
def projections_rebuild(
    *, household: Household, today: date | None = None
) -> ProjectionRebuildResult:
    """Replace the household's stored projection with one computed from today (DESIGN §7).

    1. Read the positions, dividend history and option premium (`income_inputs`), the cash
       balances and the income settings.
    2. Project `PROJECTION_MONTHS` months from today (`project_income`): declared dividends,
       else last year's pattern with the latest amount per share; bond coupons and principal;
       interest on the cash accounts' balances (type `cash`: savings and checking, not a
       brokerage account's idle cash) at the settings' rate; option premium only when
       opted in.
    3. Under a lock on the household's `ProjectionState`, delete the old rows and insert the
       new ones, so concurrent rebuilds never leave two projections behind.
    """
    # Imported here: the income selectors (every one, through their package) are a
    # tenth of a second of start-up that a recompute with nothing to rebuild never needs.
    from income.selectors.common import income_settings_get
    from income.selectors.holdings import income_inputs
    from income.selectors.projections import PROJECTION_MONTHS

    today = today or household_today(household)
    # Taken first: a change made while the projection is computed leaves it stale.
    _, fingerprint = _inputs_fingerprint(household)
    settings = income_settings_get(household=household)
    # The schedule reads the dividends paid in the year before today and the latest one
    # (``dividend_schedule``): a security whose latest is older projects nothing anyway.
    inputs = income_inputs(household=household, today=today, events_since=add_months(today, -12))
    cash_rate = settings.cash_rate
    payments = project_income(
        today=today,
        holdings=[position.holding for position in inputs.positions],
        dividend_events=inputs.dividend_events,
        cash_balances=_cash_account_balances(household) if cash_rate else None,
        cash_rate=cash_rate,
        option_premium_history=inputs.option_premium,
        include_option_premium=settings.include_option_premium,
        months=PROJECTION_MONTHS,
    )
    now = timezone.now()
    state, _ = ProjectionState.objects.select_for_update().get_or_create(
        household=household, defaults={"computed_at": now, "as_of": today}
    )
    ProjectedPayment.objects.filter(household=household).delete()
    _payments_insert(household, payments, now)
    state.computed_at, state.as_of, state.inputs_fingerprint = now, today, fingerprint
    state.save(update_fields=["computed_at", "as_of", "inputs_fingerprint"])
    return ProjectionRebuildResult(household.pk, today, len(payments), now)


PAYMENT_COLUMNS = (
    "household_id",
    "month",
    "pay_date",
    "ex_date",
    "account_id",
    "security_id",
    "symbol",
    "source",
    "amount",
    "status",
    "computed_at",
)


def _payments_insert(household: Household, payments: list, now: datetime) -> None:
    """Store the projected payments in their order: through ``COPY`` on PostgreSQL (no model
    instance per row; a heavy household projects about 1,500), ``bulk_create`` elsewhere."""
    if connection.vendor != "postgresql":
        ProjectedPayment.objects.bulk_create(
            ProjectedPayment(household=household, computed_at=now, **_payment_fields(payment))
            for payment in payments
        )
        return
    quote = connection.ops.quote_name
    table = quote(ProjectedPayment._meta.db_table)
    names = ", ".join(quote(column) for column in PAYMENT_COLUMNS)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for payment in payments:
            copy.write_row((household.pk, *_payment_fields(payment).values(), now))


def _payment_fields(payment) -> dict:
    """Return a payment's stored fields, in ``PAYMENT_COLUMNS``' order (between the
    household and ``computed_at``)."""
    return {
        "month": payment.month,
        "pay_date": payment.pay_date,
        "ex_date": payment.ex_date,
        "account_id": payment.account_id,
        "security_id": payment.security_id,
        "symbol": payment.symbol,
        "source": str(payment.source),
        "amount": payment.amount,
        "status": str(payment.status),
    }


def _cash_account_balances(household: Household) -> dict[int, Decimal]:
    """Return the balances of the household's cash accounts (savings, checking)."""
    cash_accounts = set(
        Account.objects.filter(household=household, type=Account.Type.CASH).values_list(
            "pk", flat=True
        )
    )
    return {
        pk: balance
        for pk, balance in account_cash_balances(household=household).items()
        if pk in cash_accounts
    }


def projections_refresh_if_stale(*, household: Household, today: date | None = None) -> bool:
    """Rebuild the stored projection when it no longer describes today; return whether it did.

    Stale means: never computed, computed for another day, or made from other inputs than
    the household's now (`_inputs_fingerprint`: a transaction added, edited or deleted, a
    new dividend event of a security it holds, a ledger rebuild, a settings change). The
    worker rebuilds after every change; this catches a page or API read that comes first.
    One query when the projection is current.
    """
    today = today or household_today(household)
    stored, fingerprint = _inputs_fingerprint(household)
    if stored is not None and stored["as_of"] == today:
        if stored["fingerprint"] == fingerprint:
            return False
        if _mark_cleared(stored["fingerprint"], fingerprint):
            # The recompute chain ran to the end and cleared the mark the projection was
            # made under (it rebuilt the projection before clearing): only that changed.
            ProjectionState.objects.filter(household=household).update(
                inputs_fingerprint=fingerprint
            )
            return False
    projections_rebuild(household=household, today=today)
    return True


def projections_fresh_for_pages(*, household: Household, today: date) -> str:
    """``projections_refresh_if_stale`` for the pages and API reads: its fingerprint query
    runs once per version of the data (``portfolios.remembered``), not on every request.
    Return the data's version after it (a page keeps its figures under it)."""
    return unless_unchanged(
        "projection fresh",
        household.pk,
        today,
        check=lambda: projections_refresh_if_stale(household=household, today=today),
    )


# The fingerprint's two halves: the household's pending mark, and the rest of the inputs.
MARK_SEPARATOR = "#"
NO_MARK = "None|None"


def _mark_cleared(stored: str, now: str) -> bool:
    """Return True when the fingerprints differ only by a mark that is now gone."""
    stored_mark, _, stored_rest = stored.partition(MARK_SEPARATOR)
    mark, _, rest = now.partition(MARK_SEPARATOR)
    return mark == NO_MARK and stored_mark != NO_MARK and rest == stored_rest


def _inputs_fingerprint(household: Household) -> tuple[dict | None, str]:
    """Return the stored projection's day and fingerprint, and the fingerprint of now.

    The fingerprint joins the household's pending recompute (its version and mark time:
    every write of a transaction marks it, in the write's own database transaction, see
    ``portfolios.services.recompute``) and the ledger's last rebuild (which clears the
    ledger's mark), the count and highest id of the dividend events of the securities it
    holds (a newly declared dividend) and the income settings' last change. One query,
    over one-row tables and the held securities' events (from an index), whatever the
    number of transactions.
    """
    # The projection multiplies held shares, so only the held securities' events matter; the
    # open lots say which (a ledger rebuild, which changes them, is in the fingerprint too).
    traded = TaxLot.objects.filter(household=OuterRef(OuterRef("pk")), quantity__gt=0).values(
        "security_id"
    )
    events = (
        DividendEvent.objects.filter(security_id__in=traded)
        .order_by()
        .annotate(group=Value(1))
        .values("group")
    )
    # The figures of the events joined into one text: one read of them, not two.
    figures = {
        "pending_version": F("pending_recompute__version"),
        "pending_at": F("pending_recompute__marked_at"),
        "events": Subquery(events.annotate(value=_joined(Count("pk"), Max("pk"))).values("value")),
        "ledger_at": F("ledger_state__rebuilt_at"),
        "settings_at": F("income_settings__updated_at"),
    }
    row = (
        Household.objects.filter(pk=household.pk)
        .annotate(
            state_as_of=F("projection_state__as_of"),
            state_fingerprint=F("projection_state__inputs_fingerprint"),
            **figures,
        )
        .values("state_as_of", "state_fingerprint", *figures)
        .get()
    )
    mark = f"{row['pending_version']}|{row['pending_at']}"
    rest = "|".join(str(row[key]) for key in ("events", "ledger_at", "settings_at"))
    fingerprint = mark + MARK_SEPARATOR + rest
    stored = (
        None
        if row["state_as_of"] is None
        else {"as_of": row["state_as_of"], "fingerprint": row["state_fingerprint"]}
    )
    return stored, fingerprint


def _joined(*figures) -> Concat:
    """Return the figures as one text, ``|`` between them (an empty part for a NULL)."""
    parts = []
    for figure in figures:
        parts += [Coalesce(Cast(figure, CharField()), Value("")), Value("|")]
    return Concat(*parts[:-1], output_field=CharField())


def snapshot_projection(*, household: Household, month: date) -> ProjectionSnapshot:
    """Keep the stored projection's payments for `month`; return the kept snapshot.

    Idempotent: the first snapshot of a month stays (unique household + month), so a month
    is always judged against what was expected when it started. Call it after
    `projections_rebuild` on the month's first day (household time).
    """
    month = first_of_month(month)
    existing = ProjectionSnapshot.objects.filter(household=household, month=month).first()
    if existing is not None:
        return existing
    by_source: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for source, amount in ProjectedPayment.objects.filter(
        household=household, month=month
    ).values_list("source", "amount"):
        by_source[source] += amount
    total = sum((amount for source, amount in by_source.items() if source not in NOT_INCOME), ZERO)
    snapshot, _ = ProjectionSnapshot.objects.get_or_create(
        household=household,
        month=month,
        defaults={
            "total": total,
            "by_source": {
                source: format(amount, "f") for source, amount in sorted(by_source.items())
            },
            "taken_at": timezone.now(),
        },
    )
    return snapshot


@dataclass
class SnapshotRun:
    """What one pass of the month-start job did."""

    taken: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def projection_snapshots_take(*, now: datetime | None = None) -> SnapshotRun:
    """Keep this month's projection of every household whose local month has begun.

    1. For each household, today is `now` in the household's time zone; its month is the
       month to keep.
    2. A household that already has that month's snapshot is skipped (the job runs hourly,
       so each time zone is caught soon after its midnight).
    3. Otherwise rebuild its projection from its today and keep the month's payments.
    One household's failure is logged and the others carry on.
    """
    now = now or timezone.now()
    result = SnapshotRun()
    for household in Household.objects.order_by("pk"):
        today = household_today(household, now=now)
        month = first_of_month(today)
        if ProjectionSnapshot.objects.filter(household=household, month=month).exists():
            continue
        try:
            with transaction.atomic():
                projections_rebuild(household=household, today=today)
                snapshot_projection(household=household, month=month)
        except Exception as exc:  # one household's bad data must not stop the others
            logger.exception("income snapshot failed for household %s", household.pk)
            result.failed[household.pk] = str(exc)
            continue
        result.taken.append(household.pk)
    return result
