"""Reads of the stored projection: upcoming payments, the calendar, reliability."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, QuerySet

from income.calculations import (
    NOT_INCOME,
    Reliability,
    add_months,
    first_of_month,
    last_of_month,
    reliability,
)
from income.models import ProjectedPayment, ProjectionSnapshot
from income.selectors.received import received_grouped, received_payments
from portfolios.models import DividendEvent, Household

ZERO = Decimal(0)
# The stored projection runs this many months, counting the current one; `months` on the
# projection route may ask for up to this many.
PROJECTION_MONTHS = 24
# A received dividend's ex-date is the dividend event paid closest to it, at most this far.
EX_DATE_MATCH_DAYS = 7


def projection_window(*, today: date, months: int) -> tuple[date, date]:
    """Return the first and last day of a `months`-month projection starting today."""
    return today, last_of_month(add_months(first_of_month(today), months - 1))


def projected_payment_list(
    *, household: Household, start: date, end: date
) -> QuerySet[ProjectedPayment]:
    """Return the stored projected payments with pay dates from `start` to `end`."""
    return ProjectedPayment.objects.filter(
        household=household, pay_date__gte=start, pay_date__lte=end
    ).select_related("account")


# The fields of a stored projected payment as ``projected_payment_rows`` reads them.
PROJECTED_FIELDS = (
    "month",
    "pay_date",
    "ex_date",
    "account_id",
    "security_id",
    "symbol",
    "source",
    "amount",
    "status",
)


def projected_payment_rows(*, household: Household, start: date, end: date) -> list[dict]:
    """Return the stored projected payments with pay dates from `start` to `end` as plain
    rows (``PROJECTED_FIELDS`` and `account`, the account's name), in the stored order.

    Rows, not model instances: the pages that sum a year of payments read them cheaply.
    """
    return list(
        ProjectedPayment.objects.filter(household=household, pay_date__gte=start, pay_date__lte=end)
        .annotate(account_name=F("account__name"))
        .values(*PROJECTED_FIELDS, "account_name")
    )


def projected_income_by_month(
    *, household: Household, today: date, months: int = 12
) -> dict[date, Decimal]:
    """Return each month of the window with its projected income (bond principal left out)."""
    start, end = projection_window(today=today, months=months)
    totals = dict.fromkeys(
        (add_months(first_of_month(today), offset) for offset in range(months)), ZERO
    )
    # Two columns, not model instances (the alerts read this on every evaluation).
    payments = ProjectedPayment.objects.filter(
        household=household, pay_date__gte=start, pay_date__lte=end
    ).exclude(source__in=[str(source) for source in NOT_INCOME])
    for month, amount in payments.order_by().values_list("month", "amount"):
        totals[month] += amount
    return totals


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarEntry:
    """A payment on the dividend calendar: received, declared or estimated."""

    pay_date: date
    ex_date: date | None
    account_id: int
    account: str
    security_id: int | None
    symbol: str
    source: str
    amount: Decimal
    status: str

    @classmethod
    def of_projected(cls, payment: dict) -> "CalendarEntry":
        """Return a stored projected payment (declared or estimated), a row of
        ``projected_payment_rows``, as a calendar entry."""
        return cls(
            pay_date=payment["pay_date"],
            ex_date=payment["ex_date"],
            account_id=payment["account_id"],
            account=payment["account_name"],
            security_id=payment["security_id"],
            symbol=payment["symbol"],
            source=payment["source"],
            amount=payment["amount"],
            status=payment["status"],
        )


def calendar_entries(
    *, household: Household, start: date, end: date, today: date
) -> list[CalendarEntry]:
    """Return received and expected payments with pay dates from `start` to `end`.

    1. Received: the income transactions (return of capital included, marked by its source),
       with the ex-date of the security's dividend event paid nearest the payment, within
       `EX_DATE_MATCH_DAYS`.
    2. Expected: the stored projection from today on (`declared` / `estimated`), bond
       principal included; a payment already received on its pay date is not repeated.
    3. Ordered by pay date, account, symbol and source.
    """
    received = received_payments(household=household, start=start, end=end).payments
    ex_dates = _ex_dates(received)
    entries = [
        CalendarEntry(
            pay_date=payment.pay_date,
            ex_date=ex_dates.get(payment.transaction_id),
            account_id=payment.account_id,
            account=payment.account,
            security_id=payment.security_id,
            symbol=payment.symbol,
            source=str(payment.source),
            amount=payment.amount,
            status="received",
        )
        for payment in received
    ]
    seen = {
        (payment.account_id, payment.security_id, payment.pay_date)
        for payment in received
        if payment.security_id is not None
    }
    if end >= today:
        projected = projected_payment_rows(household=household, start=max(start, today), end=end)
        entries += [
            CalendarEntry.of_projected(payment)
            for payment in projected
            if (payment["account_id"], payment["security_id"], payment["pay_date"]) not in seen
        ]
    return sorted(
        entries, key=lambda entry: (entry.pay_date, entry.account, entry.symbol, entry.source)
    )


def _ex_dates(received: list) -> dict[int, date]:
    """Return the ex-date of each received dividend that a dividend event explains."""
    dividends = [p for p in received if p.security_id is not None and p.source != "bond_coupon"]
    if not dividends:
        return {}
    margin = timedelta(days=EX_DATE_MATCH_DAYS)
    events: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for security_id, ex_date, pay_date in DividendEvent.objects.filter(
        security_id__in={p.security_id for p in dividends},
        pay_date__gte=min(p.pay_date for p in dividends) - margin,
        pay_date__lte=max(p.pay_date for p in dividends) + margin,
    ).values_list("security_id", "ex_date", "pay_date"):
        events[security_id].append((ex_date, pay_date))
    found = {}
    for payment in dividends:
        near = [
            (abs((pay_date - payment.pay_date).days), ex_date)
            for ex_date, pay_date in events.get(payment.security_id, [])
            if abs((pay_date - payment.pay_date).days) <= EX_DATE_MATCH_DAYS
        ]
        if near:
            found[payment.transaction_id] = min(near)[1]
    return found


def income_reliability(
    *,
    household: Household,
    today: date,
    months: int = 12,
    received_by_month: Mapping[date, Decimal] | None = None,
) -> Reliability:
    """Return received ÷ projected for the last `months` closed months (DESIGN §7).

    A month is judged against the projection kept when it started (`ProjectionSnapshot`);
    months without one show their income with no ratio and stay out of the trailing ratio.
    A caller that has already read the income of those months (every account, return of
    capital left out) passes it as `received_by_month` (the first day of each month with a
    payment: its amount), so it is not read twice.
    """
    current = first_of_month(today)
    first = add_months(current, -months)
    snapshots = {
        month: total
        for month, total in ProjectionSnapshot.objects.filter(
            household=household, month__gte=first, month__lt=current
        ).values_list("month", "total")
    }
    received: dict[date, Decimal] = {}
    if snapshots and received_by_month is not None:
        since = min(snapshots)
        received = {
            month: amount for month, amount in received_by_month.items() if since <= month < current
        }
    elif snapshots:
        since = min(snapshots)
        ledger = received_payments(
            household=household, start=since, end=current - timedelta(days=1)
        )
        received = {
            group.key: group.amount  # type: ignore[misc]
            for group in received_grouped(ledger.income, group_by="month")
        }
    return reliability(received, snapshots, through=add_months(current, -1))
