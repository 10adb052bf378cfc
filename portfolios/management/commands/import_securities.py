from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portfolios.errors import ApplicationError
from portfolios.imports import MAX_FILE_BYTES
from portfolios.models import Household
from portfolios.services.classification import CSV_COLUMNS, securities_import


class Command(BaseCommand):
    help = (
        "Classify a household's securities from a CSV ("
        + ",".join(CSV_COLUMNS)
        + "; any order, blank = leave as is). All or nothing; other households' views of "
        "the same symbols are unchanged."
    )
    # A bulk load's own start-up: the system checks cost about a second and ``manage.py
    # check`` (and every other command) still runs them.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--household", required=True)
        parser.add_argument("file")

    def handle(self, *args, **options):
        try:
            household = Household.objects.get(name=options["household"])
        except Household.DoesNotExist:
            raise CommandError(f"no household named {options['household']!r}") from None
        path = Path(options["file"])
        try:
            with path.open("rb") as handle:
                content = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            result = securities_import(household=household, content=content, file_name=path.name)
        except ApplicationError as error:
            for where, problems in error.errors.items():
                for problem in problems:
                    self.stderr.write(f"{path.name}: {where}: {problem}")
            raise CommandError(error.message) from None
        self.stdout.write(result.summary())
