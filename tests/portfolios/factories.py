"""Typed factories for ledger objects."""

from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from portfolios.models import Account, Security, Transaction


class SecurityFactory(DjangoModelFactory[Security]):
    class Meta:
        model = Security
        django_get_or_create = ("symbol", "exchange")

    symbol = factory.Sequence(lambda n: f"SEC{n}")
    exchange = ""
    name = factory.LazyAttribute(lambda o: f"{o.symbol} Inc.")
    kind = Security.Kind.ETF
    asset_class = Security.AssetClass.US_EQUITY


class AccountFactory(DjangoModelFactory[Account]):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    institution = "Fidelity"
    type = Account.Type.TAXABLE


class TransactionFactory(DjangoModelFactory[Transaction]):
    class Meta:
        model = Transaction

    trade_date = date(2024, 1, 2)
    type = Transaction.Type.DEPOSIT
    amount = Decimal("1000")
    external_id = factory.Sequence(lambda n: f"t{n}")
