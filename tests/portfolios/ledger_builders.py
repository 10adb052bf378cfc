"""Small builders for ledger tests: transactions of a household, written as a user would."""

from datetime import date
from decimal import Decimal

from portfolios.models import Account, Price, Security, Transaction
from tests.portfolios.factories import TransactionFactory

D = Decimal


def deposit(account: Account, day: str, amount, **fields) -> Transaction:
    return TransactionFactory(
        account=account,
        trade_date=date.fromisoformat(day),
        type=Transaction.Type.DEPOSIT,
        amount=D(str(amount)),
        **fields,
    )


def buy(account: Account, day: str, security: Security, quantity, amount, **fields) -> Transaction:
    return _trade(Transaction.Type.BUY, account, day, security, quantity, amount, **fields)


def sell(account: Account, day: str, security: Security, quantity, amount, **fields) -> Transaction:
    return _trade(Transaction.Type.SELL, account, day, security, quantity, amount, **fields)


def close(security: Security, day: str, price) -> Price:
    return Price.objects.create(
        security=security, date=date.fromisoformat(day), close=D(str(price))
    )


def _trade(kind, account, day, security, quantity, amount, **fields) -> Transaction:
    quantity, amount = D(str(quantity)), D(str(amount))
    return TransactionFactory(
        account=account,
        trade_date=date.fromisoformat(day),
        type=kind,
        security=security,
        quantity=quantity,
        price=amount / quantity,
        amount=amount,
        **fields,
    )
