from django.core.management.base import BaseCommand, CommandError

from alerts.services import alerts_evaluate
from portfolios.models import Household


class Command(BaseCommand):
    help = "Evaluate alert rules now (what the beat schedule runs)."

    def add_arguments(self, parser):
        parser.add_argument("--household", help="only this household")

    def handle(self, *args, household: str | None, **options):
        households = Household.objects.all()
        if household:
            households = households.filter(name=household)
            if not households.exists():
                raise CommandError(f"no household named {household!r}")
        for each in households:
            result = alerts_evaluate(household=each)
            self.stdout.write(
                f"{each.name}: {len(result.opened)} opened, {result.ongoing} ongoing, "
                f"{result.resolved} resolved, {result.emailed} emailed"
            )
            for episode in result.opened:
                self.stdout.write(f"  new: {episode.message}")
