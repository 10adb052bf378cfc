from django.core.management.base import BaseCommand, CommandError

from portfolios.providers import PROVIDERS, ProviderError
from portfolios.services.market_data import prices_refresh


class Command(BaseCommand):
    help = "Pull missing closes now for every held security (what the beat schedule runs)."

    def add_arguments(self, parser):
        parser.add_argument("--provider", choices=sorted(PROVIDERS), help="default: PRICE_PROVIDER")
        parser.add_argument("--symbol", action="append", dest="symbols", help="only this symbol")

    def handle(self, *args, provider: str | None, symbols: list[str] | None, **options):
        try:
            result = prices_refresh(provider_name=provider, symbols=symbols)
        except ProviderError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{result.provider}: {result.written} closes for {result.symbols} symbols"
        )
        for symbol, reason in sorted(result.failed.items()):
            self.stderr.write(f"{symbol}: {reason}")
        if result.failed and not result.symbols:
            raise CommandError("no symbol could be refreshed")
