"""Reads for the first-run checklist: how far a household has come in setting itself up."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from portfolios.models import (
    Account,
    ApiToken,
    Household,
    ImportBatch,
    Membership,
    Target,
    Transaction,
)
from portfolios.selectors.securities import security_view_list


@dataclass(frozen=True)
class SetupStep:
    """One step of the checklist."""

    key: str
    title: str
    detail: str
    url: str
    done: bool
    optional: bool = False


@dataclass(frozen=True)
class SetupProgress:
    steps: list[SetupStep]

    @property
    def required(self) -> list[SetupStep]:
        return [step for step in self.steps if not step.optional]

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.required)

    @property
    def done_count(self) -> int:
        return sum(1 for step in self.required if step.done)

    @property
    def next_step(self) -> SetupStep | None:
        return next((step for step in self.steps if not step.done), None)


def setup_progress(*, household: Household) -> SetupProgress:
    """Return the checklist: accounts, a broker file, classification, targets and income
    target (required), then members and a spreadsheet token (optional)."""
    accounts = Account.objects.filter(household=household).count()
    imported = (
        ImportBatch.objects.filter(household=household, status=ImportBatch.Status.IMPORTED).exists()
        or Transaction.objects.filter(account__household=household).exists()
    )
    securities = security_view_list(household=household)
    held = securities.count()
    to_review = securities.filter(view_needs_review=True).count()
    has_targets = Target.objects.filter(sleeve__household=household).exists()
    has_income_target = household.monthly_income_target > 0
    members = Membership.objects.filter(household=household).count()
    tokens = ApiToken.objects.filter(household=household).exists()
    classify_detail = (
        f"{to_review} of {held} securities still need an asset class."
        if to_review
        else "Tell Hearth what each security is, so allocation and income add up."
    )
    steps = [
        SetupStep(
            "accounts",
            "Create your accounts",
            f"{accounts} account{'s' if accounts != 1 else ''} so far."
            if accounts
            else "Brokerage, IRAs, 401(k)s, HSA and cash: one for each you hold.",
            reverse("settings-accounts"),
            accounts > 0,
        ),
        SetupStep(
            "import",
            "Import a broker file",
            "Transactions from a CSV or OFX export of your broker.",
            reverse("import-upload"),
            imported,
        ),
        SetupStep(
            "classify",
            "Classify your securities",
            classify_detail,
            reverse("settings-securities"),
            imported and held > 0 and to_review == 0,
        ),
        SetupStep(
            "targets",
            "Set your targets and income goal",
            "Sleeves, asset-class targets with bands, and the monthly income you aim for.",
            reverse("settings-targets"),
            has_targets and has_income_target,
        ),
        SetupStep(
            "members",
            "Invite your household",
            "A spouse as member, an adviser or adult child as viewer.",
            reverse("settings-members"),
            members > 1,
            optional=True,
        ),
        SetupStep(
            "token",
            "Connect a spreadsheet",
            "A read-only token for Google Sheets or Excel.",
            reverse("settings-tokens"),
            tokens,
            optional=True,
        ),
    ]
    return SetupProgress(steps)
