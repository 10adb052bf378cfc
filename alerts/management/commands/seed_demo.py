"""manage.py seed_demo [--reset] [--today DATE]: the demo household, in every app."""

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from alerts.services.demo import demo_household_seed
from portfolios.services.demo import DEMO_HOUSEHOLD, DEMO_PASSWORD, DEMO_USERNAME


class Command(BaseCommand):
    help = "Create the demo household (user demo / password demo); demo mode only."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="delete and recreate it")
        parser.add_argument("--today", type=date.fromisoformat, help="pretend today is this date")

    def handle(self, *args, reset: bool, today: date | None, **options):
        if not settings.DEMO_MODE:
            raise CommandError(
                "seed_demo creates a user with the password 'demo'; it runs only in demo mode "
                "(DEBUG or DEMO_MODE=true)"
            )
        result = demo_household_seed(today=today, reset=reset)
        if not result.created:
            self.stdout.write(f"{DEMO_HOUSEHOLD} already exists (use --reset to recreate it)")
        else:
            self.stdout.write(
                f"seeded {DEMO_HOUSEHOLD}: {result.transactions} transactions, "
                f"{result.prices} prices"
            )
        self.stdout.write(f"demo login: {DEMO_USERNAME} / {DEMO_PASSWORD}")
