"""Creating a household as the whole product sees it: the ground layer's household with its
owner and sleeves, then the top layer's default alert rules, in one transaction."""

from django.db import transaction

from alerts.services.rules import alert_rules_create_defaults
from portfolios.models import Household
from portfolios.services.households import household_create


@transaction.atomic
def household_setup(
    *, name: str, owner_username: str, password: str | None = None, currency: str = "USD"
) -> Household:
    """Create a household with its owner (the user is created if new), the default sleeves
    and the default alert rules.

    1. ``portfolios.services.households.household_create``: household, owner, sleeves.
    2. ``alert_rules_create_defaults``: the rules every household starts with, editable in
       settings. (A household made some other way, the admin say, gets them at its first
       evaluation.)
    """
    household = household_create(
        name=name, owner_username=owner_username, password=password, currency=currency
    )
    alert_rules_create_defaults(household=household)
    return household
