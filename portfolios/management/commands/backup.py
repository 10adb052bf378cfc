from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from portfolios.services.backups import BackupError, backup_file_name, database_backup


class Command(BaseCommand):
    help = (
        "Back up the whole database (pg_dump custom format on PostgreSQL, SQLite's online "
        "backup API for the demo) into BACKUP_DIR, or to --output; prints the file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="file to write (must not exist)")
        parser.add_argument("--folder", type=Path, help="folder for a dated file (BACKUP_DIR)")

    def handle(self, *args, output: Path | None, folder: Path | None, **options):
        if output is None:
            name = backup_file_name(vendor=connection.vendor, at=timezone.now())
            output = Path(folder or settings.BACKUP_DIR) / name
        if output.exists():
            raise CommandError(f"{output} exists; choose another file")
        try:
            result = database_backup(path=output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backed up {connection.vendor} database: {result.size:,} bytes")
        self.stdout.write(str(result.path))
