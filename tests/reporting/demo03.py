"""Load Portfolio Performance's demo portfolio 03 (shared/reference) into a household."""

from pathlib import Path

import pytest

from portfolios.models import Household, Security
from portfolios.services.households import account_create, household_create
from portfolios.services.imports import prices_import
from portfolios.services.imports.transactions import transactions_import


def reference_dir() -> Path:
    """Return shared/reference/pp-demo-portfolio-03, searched upwards from this file."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "reference" / "pp-demo-portfolio-03"
        if candidate.is_dir():
            return candidate
    pytest.skip("shared/reference/pp-demo-portfolio-03 not found above the tests")


def demo03_household(*, owner_username: str = "pp-demo") -> Household:
    """Create household and account `Demo03` in EUR and import the reference files.

    Prices go through the import service (as `manage.py import_prices`), transactions
    through the Hearth CSV import; both securities are quoted in EUR, like the account.
    """
    folder = reference_dir()
    household = household_create(name="Demo03", owner_username=owner_username, currency="EUR")
    account_create(household=household, name="Demo03", type="taxable", currency="EUR")
    prices = prices_import(content=(folder / "prices.csv").read_bytes())
    assert prices.ok, prices.errors
    Security.objects.filter(symbol__in=["SHARE1", "SHARE2"]).update(currency="EUR")
    imported = transactions_import(
        household=household,
        content=(folder / "transactions.csv").read_bytes(),
        filename="transactions.csv",
    )
    assert imported.ok, imported.errors
    assert imported.added == 9
    return household
