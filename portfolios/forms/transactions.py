"""Forms of the transactions pages: list filters and the edit form."""

from datetime import date

from django import forms

from portfolios.imports import MAX_FILE_BYTES
from portfolios.imports.detect import FORMATS
from portfolios.models import Account, Household, Transaction

FORMAT_LABELS = {
    "hearth": "Hearth CSV",
    "ofx": "OFX / QFX statement",
    "fidelity": "Fidelity CSV",
    "schwab": "Schwab CSV",
    "vanguard": "Vanguard CSV",
    "ibkr": "Interactive Brokers",
}
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _account_choices(household: Household, *, blank: str) -> list[tuple[str, str]]:
    names = Account.objects.filter(household=household).values_list("name", flat=True)
    return [("", blank), *((name, name) for name in names)]


class TransactionFilterForm(forms.Form):
    """Filters of the transactions list: account, symbol, type and a date range."""

    account = forms.ChoiceField(required=False)
    symbol = forms.CharField(required=False, max_length=32)
    type = forms.ChoiceField(required=False, choices=[("", "Any type"), *Transaction.Type.choices])
    start = forms.DateField(required=False, widget=DATE_INPUT, label="From")
    end = forms.DateField(required=False, widget=DATE_INPUT, label="To")

    def __init__(self, *args, household: Household, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.household = household
        self.fields["account"].choices = _account_choices(household, blank="All accounts")

    def clean(self) -> dict:
        cleaned = super().clean()
        start: date | None = cleaned.get("start")
        end: date | None = cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "must be on or after the start date")
        return cleaned

    def filters(self) -> dict:
        """Return the selector's keyword arguments for the valid filters."""
        data = self.cleaned_data
        account = None
        if data.get("account"):
            account = Account.objects.filter(household=self.household, name=data["account"]).first()
        return {
            "account": account,
            "symbol": data.get("symbol") or None,
            "type": data.get("type") or None,
            "start": data.get("start"),
            "end": data.get("end"),
        }


class TransactionForm(forms.Form):
    """A transaction as Hearth CSV fields; the service checks them like an imported row."""

    date = forms.CharField(widget=DATE_INPUT)
    account = forms.ChoiceField()
    type = forms.ChoiceField(choices=Transaction.Type.choices)
    symbol = forms.CharField(required=False, max_length=32)
    quantity = forms.CharField(required=False)
    price = forms.CharField(required=False)
    amount = forms.CharField(
        required=False,
        help_text="Positive; for a buy or sell the gross value (blank: quantity × price).",
    )
    fees = forms.CharField(required=False)
    currency = forms.CharField(required=False, max_length=3)
    ratio = forms.CharField(required=False, help_text="SPLIT only, new:old, e.g. 2:1")
    to_account = forms.ChoiceField(required=False, label="To account")
    lots = forms.CharField(
        required=False, help_text="SELL only: ID or ID:QTY of the opening buys, ';'-separated"
    )
    income_class = forms.ChoiceField(
        required=False, choices=[("", "—"), *Transaction.IncomeClass.choices]
    )
    # Free text is kept as typed (a leading tab or space is part of it).
    memo = forms.CharField(required=False, max_length=500, strip=False)

    def __init__(self, *args, household: Household, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = _account_choices(household, blank="—")[1:]
        self.fields["to_account"].choices = _account_choices(household, blank="—")


class ImportUploadForm(forms.Form):
    """A transactions file, its format (recognised by default) and the account it fills."""

    file = forms.FileField(help_text=f"Up to {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    format = forms.ChoiceField(
        required=False,
        choices=[("", "Recognise automatically"), *((f, FORMAT_LABELS[f]) for f in FORMATS)],
    )
    account = forms.ChoiceField(
        required=False,
        help_text=(
            "Broker files name their accounts by number; choose one only to put a file of "
            "one account into it."
        ),
    )
    create_accounts = forms.BooleanField(
        required=False,
        label="Create missing accounts",
        help_text="Accounts the file names that this household does not have yet are "
        "created (listed for review).",
    )
    open_missing = forms.BooleanField(
        required=False,
        label="Open missing positions",
        help_text="Shares the file sells that were bought before it starts are opened with "
        "unknown cost basis, flagged for review, instead of refusing the file.",
    )

    def __init__(self, *args, household: Household, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.household = household
        self.fields["account"].choices = _account_choices(household, blank="Named in the file")
        for name in ("file", "format", "account"):
            self.fields[name].widget.attrs["style"] = "max-width:100%"

    def chosen_account(self) -> Account | None:
        name = self.cleaned_data.get("account")
        if not name:
            return None
        return Account.objects.filter(household=self.household, name=name).first()
