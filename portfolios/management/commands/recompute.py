import time

from django.core.management.base import BaseCommand, CommandError

from portfolios.models import Household
from portfolios.services.ledger import LedgerRebuildError
from portfolios.services.recompute import household_recompute


class Command(BaseCommand):
    help = (
        "Rebuild the ledger, valuations and projections now, in this process "
        "(what the worker does after every change)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--household", help="household name (default: every household)")

    def handle(self, *args, **options):
        households = Household.objects.order_by("name")
        if options["household"]:
            households = households.filter(name=options["household"])
            if not households.exists():
                raise CommandError(f"no household named {options['household']!r}")
        failures = []
        for household in households:
            started = time.perf_counter()
            try:
                summary = household_recompute(household=household)
            except LedgerRebuildError as exc:
                failures.append(f"{household.name}: {exc.message}")
                continue
            ledger = summary["ledger"]
            self.stdout.write(
                f"{household.name}: {ledger['transactions']} transactions, "
                f"{ledger['open_lots']} open lots, {ledger['reliefs']} reliefs "
                f"in {time.perf_counter() - started:.2f} s"
            )
        if failures:
            raise CommandError("; ".join(failures))
