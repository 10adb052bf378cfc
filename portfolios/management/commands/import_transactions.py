"""manage.py import_transactions --household NAME FILE [--format F] [--account ACC]
[--create-accounts] [--open-missing] [--dry-run]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portfolios.imports import FORMATS, MAX_FILE_BYTES
from portfolios.models import Account, Household
from portfolios.services.imports import ImportResult, transactions_import


def read_upload(path: str) -> bytes:
    """Return a file's bytes, reading at most one byte past the size limit (the import
    refuses the file then, without loading all of it)."""
    try:
        with Path(path).open("rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from None


class Command(BaseCommand):
    help = "Import a transactions file into a household, all or nothing (DESIGN §3)."
    # A bulk load's own start-up: the system checks cost about a second and ``manage.py
    # check`` (and every other command) still runs them.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("file", help="Hearth CSV, OFX/QFX, or a broker's CSV export")
        parser.add_argument("--household", required=True, help="household name")
        parser.add_argument("--format", choices=FORMATS, help="default: recognised from the file")
        parser.add_argument(
            "--account",
            help="the account a file of one account goes to (refused when the file names "
            "another account number); by default rows go to the accounts the file names",
        )
        parser.add_argument(
            "--create-accounts",
            action="store_true",
            help="create the accounts the file names that the household lacks",
        )
        parser.add_argument(
            "--open-missing",
            action="store_true",
            help="open, at unknown basis, shares the file sells that Hearth does not know of "
            "(history that starts after they were bought), instead of refusing the file",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and write nothing"
        )

    def handle(self, *args, **options):
        try:
            household = Household.objects.get(name=options["household"])
        except Household.DoesNotExist:
            raise CommandError(f"no household named '{options['household']}'") from None
        account = None
        if options["account"]:
            account = Account.objects.filter(household=household, name=options["account"]).first()
            if account is None:
                raise CommandError(f"no account named '{options['account']}' in {household.name}")
        path = options["file"]
        result = transactions_import(
            household=household,
            content=read_upload(path),
            filename=Path(path).name,
            format=options["format"],
            account=account,
            dry_run=options["dry_run"],
            create_accounts=options["create_accounts"],
            open_missing=options["open_missing"],
        )
        if not result.ok:
            raise CommandError(self._rejection(path, result))
        self.stdout.write(self._summary(path, result))

    @staticmethod
    def _summary(path: str, result: ImportResult) -> str:
        verb = "would add" if result.dry_run else "added"
        lines = [
            f"{Path(path).name} ({result.format}): {verb} {result.added}, "
            f"duplicates {result.duplicates}, skipped {len(result.skipped)}, "
            f"new symbols {len(result.new_symbols)}"
        ]
        created = "would create" if result.dry_run else "created"
        if result.accounts_created:
            lines.append(f"{created} accounts (review them): " + ", ".join(result.accounts_created))
        if result.new_symbols:
            lines.append("new symbols to review: " + ", ".join(result.new_symbols))
        for opening in result.openings:
            lines.append(f"opened at unknown basis (enter the cost basis): {opening}")
        lines.extend(result.notes)
        if result.reconciliation:
            lines.append("the statement's positions differ from Hearth's after the import:")
            lines.extend(
                f"  {item['symbol']} in {item['account']}: statement {item['statement']}, "
                f"Hearth {item['hearth']}" + (f" (as of {item['as_of']})" if item["as_of"] else "")
                for item in result.reconciliation
            )
        lines.extend(f"skipped {reason}" for reason in result.skipped)
        if result.dry_run:
            lines.append("dry run: nothing was written")
        return "\n".join(lines)

    @staticmethod
    def _rejection(path: str, result: ImportResult) -> str:
        header = f"{Path(path).name} rejected, nothing imported ({len(result.errors)} problems):"
        lines = [header, *result.errors]
        if result.opening_csv:
            lines += [
                "",
                "OPENING rows to fill in and import first (Hearth CSV):",
                result.opening_csv,
            ]
        return "\n".join(lines)
