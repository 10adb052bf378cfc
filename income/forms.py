"""Forms of the income pages."""

from decimal import Decimal

from django import forms

from income.models import IncomeSettings
from portfolios.models import Account, Household


class IncomeSettingsForm(forms.ModelForm):
    """The household's paycheck, cash interest, option premium and dividend-cut settings."""

    class Meta:
        model = IncomeSettings
        fields = [
            "paycheck_account",
            "paycheck_amount",
            "cash_interest_rate",
            "include_option_premium",
            "dividend_cut_threshold",
        ]
        labels = {
            "cash_interest_rate": "Cash interest rate (%)",
            "dividend_cut_threshold": "Dividend cut threshold (%)",
        }

    def __init__(self, *args, household: Household, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["paycheck_account"].queryset = Account.objects.filter(household=household)
        # Show 1500 and 4.5 rather than the stored 1500.0000 and 4.5000.
        for name in ("paycheck_amount", "cash_interest_rate", "dividend_cut_threshold"):
            value = self.initial.get(name)
            if isinstance(value, Decimal):
                self.initial[name] = value.normalize() if value % 1 else value.quantize(1)
