"""Writes of a household's income settings."""

from decimal import Decimal

from django.db import transaction

from income.models import IncomeSettings
from portfolios.errors import ApplicationError
from portfolios.models import Account, Household


@transaction.atomic
def income_settings_update(
    *,
    household: Household,
    paycheck_account: Account | None,
    paycheck_amount: Decimal,
    cash_interest_rate: Decimal | None,
    include_option_premium: bool,
    dividend_cut_threshold: Decimal,
) -> IncomeSettings:
    """Create or update the household's income settings; rates are percents."""
    if paycheck_account is not None and paycheck_account.household_id != household.pk:
        raise ApplicationError(
            "The paycheck account belongs to another household.",
            {"paycheck_account": ["Pick one of this household's accounts."]},
        )
    settings, _ = IncomeSettings.objects.select_for_update().get_or_create(household=household)
    settings.paycheck_account = paycheck_account
    settings.paycheck_amount = paycheck_amount
    settings.cash_interest_rate = cash_interest_rate
    settings.include_option_premium = include_option_premium
    settings.dividend_cut_threshold = dividend_cut_threshold
    settings.full_clean()
    settings.save(
        update_fields=[
            "paycheck_account",
            "paycheck_amount",
            "cash_interest_rate",
            "include_option_premium",
            "dividend_cut_threshold",
            "updated_at",
        ]
    )
    return settings
