"""Forms of the settings pages. They give each field its widget and label; the services
check the values (the same checks, and messages, as the API and file imports)."""

from __future__ import annotations

from django import forms

from portfolios.errors import ApplicationError
from portfolios.models import (
    Account,
    ApiToken,
    AuditEvent,
    Household,
    Membership,
    Security,
)
from portfolios.models.household import LotMethod
from portfolios.services.members import INVITE_METHODS
from portfolios.services.tokens import DEFAULT_EXPIRY, EXPIRY_CHOICES

NUMBER = {"inputmode": "decimal", "autocomplete": "off"}
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
KIND_CHOICES = Security.Kind.choices
ASSET_CLASS_CHOICES = Security.AssetClass.choices
FREQUENCY_CHOICES = [("", "None"), *Security.Frequency.choices[1:]]


def _text(
    label: str, *, required: bool = False, help_text: str = "", number: bool = False, **attrs
) -> forms.CharField:
    widget_attrs = {**(NUMBER if number else {}), **attrs}
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        strip=True,
        widget=forms.TextInput(attrs=widget_attrs),
    )


class ServiceErrorsMixin:
    """Show a service's ``ApplicationError`` under the fields it names."""

    def add_service_errors(self, error: ApplicationError) -> None:
        if not error.errors:
            self.add_error(None, error.message)
        for field, problems in error.errors.items():
            for problem in problems:
                if field in self.fields:
                    self.add_error(field, problem)
                else:
                    label = field.replace("_", " ")
                    self.add_error(None, f"{label}: {problem}" if field != "account" else problem)


class HouseholdForm(ServiceErrorsMixin, forms.Form):
    """Household and policy, as on the `household/` API."""

    name = _text("Household name", required=True)
    base_currency = _text(
        "Base currency",
        required=True,
        help_text="ISO code, e.g. USD",
        maxlength=3,
        autocapitalize="characters",
    )
    time_zone = _text(
        "Time zone", required=True, help_text="e.g. America/New_York", list="time-zones"
    )
    monthly_income_target = _text(
        "Monthly income target",
        number=True,
        help_text="What the portfolio should pay you each month",
    )
    cash_reserve_months = _text(
        "Cash reserve", number=True, help_text="Months of spending kept in cash"
    )
    default_band = _text(
        "Default rebalancing band",
        number=True,
        help_text="± percentage points before a class counts as off target",
    )
    max_position_weight = _text(
        "Largest single position",
        number=True,
        help_text="% of the household; above it an alert opens",
    )
    max_expense_ratio = _text("Highest fund expense ratio", number=True, help_text="% a year")
    default_lot_method = forms.ChoiceField(
        label="Default lot method for new accounts", choices=LotMethod.choices
    )
    default_benchmark = _text(
        "Default benchmark", help_text="A ticker (VTI) or a blend (VTI:60,BND:40)"
    )
    min_trade_amount = _text(
        "Smallest trade to propose",
        number=True,
        help_text="Rebalancing never proposes a smaller trade",
    )
    federal_marginal_rate = _text("Federal marginal tax rate", number=True, help_text="%")
    state_marginal_rate = _text("State marginal tax rate", number=True, help_text="%")
    qualified_dividend_rate = _text("Qualified dividend rate", number=True, help_text="%")
    long_term_rate = _text("Long-term capital gains rate", number=True, help_text="%")

    SECTIONS = (
        ("Household", ("name", "base_currency", "time_zone")),
        ("Income and cash", ("monthly_income_target", "cash_reserve_months")),
        (
            "Investment policy",
            (
                "default_band",
                "max_position_weight",
                "max_expense_ratio",
                "default_lot_method",
                "default_benchmark",
                "min_trade_amount",
            ),
        ),
        (
            "Taxes",
            (
                "federal_marginal_rate",
                "state_marginal_rate",
                "qualified_dividend_rate",
                "long_term_rate",
            ),
        ),
    )

    @staticmethod
    def initial_for(household: Household) -> dict:
        from portfolios.api.fields import decimal_string

        initial = {}
        for name in HouseholdForm.base_fields:
            value = getattr(household, name)
            initial[name] = decimal_string(value) if hasattr(value, "normalize") else value
        return initial

    def sections(self):
        for title, names in self.SECTIONS:
            yield title, [self[name] for name in names]


class AccountForm(ServiceErrorsMixin, forms.Form):
    name = _text("Account name", required=True, help_text="e.g. Jordan's Roth IRA")
    type = forms.ChoiceField(label="Type", choices=Account.Type.choices)
    institution = _text("Institution", help_text="e.g. Fidelity")
    number = _text(
        "Account number",
        help_text="Shown as ••••1234; used to match broker files",
        autocomplete="off",
    )
    owner = forms.ChoiceField(label="Owner", required=False)
    default_sleeve = forms.ChoiceField(
        label="Sleeve", required=False, help_text="Where its holdings count by default"
    )
    lot_method = forms.ChoiceField(
        label="Lot method", choices=LotMethod.choices, help_text="Which lots a sale closes first"
    )
    currency = _text(
        "Currency",
        help_text="ISO code; fixed once it has transactions",
        maxlength=3,
        autocapitalize="characters",
    )

    def __init__(self, *args, household: Household, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        members = Membership.objects.filter(household=household).select_related("user")
        self.fields["owner"].choices = [("", "Shared / nobody")] + [
            (m.user.username, m.user.get_full_name() or m.user.username) for m in members
        ]
        self.fields["default_sleeve"].choices = [("", "No sleeve")] + [
            (s.name, s.name) for s in household.sleeves.all()
        ]
        if not self.is_bound and "lot_method" not in self.initial:
            self.initial["lot_method"] = household.default_lot_method
            self.initial["currency"] = household.base_currency

    @staticmethod
    def initial_for(account: Account) -> dict:
        return {
            "name": account.name,
            "type": account.type,
            "institution": account.institution,
            "number": account.number,
            "owner": account.owner.username if account.owner else "",
            "default_sleeve": account.default_sleeve.name if account.default_sleeve else "",
            "lot_method": account.lot_method,
            "currency": account.currency,
        }


class SecurityForm(ServiceErrorsMixin, forms.Form):
    """The household's classification of one security."""

    name = _text("Name")
    kind = forms.ChoiceField(label="Kind", choices=KIND_CHOICES)
    asset_class = forms.ChoiceField(label="Asset class", choices=ASSET_CLASS_CHOICES)
    sector = _text("Sector", help_text="e.g. Technology, or Broad market for index funds")
    expense_ratio = _text("Expense ratio", number=True, help_text="% a year; blank if none")
    dividend_frequency = forms.ChoiceField(
        label="Pays dividends", choices=FREQUENCY_CHOICES, required=False
    )
    qualified_default = forms.BooleanField(label="Dividends are usually qualified", required=False)
    identity_group = _text(
        "Substantially identical group",
        help_text="Same name on two securities: a wash sale across them "
        "(e.g. S&P 500 for VOO and IVV)",
        list="identity-groups",
    )

    @staticmethod
    def initial_for(view) -> dict:
        from portfolios.api.fields import decimal_string

        return {
            "name": view.name,
            "kind": view.kind,
            "asset_class": view.asset_class,
            "sector": view.sector,
            "expense_ratio": decimal_string(view.expense_ratio) if view.expense_ratio else "",
            "dividend_frequency": view.dividend_frequency,
            "qualified_default": view.qualified_default,
            "identity_group": view.identity_group,
        }


class SecurityBulkForm(ServiceErrorsMixin, forms.Form):
    """The same values for every ticked security; a blank choice leaves a field alone."""

    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Leave as is"), *KIND_CHOICES]
    )
    asset_class = forms.ChoiceField(
        label="Asset class", required=False, choices=[("", "Leave as is"), *ASSET_CLASS_CHOICES]
    )
    sector = _text("Sector", help_text="Blank: leave as is")
    dividend_frequency = forms.ChoiceField(
        label="Pays dividends",
        required=False,
        choices=[("", "Leave as is"), ("none", "None"), *Security.Frequency.choices[1:]],
    )

    def changes(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value}


class SecurityImportForm(forms.Form):
    file = forms.FileField(label="Securities CSV")


class InviteForm(ServiceErrorsMixin, forms.Form):
    username = _text(
        "Username",
        required=True,
        help_text="What they will log in with",
        autocomplete="off",
        autocapitalize="none",
    )
    email = forms.CharField(
        label="E-mail (optional)",
        required=False,
        help_text="The link is e-mailed too when given",
        widget=forms.EmailInput(),
    )
    role = forms.ChoiceField(
        label="Role",
        choices=Membership.Role.choices,
        initial=Membership.Role.MEMBER,
        help_text="Owner: everything, with members and tokens. Member: changes data. "
        "Viewer: reads only.",
    )
    method = forms.ChoiceField(
        label="How they set their password",
        choices=INVITE_METHODS,
        widget=forms.RadioSelect,
        initial="link",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)


class TokenForm(ServiceErrorsMixin, forms.Form):
    name = _text("Name", required=True, help_text="Where it is used, e.g. Budget sheet")
    scope = forms.ChoiceField(
        label="Access",
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text="Spreadsheets need read only; only read-only tokens work in a URL.",
    )
    expiry = forms.ChoiceField(
        label="Expires after", choices=EXPIRY_CHOICES, initial=DEFAULT_EXPIRY
    )
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Asked again before a token is made",
    )


class InviteAcceptForm(ServiceErrorsMixin, forms.Form):
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="The same password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label="What", required=False)
    user = forms.ChoiceField(label="Who", required=False)
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "Any"), *AuditEvent.Outcome.choices]
    )
    start = forms.DateField(label="From", required=False, widget=DATE_INPUT)
    end = forms.DateField(label="To", required=False, widget=DATE_INPUT)

    def __init__(self, *args, actions: list[str], users: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from portfolios.templatetags.settings_labels import action_label

        families = sorted({action.split(".")[0] for action in actions})
        choices = [("", "Everything")]
        for family in families:
            choices.append((family, action_label(family)))
            choices += [(a, f"· {action_label(a)}") for a in actions if a.startswith(family + ".")]
        self.fields["action"].choices = choices
        self.fields["user"].choices = [("", "Anyone"), *((u, u) for u in users)]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            self.add_error("end", "must be on or after the start date")
        return cleaned
