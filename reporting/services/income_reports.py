"""Send the weekly income report: once per member and week, whatever runs twice."""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

from portfolios.models import Household, Membership
from reporting.calculations.report_weeks import last_completed_week_ending, report_due
from reporting.models import WeeklyReportDelivery
from reporting.selectors.income_report import weekly_income_report

logger = logging.getLogger(__name__)


@dataclass
class ReportRun:
    sent: int = 0
    already_sent: int = 0
    failed: list[str] = field(default_factory=list)


def income_reports_send(
    *, week_ending: date | None = None, now: datetime | None = None, only_due: bool = False
) -> ReportRun:
    """Send each opted-in member with an email address the report of a week.

    1. The week: week_ending if given; otherwise, per household, the one `report_due` names
       at now (only_due, the hourly beat job) or the last completed week in its time zone.
    2. A delivery row is claimed before sending (unique on member and week, then a
       conditional UPDATE of sent_at), so two runs, or two workers, never send twice.
    3. A failed send releases its claim so the next run tries again; other members go on.
    """
    now = now or timezone.now()
    run = ReportRun()
    for household in Household.objects.all():
        week = week_ending or _week_for(household, now, only_due=only_due)
        if week is None:
            continue
        members = Membership.objects.filter(household=household, weekly_report=True).exclude(
            user__email=""
        )
        report = None
        for membership in members.select_related("user"):
            delivery, _ = WeeklyReportDelivery.objects.get_or_create(
                membership=membership, week_ending=week
            )
            claimed = WeeklyReportDelivery.objects.filter(pk=delivery.pk, sent_at=None).update(
                sent_at=now
            )
            if claimed != 1:
                run.already_sent += 1
                continue
            report = report or weekly_income_report(household=household, week_ending=week)
            try:
                _send(report, membership.user.email)
            except OSError as exc:  # SMTP trouble: release the claim for the next run
                WeeklyReportDelivery.objects.filter(pk=delivery.pk).update(sent_at=None)
                logger.exception("weekly report to %s failed", membership.user.email)
                run.failed.append(f"{membership.user.email}: {exc}")
                continue
            run.sent += 1
    return run


def _week_for(household: Household, now: datetime, *, only_due: bool) -> date | None:
    if only_due:
        return report_due(now=now, time_zone=household.time_zone)
    local_day = timezone.localtime(now, timezone=_zone(household)).date()
    return last_completed_week_ending(local_day)


def _zone(household: Household):
    from zoneinfo import ZoneInfo

    return ZoneInfo(household.time_zone)


def _send(report, address: str) -> None:
    context = {"report": report}
    message = EmailMultiAlternatives(
        subject=(
            f"Hearth weekly income: ${report.received_total:,.2f} received, "
            f"week ending {report.week_ending:%b %-d}"
        ),
        body=render_to_string("reporting/email/weekly_income.txt", context),
        to=[address],
    )
    message.attach_alternative(
        render_to_string("reporting/email/weekly_income.html", context), "text/html"
    )
    message.send()
