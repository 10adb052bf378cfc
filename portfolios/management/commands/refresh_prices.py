from django.core.management.base import BaseCommand, CommandError

from portfolios.models import Household
from portfolios.providers import PROVIDERS, ProviderError
from portfolios.services.recompute import household_recompute
from reporting.services.market_data import market_data_refresh


class Command(BaseCommand):
    help = (
        "Pull missing closes, FX rates, dividends and splits now, then recompute each "
        "household from its earliest new close (what the after-close beat task does)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--provider", choices=sorted(PROVIDERS), help="default: PRICE_PROVIDER")
        parser.add_argument(
            "--no-recompute", action="store_true", help="only fetch; leave the worker to value"
        )

    def handle(self, *args, provider: str | None, no_recompute: bool, **options):
        try:
            result = market_data_refresh(provider_name=provider)
        except ProviderError as exc:
            raise CommandError(str(exc)) from exc
        prices = result.prices
        self.stdout.write(
            f"{prices.provider}: {prices.written} closes for {prices.symbols} symbols, "
            f"{result.fx_rates} FX rates, {result.dividends} dividends, {result.splits} splits"
        )
        for line in prices.status_lines():
            (self.stderr if ": not refreshed: " in line else self.stdout).write(line)
        for name, reason in sorted(result.failed.items()):
            self.stderr.write(f"{name}: not refreshed: {reason}")
        if not no_recompute:
            for household_id, from_date in sorted(result.recompute_from.items()):
                household = Household.objects.get(pk=household_id)
                household_recompute(household=household, from_date=from_date)
                self.stdout.write(f"recomputed {household.name} from {from_date}")
        if prices.failed and not prices.symbols:
            raise CommandError("no symbol could be refreshed")
