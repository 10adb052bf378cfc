"""Summaries of income actually received (the `income/` route and the dashboard)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal, Protocol

from income.calculations.months import add_months, first_of_month
from income.calculations.ratios import ratio
from income.calculations.types import ReceivedIncome

ZERO = Decimal(0)

GroupBy = Literal["month", "source", "account", "symbol"]


class Paid(Protocol):
    """A payment received: its day and amount (``ReceivedIncome``, or a ledger's payment)."""

    @property
    def pay_date(self) -> date: ...

    @property
    def amount(self) -> Decimal: ...


def group_received(
    received: Iterable[ReceivedIncome], *, group_by: GroupBy
) -> list[tuple[date | str | int, Decimal]]:
    """Return received income summed per group, ordered by the group's key.

    The key is the month's first day (`month`), the source (`source`), the account id
    (`account`) or the symbol (`symbol`, empty for income without a security).
    """
    key_of = {
        "month": lambda payment: first_of_month(payment.pay_date),
        "source": lambda payment: str(payment.source),
        "account": lambda payment: payment.account_id,
        "symbol": lambda payment: payment.symbol,
    }[group_by]
    totals: dict[date | str | int, Decimal] = defaultdict(lambda: ZERO)
    for payment in received:
        totals[key_of(payment)] += payment.amount
    return sorted(totals.items(), key=lambda item: item[0])


def received_total(received: Iterable[Paid], *, start: date, end: date) -> Decimal:
    """Return the income received from `start` to `end`, both included."""
    return sum((payment.amount for payment in received if start <= payment.pay_date <= end), ZERO)


def trailing_twelve_months_total(received: Iterable[Paid], *, today: date) -> Decimal:
    """Return the income received in (today - 12 months, today]."""
    start = add_months(today, -12) + timedelta(days=1)
    return received_total(received, start=start, end=today)


def year_to_date_total(received: Iterable[Paid], *, today: date) -> Decimal:
    """Return the income received from 1 January of today's year through today."""
    return received_total(received, start=today.replace(month=1, day=1), end=today)


@dataclass(frozen=True, slots=True)
class YearOverYear:
    """Year-to-date income against the same stretch of the previous year."""

    current: Decimal
    previous: Decimal
    change: Decimal
    change_fraction: Decimal | None


def year_over_year(received: Iterable[Paid], *, today: date) -> YearOverYear:
    """Return year-to-date income compared with the same days of last year.

    1. Current: 1 January through today.
    2. Previous: 1 January of last year through the same day last year (29 February maps
       to 28 February).
    3. Change = current - previous; change fraction = change / previous, None when nothing
       was received last year.
    """
    payments = list(received)
    current = year_to_date_total(payments, today=today)
    same_day_last_year = add_months(today, -12)
    previous = year_to_date_total(payments, today=same_day_last_year)
    change = current - previous
    return YearOverYear(current, previous, change, ratio(change, previous))


def yield_on_cost(annual_income: Decimal, cost_basis: Decimal) -> Decimal | None:
    """Return annual income / cost basis, as a fraction; None without a cost basis."""
    return ratio(annual_income, cost_basis)


def current_yield(annual_income: Decimal, market_value: Decimal) -> Decimal | None:
    """Return annual income / market value, as a fraction; None without a market value."""
    return ratio(annual_income, market_value)
