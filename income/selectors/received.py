"""Reads of income actually received, from the ledger's income transactions."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from income.calculations import (
    INCOME_TYPES,
    NOT_INCOME,
    IncomeSource,
    ReceivedIncome,
    first_of_month,
    received_source,
)
from income.selectors.common import tax_treatment_of
from portfolios.models import Household, SecurityProfile, Transaction

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
    # The kind and qualified default are the household's own classification, where it has one.
    profile = SecurityProfile.objects.filter(household=household, security=OuterRef("security_id"))
    rows = Transaction.objects.filter(
        account__household=household, type__in=(*INCOME_TYPES, "TAX_WITHHELD")
    ).annotate(
        view_kind=Coalesce(Subquery(profile.values("kind")[:1]), F("security__kind")),
        view_qualified=Coalesce(
            Subquery(profile.values("qualified_default")[:1]), F("security__qualified_default")
        ),
    )
    margin = timedelta(days=WITHHOLDING_MATCH_DAYS)
    if start is not None:
        rows = rows.filter(trade_date__gte=start - margin)
    if end is not None:
        rows = rows.filter(trade_date__lte=end + margin)
    payments: list[ReceivedPayment] = []
    withheld: list[dict] = []
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
        payments.append(
            ReceivedPayment(
                transaction_id=row["id"],
                pay_date=row["trade_date"],
                account_id=row["account_id"],
                account=row["account__name"],
                member=row["account__owner__username"] or "",
                tax_treatment=tax_treatment_of(row["account__type"]),
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
