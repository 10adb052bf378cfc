"""Load Portfolio Performance's demo portfolio 03 (tests/reference) into a household."""

from portfolios.models import Household, Security
from portfolios.services.households import account_create, household_create
from portfolios.services.imports import prices_import
from portfolios.services.imports.transactions import transactions_import
from tests.reference.cases import case_file

CASE = "pp-demo-portfolio-03"


def demo03_household(*, owner_username: str = "pp-demo") -> Household:
    """Create household and account `Demo03` in EUR and import the reference files.

    Prices go through the import service (as `manage.py import_prices`), transactions
    through the Hearth CSV import; both securities are quoted in EUR, like the account.
    """
    household = household_create(name="Demo03", owner_username=owner_username, currency="EUR")
    account_create(household=household, name="Demo03", type="taxable", currency="EUR")
    prices = prices_import(content=case_file(CASE, "prices.csv").read_bytes())
    assert prices.ok, prices.errors
    Security.objects.filter(symbol__in=["SHARE1", "SHARE2"]).update(currency="EUR")
    imported = transactions_import(
        household=household,
        content=case_file(CASE, "transactions.csv").read_bytes(),
        filename="transactions.csv",
    )
    assert imported.ok, imported.errors
    assert imported.added == 9
    return household
