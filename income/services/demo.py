"""The demo household's income: settings, and a year of projections kept at month starts.

The demo's history (dividend ETFs, REITs, preferreds, a treasury ladder, covered calls) is
written by `portfolios.services.demo`; this adds what the income pages need to show more
than today: the paycheck settings, and for each of the last 12 months the projection as it
would have been kept on the month's first day, so reliability has something to compare.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from income.calculations import (
    NOT_INCOME,
    DividendEventInput,
    HoldingInput,
    IncomeSource,
    PositionHistory,
    PositionTxn,
    ReceivedIncome,
    add_months,
    first_of_month,
    project_income,
)
from income.models import IncomeSettings, ProjectionSnapshot
from income.selectors.common import household_today
from income.selectors.holdings import POSITION_FIELDS
from income.services.projections import projections_rebuild
from portfolios.models import Account, DividendEvent, Household, Security, Transaction
from portfolios.models.ledger import CASH_SIGN

ZERO = Decimal(0)
DEMO_CASH_RATE = Decimal(4)  # %, what the demo's savings account pays
HISTORY_MONTHS = 12


@dataclass(frozen=True)
class DemoIncomeResult:
    settings: IncomeSettings
    snapshots: int


@transaction.atomic
def demo_income_seed(*, household: Household, today: date | None = None) -> DemoIncomeResult:
    """Give the demo household income settings and a year of month-start projections.

    1. Settings: the paycheck is the household's monthly target, paid from its first cash
       account; cash earns 4%; the covered-call premium is projected.
    2. For each of the last 12 months and this one, the projection as of its first day
       (`_projection_as_of`), kept as that month's snapshot unless one exists.
    3. Today's projection, rebuilt.
    """
    today = today or household_today(household)
    spending = (
        Account.objects.filter(household=household, type=Account.Type.CASH).order_by("pk").first()
    )
    settings, _ = IncomeSettings.objects.update_or_create(
        household=household,
        defaults={
            "paycheck_account": spending,
            "paycheck_amount": household.monthly_income_target,
            "cash_interest_rate": DEMO_CASH_RATE,
            "include_option_premium": True,
        },
    )
    zone = ZoneInfo(household.time_zone)
    current = first_of_month(today)
    cash_accounts = set(
        Account.objects.filter(household=household, type=Account.Type.CASH).values_list(
            "pk", flat=True
        )
    )
    # The current month too: the demo pretends the job has been running all year.
    for offset in range(HISTORY_MONTHS, -1, -1):
        month = add_months(current, -offset)
        totals = _projection_as_of(
            household, month, cash_rate=settings.cash_rate, cash_accounts=cash_accounts
        )
        ProjectionSnapshot.objects.get_or_create(
            household=household,
            month=month,
            defaults={
                "total": sum(
                    (amount for source, amount in totals.items() if source not in NOT_INCOME),
                    ZERO,
                ),
                "by_source": {source: format(amount, "f") for source, amount in totals.items()},
                "taken_at": datetime.combine(month, time(0, 5), tzinfo=zone),
            },
        )
    projections_rebuild(household=household, today=today)
    return DemoIncomeResult(
        settings, ProjectionSnapshot.objects.filter(household=household).count()
    )


def _projection_as_of(
    household: Household, month: date, *, cash_rate: Decimal | None, cash_accounts: set[int]
) -> dict[str, Decimal]:
    """Return the month's projected income per source as it looked on the month's first day.

    Positions and cash are replayed from the transactions before that day; dividends known
    then are the events with an ex-date before it; option premium is the trailing average.
    """
    txns = list(
        Transaction.objects.filter(account__household=household, trade_date__lt=month)
        .order_by()
        .values(*POSITION_FIELDS)
    )
    history = PositionHistory(PositionTxn(**row) for row in txns)
    pairs = {(row["account_id"], row["security_id"]) for row in txns if row["security_id"]}
    securities = {s.pk: s for s in Security.objects.filter(pk__in={pair[1] for pair in pairs})}
    holdings = [
        _holding(account_id, securities[security_id], quantity)
        for account_id, security_id in sorted(pairs)
        if (quantity := history.quantity_before(account_id, security_id, month)) > 0
    ]
    events = [
        DividendEventInput(
            security_id=e.security_id, ex_date=e.ex_date, pay_date=e.pay_date, amount=e.amount
        )
        for e in DividendEvent.objects.filter(security_id__in=securities, ex_date__lt=month)
    ]
    premium = [
        ReceivedIncome(
            pay_date=row["trade_date"],
            account_id=row["account_id"],
            security_id=None,
            symbol="",
            source=IncomeSource.OPTION_PREMIUM,
            amount=row["amount"],
        )
        for row in txns
        if row["type"] == "OPTION_PREMIUM"
    ]
    payments = project_income(
        today=month,
        holdings=holdings,
        dividend_events=events,
        cash_balances={
            pk: balance for pk, balance in _cash_balances(txns).items() if pk in cash_accounts
        },
        cash_rate=cash_rate,
        option_premium_history=premium,
        include_option_premium=True,
        months=1,
    )
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for payment in payments:
        totals[str(payment.source)] += payment.amount
    return dict(sorted(totals.items()))


def _holding(account_id: int, security: Security, quantity: Decimal) -> HoldingInput:
    return HoldingInput(
        account_id=account_id,
        security_id=security.pk,
        symbol=security.symbol,
        kind=security.kind,
        quantity=quantity,
        qualified_default=security.qualified_default,
        dividend_frequency=security.dividend_frequency or None,
        coupon_rate=security.coupon_rate,
        face_value=security.face_value,
        maturity=security.maturity,
        coupon_frequency=security.coupon_frequency,
    )


def _cash_balances(txns: list[dict]) -> dict[int, Decimal]:
    """Return each account's cash after the given transactions (DESIGN §2 cash effects)."""
    balances: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in txns:
        if row["type"] == "TRANSFER":
            moved = row["amount"] if row["security_id"] is None else ZERO
            balances[row["account_id"]] -= moved + row["fees"]
            if row["to_account_id"] is not None:
                balances[row["to_account_id"]] += moved
            continue
        sign = CASH_SIGN.get(row["type"])
        balances[row["account_id"]] += (sign or 0) * row["amount"] - row["fees"]
    return dict(balances)
