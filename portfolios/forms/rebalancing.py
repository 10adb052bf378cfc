"""Forms of the allocation page (new money, withdrawal) and of its settings page."""

from __future__ import annotations

import calendar
import re
from decimal import Decimal

from django import forms

from portfolios.models import Account, Household, RebalancePolicy, Replacement
from portfolios.services.rebalancing import AccountRule

MONEY_INPUT = {"min_value": Decimal("0.01"), "max_digits": 14, "decimal_places": 2}
PLAN_TYPES = {Account.Type.K401, Account.Type.B403}
PAIR = re.compile(r"^\s*([^\s=,>→]+)\s*(?:=|,|->|→|>|\s)\s*([^\s=,>→]+)\s*$")


class NewMoneyForm(forms.Form):
    """ "I am adding $X", to one account or wherever it does most."""

    add_amount = forms.DecimalField(label="I am adding", **MONEY_INPUT)
    add_account = forms.ChoiceField(label="To", required=False)

    def __init__(self, *args, household: Household, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        accounts = Account.objects.filter(household=household).exclude(type=Account.Type.CASH)
        self.fields["add_account"].choices = [
            ("", "Wherever it does most (taxable accounts)"),
            *((str(a.pk), a.name) for a in accounts),
        ]


class WithdrawalForm(forms.Form):
    """ "I need $Y this month"."""

    need_amount = forms.DecimalField(label="I need this month", **MONEY_INPUT)


class RebalanceSettingsForm(forms.Form):
    """The household's trigger, harvest thresholds, cash floors, plan rules and replacements.

    Each investment account gets ``floor_<id>`` (and, for a 401(k) or 403(b),
    ``outside_<id>``); the replacement map is one pair a line: ``VTI SCHB`` (or ``VTI = SCHB``).
    """

    trigger = forms.ChoiceField(
        label="Propose a rebalance", choices=RebalancePolicy.Trigger.choices
    )
    frequency = forms.ChoiceField(
        label="Calendar", choices=RebalancePolicy.Frequency.choices, required=False
    )
    start_month = forms.TypedChoiceField(
        label="Starting in",
        coerce=int,
        choices=[(n, calendar.month_name[n]) for n in range(1, 13)],
    )
    harvest_min_loss = forms.DecimalField(
        label="Harvest losses of at least ($)", min_value=0, max_digits=14, decimal_places=2
    )
    harvest_min_loss_pct = forms.DecimalField(
        label="and at least (% of cost)", min_value=0, max_value=100, decimal_places=2
    )
    replacements = forms.CharField(
        label="Replacement funds (one a line: fund, then what to buy instead)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "VTI SCHB\nVXUS IXUS"}),
    )

    def __init__(self, *args, household: Household, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.household = household
        self.accounts = list(
            Account.objects.filter(household=household)
            .exclude(type=Account.Type.CASH)
            .select_related("trading_rule")
            .order_by("name")
        )
        policy = RebalancePolicy.objects.filter(household=household).first() or RebalancePolicy()
        self.initial.update(
            {
                "trigger": policy.trigger,
                "frequency": policy.frequency,
                "start_month": policy.start_month,
                "harvest_min_loss": policy.harvest_min_loss.quantize(Decimal("0.01")),
                "harvest_min_loss_pct": policy.harvest_min_loss_pct.quantize(Decimal("0.01")),
                "replacements": "\n".join(
                    f"{s} {r}"
                    for s, r in Replacement.objects.filter(household=household).values_list(
                        "symbol", "replacement"
                    )
                ),
            }
        )
        for account in self.accounts:
            rule = getattr(account, "trading_rule", None)
            self.fields[f"floor_{account.pk}"] = forms.DecimalField(
                label=f"{account.name}: cash to keep ($)",
                min_value=0,
                max_digits=14,
                decimal_places=2,
                initial=(rule.cash_floor if rule else Decimal(0)).quantize(Decimal("0.01")),
            )
            if account.type in PLAN_TYPES:
                self.fields[f"outside_{account.pk}"] = forms.BooleanField(
                    label=f"{account.name} may buy funds it does not hold yet",
                    required=False,
                    initial=bool(rule and rule.buy_outside_holdings),
                )

    def account_rows(self) -> list[tuple[Account, forms.BoundField, forms.BoundField | None]]:
        """Return each account with its floor field and (401(k)/403(b)) plan field."""
        return [
            (
                account,
                self[f"floor_{account.pk}"],
                self[f"outside_{account.pk}"] if f"outside_{account.pk}" in self.fields else None,
            )
            for account in self.accounts
        ]

    def clean_replacements(self) -> list[tuple[str, str]]:
        pairs, problems = [], []
        for number, line in enumerate(self.cleaned_data["replacements"].splitlines(), start=1):
            if not line.strip():
                continue
            match = PAIR.match(line)
            if match is None:
                problems.append(f"line {number}: write the fund, then its replacement")
                continue
            pairs.append((match.group(1), match.group(2)))
        if problems:
            raise forms.ValidationError(problems)
        return pairs

    def policy(self) -> dict:
        data = self.cleaned_data
        return {
            "trigger": data["trigger"],
            "frequency": data["frequency"] or RebalancePolicy.Frequency.QUARTERLY,
            "start_month": data["start_month"],
            "harvest_min_loss": data["harvest_min_loss"],
            "harvest_min_loss_pct": data["harvest_min_loss_pct"],
        }

    def rules(self) -> list[AccountRule]:
        return [
            AccountRule(
                account_id=account.pk,
                cash_floor=self.cleaned_data[f"floor_{account.pk}"],
                buy_outside_holdings=bool(self.cleaned_data.get(f"outside_{account.pk}")),
            )
            for account in self.accounts
        ]
