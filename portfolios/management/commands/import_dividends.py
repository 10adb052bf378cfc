"""manage.py import_dividends FILE: dividend events, ``symbol,ex_date,pay_date,amount``."""

from django.core.management.base import BaseCommand, CommandError

from portfolios.management.commands.import_prices import (
    market_data_rejection,
    market_data_summary,
)
from portfolios.services.imports import dividends_import


class Command(BaseCommand):
    help = "Import dividend events (amount per share) from a file, all or nothing."
    # A bulk load's own start-up: the system checks cost about a second and ``manage.py
    # check`` (and every other command) still runs them.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        # Streamed from the file: any size, memory bounded (DESIGN §3).
        result = dividends_import(path=options["file"])
        if not result.ok:
            raise CommandError(market_data_rejection(options["file"], result))
        self.stdout.write(market_data_summary("dividends", options["file"], result))
