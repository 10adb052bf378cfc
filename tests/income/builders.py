"""Small builders for income tests: trades, income rows and dividend events.

Every income test runs on a frozen "today" of Thursday 10 April 2025, noon in New York
(the cast's households keep the default America/New_York time zone), unless it says
otherwise. With 12 months the projection window is 10 April 2025 to 31 March 2026.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from portfolios.models import Account, DividendEvent, Security, Transaction
from tests.portfolios.factories import SecurityFactory, TransactionFactory

TODAY = date(2025, 4, 10)
NOON_IN_NEW_YORK = datetime(2025, 4, 10, 16, 0, tzinfo=UTC)
D = Decimal


def security(symbol: str, **fields) -> Security:
    """Return a security; income tests mostly need kind, frequency and qualified default."""
    return SecurityFactory(symbol=symbol, **fields)


def buy(account: Account, held: Security, day: date, quantity: str, price: str) -> Transaction:
    return TransactionFactory(
        account=account,
        trade_date=day,
        type=Transaction.Type.BUY,
        security=held,
        quantity=D(quantity),
        price=D(price),
        amount=D(quantity) * D(price),
    )


def sell(account: Account, held: Security, day: date, quantity: str, price: str) -> Transaction:
    return TransactionFactory(
        account=account,
        trade_date=day,
        type=Transaction.Type.SELL,
        security=held,
        quantity=D(quantity),
        price=D(price),
        amount=D(quantity) * D(price),
    )


def income(
    account: Account,
    day: date,
    amount: str,
    *,
    type: str = Transaction.Type.DIVIDEND,
    held: Security | None = None,
    income_class: str = "",
    quantity: str | None = None,
    price: str | None = None,
) -> Transaction:
    """Return an income row (DIVIDEND by default): positive amount, direction from type."""
    return TransactionFactory(
        account=account,
        trade_date=day,
        type=type,
        security=held,
        amount=D(amount),
        income_class=income_class,
        quantity=D(quantity) if quantity else None,
        price=D(price) if price else None,
    )


def deposit(account: Account, day: date, amount: str) -> Transaction:
    return TransactionFactory(account=account, trade_date=day, amount=D(amount))


def event(held: Security, ex_date: date, pay_date: date, amount: str) -> DividendEvent:
    return DividendEvent.objects.create(
        security=held, ex_date=ex_date, pay_date=pay_date, amount=D(amount)
    )


def monthly_events(held: Security, first_pay: date, count: int, amount: str) -> None:
    """Add `count` monthly dividends paid on `first_pay`'s day, ex-date 10 days earlier."""
    for offset in range(count):
        month_index = first_pay.month - 1 + offset
        pay_date = first_pay.replace(
            year=first_pay.year + month_index // 12, month=month_index % 12 + 1
        )
        event(held, date.fromordinal(pay_date.toordinal() - 10), pay_date, amount)
