"""Fixtures of the income tests: a frozen today, received income, held income payers."""

from datetime import date

import pytest
import time_machine

from income.services.projections import projections_rebuild
from portfolios.models import Account, Security, Transaction
from portfolios.services.ledger import ledger_rebuild
from tests.income.builders import (
    NOON_IN_NEW_YORK,
    buy,
    deposit,
    event,
    income,
    monthly_events,
    security,
)
from tests.portfolios.factories import AccountFactory


@pytest.fixture
def frozen_today():
    """Thursday 10 April 2025, noon in New York (the cast's households' time zone)."""
    with time_machine.travel(NOON_IN_NEW_YORK, tick=False):
        yield


@pytest.fixture
def received(cast):
    """Income of household A from November 2024 to March 2025, one of each source.

    Taxable (alice's): a 200.00 bond coupon (Nov), a 5.00 KO capital-gain distribution
    (Dec), 85.00 option premium on KO (Jan), a 20.00 PFF preferred dividend classed
    qualified (Jan), 12.34 cash interest (Feb), a 51.00 KO qualified dividend with 7.65 tax
    withheld (Mar), 10.00 return of capital from O (Mar, not income).
    IRA (carol's): 52.50 O reinvested (Feb) and 52.50 O paid (Mar), ordinary by default.
    """
    taxable = AccountFactory(household=cast.household_a, name="Taxable", owner=cast.owner)
    ira = AccountFactory(
        household=cast.household_a,
        name="IRA",
        type=Account.Type.TRADITIONAL_IRA,
        owner=cast.member,
    )
    ko = security("KO", kind=Security.Kind.STOCK)
    realty = security("O", kind=Security.Kind.REIT, qualified_default=False)
    pff = security("PFF", kind=Security.Kind.PREFERRED)
    ust = security("UST", kind=Security.Kind.BOND)
    income(taxable, date(2024, 11, 15), "200.00", type=Transaction.Type.INTEREST, held=ust)
    income(taxable, date(2024, 12, 20), "5.00", held=ko, income_class="capital_gain")
    income(taxable, date(2025, 1, 17), "85.00", type=Transaction.Type.OPTION_PREMIUM, held=ko)
    income(taxable, date(2025, 1, 31), "20.00", held=pff, income_class="qualified")
    income(taxable, date(2025, 2, 28), "12.34", type=Transaction.Type.INTEREST)
    income(taxable, date(2025, 3, 14), "51.00", held=ko, income_class="qualified")
    income(taxable, date(2025, 3, 14), "7.65", type=Transaction.Type.TAX_WITHHELD, held=ko)
    income(
        taxable, date(2025, 3, 20), "10.00", type=Transaction.Type.RETURN_OF_CAPITAL, held=realty
    )
    income(
        ira,
        date(2025, 2, 18),
        "52.50",
        type=Transaction.Type.REINVEST,
        held=realty,
        quantity="0.9",
        price="58.3333",
    )
    income(ira, date(2025, 3, 17), "52.50", held=realty)
    return {"taxable": taxable, "ira": ira, "ko": ko, "o": realty}


@pytest.fixture
def holdings(cast):
    """100 KO (quarterly, June declared) in Brokerage and 200 O (monthly) in the Roth IRA.

    KO paid 51.00 on 14 March and O 52.50 on 17 March.
    """
    taxable = AccountFactory(household=cast.household_a, name="Brokerage")
    ira = AccountFactory(household=cast.household_a, name="Roth", type=Account.Type.ROTH_IRA)
    ko = security("KO", kind=Security.Kind.STOCK, dividend_frequency="quarterly")
    realty = security(
        "O", kind=Security.Kind.REIT, dividend_frequency="monthly", qualified_default=False
    )
    deposit(taxable, date(2024, 1, 2), "10000")
    deposit(ira, date(2024, 1, 2), "20000")
    buy(taxable, ko, date(2024, 1, 5), "100", "60")
    buy(ira, realty, date(2024, 2, 1), "200", "55")
    event(ko, date(2024, 5, 31), date(2024, 6, 14), "0.485")
    event(ko, date(2024, 8, 30), date(2024, 9, 13), "0.485")
    event(ko, date(2024, 11, 29), date(2024, 12, 13), "0.485")
    event(ko, date(2025, 2, 28), date(2025, 3, 14), "0.51")
    event(ko, date(2025, 5, 30), date(2025, 6, 13), "0.51")
    monthly_events(realty, date(2024, 4, 15), 12, "0.2625")
    event(realty, date(2025, 3, 31), date(2025, 4, 15), "0.264")
    income(taxable, date(2025, 3, 14), "51.00", held=ko)
    income(ira, date(2025, 3, 17), "52.50", held=realty)
    ledger_rebuild(household=cast.household_a)
    projections_rebuild(household=cast.household_a)
    return {"taxable": taxable, "ira": ira}
