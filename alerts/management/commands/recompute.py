"""manage.py recompute [--household NAME]: the worker's chain, now, in this process."""

import time

from django.core.management.base import BaseCommand, CommandError

from alerts.services.recompute import pending_recompute_run
from portfolios.models import Household


class Command(BaseCommand):
    help = (
        "Rebuild the ledger, valuations and projections and evaluate the alert rules now, "
        "in this process (what the worker does after every change)."
    )
    # The command is the hot path of a large import; the checks cost about a second and
    # ``manage.py check`` (and every other command) still runs them.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--household", help="household name (default: every household)")
        parser.add_argument(
            "--full",
            action="store_true",
            help="rebuild everything from the first transaction, changed or not",
        )

    def handle(self, *args, **options):
        households = Household.objects.order_by("name")
        if options["household"]:
            households = households.filter(name=options["household"])
            if not households.exists():
                raise CommandError(f"no household named {options['household']!r}")
        failures = []
        for household in households:
            started = time.perf_counter()
            summary = pending_recompute_run(
                household_id=household.pk, full=options["full"], when_none_pending=True
            )
            if "error" in summary:
                failures.append(f"{household.name}: {summary['error']}")
                continue
            ledger = summary["ledger"]
            self.stdout.write(
                f"{household.name}: {ledger['transactions']} transactions, "
                f"{ledger['open_lots']} open lots, {ledger['reliefs']} reliefs "
                f"in {time.perf_counter() - started:.2f} s"
            )
            if options["verbosity"] > 1:
                steps = summary["seconds"].items()
                self.stdout.write("  " + ", ".join(f"{name} {sec:.2f} s" for name, sec in steps))
        if failures:
            raise CommandError("; ".join(failures))
