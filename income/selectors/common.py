"""Reads shared by the income selectors: the household's day and its income settings."""

from datetime import date, datetime

from income.models import IncomeSettings
from portfolios.models import Account, Household
from portfolios.selectors.as_of import household_today as valuation_day


def household_today(household: Household, *, now: datetime | None = None) -> date:
    """Return today's date in the household's time zone: the one valuation as-of
    (``portfolios.selectors.as_of``)."""
    return valuation_day(household, now=now)


def income_settings_get(*, household: Household) -> IncomeSettings:
    """Return the household's income settings, or unsaved defaults when it has none yet."""
    found = (
        IncomeSettings.objects.filter(household=household)
        .select_related("paycheck_account")
        .first()
    )
    return found or IncomeSettings(household=household)


def tax_treatment_of(account_type: str) -> str:
    """Return the tax treatment an account type implies (DESIGN §2)."""
    return str(Account.TAX_TREATMENT_BY_TYPE[Account.Type(account_type)])
