"""manage.py create_household NAME --owner USER [--password P] [--currency USD]

In the top layer because a household starts with the default alert rules too."""

from django.core.management.base import BaseCommand, CommandError

from alerts.services.households import household_setup
from portfolios.models import Household


class Command(BaseCommand):
    help = (
        "Create a household with its owner (the user is created if new), the default "
        "sleeves and the default alert rules."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--owner", required=True, help="username of the owner")
        parser.add_argument("--password", help="set the owner's password")
        parser.add_argument("--currency", default="USD", help="base currency (ISO 4217)")

    def handle(self, *args, name, owner, password, currency, **options):
        if Household.objects.filter(name=name).exists():
            raise CommandError(f"household {name!r} already exists")
        if len(currency) != 3 or not currency.isalpha():
            raise CommandError(f"--currency must be a 3-letter ISO 4217 code, got {currency!r}")
        household = household_setup(
            name=name, owner_username=owner, password=password, currency=currency
        )
        self.stdout.write(
            f"created household {household.name} (id {household.pk}) owned by {owner}"
        )
