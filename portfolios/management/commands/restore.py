from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portfolios.services.backups import BackupError, database_restore


class Command(BaseCommand):
    help = (
        "Replace the database's contents with a backup made by `manage.py backup` (same kind "
        "of database). Stop the web app and the worker first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--noinput", "--no-input", action="store_true", help="do not ask for confirmation"
        )

    def handle(self, *args, file: Path, noinput: bool, **options):
        name = connection.settings_dict["NAME"]
        if not noinput:
            answer = input(
                f"This replaces everything in the {connection.vendor} database {name} with "
                f"{file}. Type 'yes' to continue: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("restore cancelled")
        try:
            database_restore(path=file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {name} from {file}")
