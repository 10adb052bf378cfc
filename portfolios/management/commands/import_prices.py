"""manage.py import_prices FILE: daily closes, ``symbol,date,close``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portfolios.services.imports import MarketDataImportResult, prices_import


def market_data_summary(kind: str, path: str, result: MarketDataImportResult) -> str:
    """Return what a prices or dividends import wrote, for the command's output."""
    lines = [
        f"{Path(path).name}: {result.rows} {kind} for {result.symbols} symbols "
        f"({result.added} added, {result.updated} updated), "
        f"new symbols {len(result.new_symbols)}"
    ]
    if result.new_symbols:
        lines.append("new symbols to review: " + ", ".join(result.new_symbols))
    return "\n".join(lines)


def market_data_rejection(path: str, result: MarketDataImportResult) -> str:
    header = f"{Path(path).name} rejected, nothing imported ({len(result.errors)} problems):"
    return "\n".join([header, *result.errors])


class Command(BaseCommand):
    help = "Import daily closes from a symbol,date,close file, all or nothing."
    # A bulk load's own start-up: the system checks cost about a second and ``manage.py
    # check`` (and every other command) still runs them.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        # Streamed from the file: any size, memory bounded (DESIGN §3).
        result = prices_import(path=options["file"])
        if not result.ok:
            raise CommandError(market_data_rejection(options["file"], result))
        self.stdout.write(market_data_summary("prices", options["file"], result))
