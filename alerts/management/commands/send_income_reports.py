from datetime import date

from django.core.management.base import BaseCommand, CommandError

from alerts.services.weekly_reports import income_reports_send


class Command(BaseCommand):
    help = (
        "Send the weekly income report now; sending twice for one week sends nothing new. "
        "Without --week-ending, each household's last completed week (Monday to Sunday). "
        "A failed send is retried with backoff (INCOME_REPORT_RETRIES times)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--week-ending", type=date.fromisoformat, help="the Sunday that ends the week"
        )

    def handle(self, *args, week_ending: date | None, **options):
        if week_ending is not None and week_ending.weekday() != 6:
            raise CommandError(f"--week-ending {week_ending} is a {week_ending:%A}, not a Sunday")
        run = income_reports_send(week_ending=week_ending)
        self.stdout.write(f"sent {run.sent} report(s); {run.already_sent} already sent")
        for failure in run.failed:
            self.stderr.write(f"failed: {failure}")
        if run.failed:
            raise CommandError(f"{len(run.failed)} report(s) could not be sent")
