"""Reads of income actually received, from the ledger's income transactions."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, CharField, F, FilteredRelation, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from income.calculations import (
    INCOME_TYPES,
    NOT_INCOME,
    IncomeSource,
    ReceivedIncome,
    add_months,
    first_of_month,
    last_of_month,
    received_source,
)
from income.calculations.sources import BOND_KIND, CLASS_SOURCES
from income.calculations.types import PREFERRED_KIND
from income.models import ReceivedIncomeMonth
from income.selectors.common import tax_treatment_of
from portfolios.models import Household, Transaction

ZERO = Decimal(0)
# Tax withheld is matched to the income it came from: the same account and security, on the
# same day or, failing that, the nearest payment at most this many days away.
WITHHOLDING_MATCH_DAYS = 7
GROUPS = ("month", "source", "account", "symbol", "member", "tax_treatment")


@dataclass(slots=True, kw_only=True)
class ReceivedPayment:
    """One payment received, with the tax withheld from it."""

    transaction_id: int
    pay_date: date
    account_id: int
    account: str
    member: str
    tax_treatment: str
    security_id: int | None
    symbol: str
    source: IncomeSource
    amount: Decimal
    tax_withheld: Decimal = ZERO

    @property
    def is_income(self) -> bool:
        """Return whether the payment counts as income (return of capital does not)."""
        return self.source not in NOT_INCOME

    def as_input(self) -> ReceivedIncome:
        """Return the payment as the income calculations take it."""
        return ReceivedIncome(
            pay_date=self.pay_date,
            account_id=self.account_id,
            security_id=self.security_id,
            symbol=self.symbol,
            source=self.source,
            amount=self.amount,
        )


@dataclass(slots=True)
class ReceivedLedger:
    """Received payments in date order, and tax withheld that matched none of them."""

    payments: list[ReceivedPayment]
    unmatched_tax_withheld: Decimal = ZERO
    income: list[ReceivedPayment] = field(init=False)

    def __post_init__(self) -> None:
        self.income = [payment for payment in self.payments if payment.is_income]


def received_payments(
    *, household: Household, start: date | None = None, end: date | None = None
) -> ReceivedLedger:
    """Return the household's income transactions from `start` to `end` (both included).

    1. DIVIDEND, REINVEST, INTEREST, OPTION_PREMIUM and RETURN_OF_CAPITAL rows, each with
       its source (`received_source`), account, owner (member), tax treatment and symbol.
    2. Each TAX_WITHHELD row is set against the payment it came from (`_match_withholding`);
       what matches nothing is totalled apart.
    One query, whatever the number of payments.
    """
    rows = income_transaction_rows(household).filter(type__in=(*INCOME_TYPES, "TAX_WITHHELD"))
    margin = timedelta(days=WITHHOLDING_MATCH_DAYS)
    if start is not None:
        rows = rows.filter(trade_date__gte=start - margin)
    if end is not None:
        rows = rows.filter(trade_date__lte=end + margin)
    payments: list[ReceivedPayment] = []
    withheld: list[dict] = []
    treatments: dict[str, str] = {}
    for row in rows.order_by("trade_date", "id").values(
        "id",
        "trade_date",
        "type",
        "amount",
        "income_class",
        "account_id",
        "account__name",
        "account__type",
        "account__owner__username",
        "security_id",
        "security__symbol",
        "view_kind",
        "view_qualified",
    ):
        if row["type"] == "TAX_WITHHELD":
            withheld.append(row)
            continue
        account_type = row["account__type"]
        treatment = treatments.get(account_type)
        if treatment is None:
            treatment = treatments[account_type] = tax_treatment_of(account_type)
        payments.append(
            ReceivedPayment(
                transaction_id=row["id"],
                pay_date=row["trade_date"],
                account_id=row["account_id"],
                account=row["account__name"],
                member=row["account__owner__username"] or "",
                tax_treatment=treatment,
                security_id=row["security_id"],
                symbol=row["security__symbol"] or "",
                source=received_source(
                    type=row["type"],
                    income_class=row["income_class"],
                    kind=row["view_kind"],
                    qualified_default=row["view_qualified"] is not False,
                ),
                amount=row["amount"],
            )
        )
    unmatched = _match_withholding(payments, withheld)

    def in_window(day: date) -> bool:
        return (start is None or day >= start) and (end is None or day <= end)

    unmatched_total = sum(
        (row["amount"] for row in unmatched if in_window(row["trade_date"])), ZERO
    )
    return ReceivedLedger(
        [payment for payment in payments if in_window(payment.pay_date)], unmatched_total
    )


def income_transaction_rows(household: Household) -> QuerySet[Transaction]:
    """Return the household's transactions with the security's kind and qualified default
    as the household classifies it (its profile), else as the reference data says.

    The profile is joined (one per household and security), not looked up per row.
    """
    profile = FilteredRelation(
        "security__profiles", condition=Q(security__profiles__household=household)
    )
    return (
        Transaction.objects.filter(account__household=household)
        .annotate(household_profile=profile)
        .annotate(
            view_kind=Coalesce(F("household_profile__kind"), F("security__kind")),
            view_qualified=Coalesce(
                F("household_profile__qualified_default"), F("security__qualified_default")
            ),
        )
    )


def received_source_expression() -> Case:
    """Return ``received_source`` as a database expression over the rows of
    ``income_transaction_rows`` (type, income class, the household's view of the kind and
    qualified default), for sums grouped by source in the database. The same rules in the
    same order; tests hold the two to every combination."""
    dividend = Q(type__in=("DIVIDEND", "REINVEST"))
    classed = [
        When(dividend & Q(income_class=income_class), then=Value(str(source)))
        for income_class, source in CLASS_SOURCES.items()
    ]
    qualified = Q(income_class="qualified") | (
        Q(income_class="") & (Q(view_qualified=True) | Q(view_qualified__isnull=True))
    )
    return Case(
        When(type="RETURN_OF_CAPITAL", then=Value(str(IncomeSource.RETURN_OF_CAPITAL))),
        *classed,
        When(
            dividend & Q(view_kind=PREFERRED_KIND), then=Value(str(IncomeSource.PREFERRED_DIVIDEND))
        ),
        When(dividend & qualified, then=Value(str(IncomeSource.QUALIFIED_DIVIDEND))),
        When(dividend, then=Value(str(IncomeSource.ORDINARY_DIVIDEND))),
        When(
            Q(type="INTEREST") & Q(view_kind=BOND_KIND), then=Value(str(IncomeSource.BOND_COUPON))
        ),
        When(type="INTEREST", then=Value(str(IncomeSource.INTEREST))),
        When(type="OPTION_PREMIUM", then=Value(str(IncomeSource.OPTION_PREMIUM))),
        output_field=CharField(),
    )


def _match_withholding(payments: Sequence[ReceivedPayment], withheld: Iterable[dict]) -> list[dict]:
    """Add each withholding to its payment; return the withholdings that matched none.

    A withholding matches the income payments of the same account and security (cash
    interest: no security), preferring the same day, else the nearest within
    `WITHHOLDING_MATCH_DAYS` (the earlier one on a tie).
    """
    by_holding: dict[tuple[int, int | None], list[ReceivedPayment]] = defaultdict(list)
    for payment in payments:
        if payment.is_income:
            by_holding[(payment.account_id, payment.security_id)].append(payment)
    unmatched = []
    for row in withheld:
        candidates = [
            payment
            for payment in by_holding.get((row["account_id"], row["security_id"]), [])
            if abs((payment.pay_date - row["trade_date"]).days) <= WITHHOLDING_MATCH_DAYS
        ]
        if not candidates:
            unmatched.append(row)
            continue
        best = min(
            candidates,
            key=lambda payment: (
                abs((payment.pay_date - row["trade_date"]).days),
                payment.pay_date,
            ),
        )
        best.tax_withheld += row["amount"]
    return unmatched


@dataclass(frozen=True, slots=True)
class ReceivedGroup:
    """Income received in one group: its key, its label, the amount and the tax withheld."""

    key: date | str | int
    label: str
    amount: Decimal
    tax_withheld: Decimal


GROUP_KEYS: dict[str, Callable[[ReceivedPayment], tuple[date | str | int, str]]] = {
    "month": lambda p: (first_of_month(p.pay_date), first_of_month(p.pay_date).isoformat()),
    "source": lambda p: (str(p.source), str(p.source)),
    "account": lambda p: (p.account, p.account),
    "symbol": lambda p: (p.symbol, p.symbol),
    "member": lambda p: (p.member, p.member),
    "tax_treatment": lambda p: (p.tax_treatment, p.tax_treatment),
}


def received_grouped(payments: Iterable[ReceivedPayment], *, group_by: str) -> list[ReceivedGroup]:
    """Return payments summed per month, source, account, symbol, member or tax treatment.

    Groups are ordered by their key (month, source name, account name, symbol, member,
    treatment); income without a security has the empty symbol.
    """
    key_of = GROUP_KEYS[group_by]
    amounts: dict[date | str | int, Decimal] = defaultdict(lambda: ZERO)
    withheld: dict[date | str | int, Decimal] = defaultdict(lambda: ZERO)
    labels: dict[date | str | int, str] = {}
    for payment in payments:
        key, label = key_of(payment)
        amounts[key] += payment.amount
        withheld[key] += payment.tax_withheld
        labels[key] = label
    return [
        ReceivedGroup(key, labels[key], amounts[key], withheld[key])
        for key in sorted(amounts)  # type: ignore[type-var]
    ]


# The stored month sums give every group but the security's (they are per account).
STORED_GROUPS = ("month", "source", "account", "member", "tax_treatment")
STORED_GROUP_FIELDS = {
    "month": "month",
    "source": "source",
    "account": "account__name",
    "member": "account__owner__username",
    "tax_treatment": "account__type",
}


def received_totals(
    *, household: Household, group_by: str, start: date | None = None, end: date | None = None
) -> list[tuple[date | str, str, Decimal]]:
    """Return income received from `start` to `end` (both included) per group, as
    (key, label, amount) in the order and with the figures of ``received_grouped``.

    1. The whole months of the range are read from the stored month sums
       (``ReceivedIncomeMonth``; the caller refreshes them first,
       ``income.services.received.received_months_refresh_if_stale``), grouped in the
       database: a few rows per month, whatever the number of payments.
    2. A month the range cuts (`start` after its first day, `end` before its last) is read
       from its payments (``received_payments``).
    3. Per security (`symbol`) the stored sums cannot tell: the payments are read.
    """
    if group_by not in STORED_GROUPS:
        ledger = received_payments(household=household, start=start, end=end)
        return [
            (group.key, group.label, group.amount)  # type: ignore[misc]
            for group in received_grouped(ledger.income, group_by=group_by)
        ]
    amounts: dict[date | str, Decimal] = defaultdict(lambda: ZERO)
    labels: dict[date | str, str] = {}
    stored = ReceivedIncomeMonth.objects.filter(household=household).exclude(
        source__in=[str(source) for source in NOT_INCOME]
    )
    first_whole = None if start is None else _first_whole_month(start)
    last_whole = None if end is None else _last_whole_month(end)
    if first_whole is not None:
        stored = stored.filter(month__gte=first_whole)
    if last_whole is not None:
        stored = stored.filter(month__lte=last_whole)
    field_name = STORED_GROUP_FIELDS[group_by]
    rows = stored.order_by().values(field_name).annotate(total=Sum("amount"))
    for value, amount in rows.values_list(field_name, "total"):
        key, label = _stored_key(group_by, value)
        amounts[key] += amount
        labels[key] = label
    for cut_start, cut_end in _cut_months(start, end, first_whole, last_whole):
        for group in received_grouped(
            received_payments(household=household, start=cut_start, end=cut_end).income,
            group_by=group_by,
        ):
            amounts[group.key] += group.amount  # type: ignore[index]
            labels[group.key] = group.label  # type: ignore[index]
    return [(key, labels[key], amounts[key]) for key in sorted(amounts)]  # type: ignore[type-var]


def _stored_key(group_by: str, value: date | str | None) -> tuple[date | str, str]:
    """Return the key and label ``GROUP_KEYS`` gives the payments of a stored group."""
    if group_by == "month":
        assert isinstance(value, date)
        return value, value.isoformat()
    if group_by == "tax_treatment":
        treatment = tax_treatment_of(str(value))
        return treatment, treatment
    label = str(value or "")
    return label, label


def _first_whole_month(start: date) -> date:
    """Return the first month wholly on or after `start`."""
    return start if start.day == 1 else add_months(first_of_month(start), 1)


def _last_whole_month(end: date) -> date:
    """Return the first day of the last month wholly on or before `end`."""
    month = first_of_month(end)
    return month if end == last_of_month(end) else add_months(month, -1)


def _cut_months(
    start: date | None, end: date | None, first_whole: date | None, last_whole: date | None
) -> list[tuple[date, date]]:
    """Return the stretches of the range outside its whole months (at most two)."""
    if (
        start is not None
        and end is not None
        and (first_whole is not None and last_whole is not None and first_whole > last_whole)
    ):
        # No whole month: the range lies within one month or across the end of one.
        if first_of_month(start) == first_of_month(end):
            return [(start, end)]
        return [(start, last_of_month(start)), (first_of_month(end), end)]
    cuts = []
    if start is not None and start.day != 1:
        cuts.append((start, last_of_month(start)))
    if end is not None and end != last_of_month(end):
        cuts.append((first_of_month(end), end))
    return cuts
