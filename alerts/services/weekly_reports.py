"""Send the weekly income e-mail: once per member and week, whatever runs twice or fails.

1. ``income_report_deliveries_prepare`` picks each household's week (the one due at
   Monday 07:00 household time, a chosen one, or the last completed one) and creates one
   delivery row per opted-in member with an address (unique on member and week).
2. ``income_report_deliver`` claims a row with a conditional UPDATE, brings the household's
   facts and alerts up to date, renders and sends; on SMTP trouble it releases the claim,
   records the attempt and raises ``ReportSendFailed`` so the caller retries with backoff.
"""

import logging
import smtplib
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from alerts.calculations.money_text import money_text
from alerts.charts import income_chart_png
from alerts.selectors.weekly_report import WeeklyIncomeReport, weekly_income_report
from alerts.services.evaluation import alerts_evaluate
from portfolios.models import Household, Membership
from portfolios.selectors.as_of import household_today
from reporting.calculations.report_weeks import last_completed_week_ending, report_due
from reporting.models import WeeklyReportDelivery

logger = logging.getLogger(__name__)
CLAIM_TIMEOUT = timedelta(minutes=15)
CHART_CID = "income-chart"


class ReportSendFailed(Exception):
    """The mail server refused or could not be reached; worth another try later."""


@dataclass
class ReportRun:
    sent: int = 0
    already_sent: int = 0
    failed: list[str] = field(default_factory=list)


def income_report_deliveries_prepare(
    *, week_ending: date | None = None, now: datetime | None = None, only_due: bool = False
) -> list[WeeklyReportDelivery]:
    """Return the delivery rows of the week for every opted-in member with an address.

    The week: ``week_ending`` if given; otherwise per household the one ``report_due``
    names at ``now`` (``only_due``, the hourly beat job) or the last completed week in its
    time zone.
    """
    now = now or timezone.now()
    deliveries = []
    for household in Household.objects.all():
        week = week_ending or _week_for(household, now, only_due=only_due)
        if week is None:
            continue
        members = (
            Membership.objects.filter(household=household, weekly_report=True)
            .exclude(user__email="")
            .select_related("user", "household")
        )
        for membership in members:
            delivery, _ = WeeklyReportDelivery.objects.get_or_create(
                membership=membership, week_ending=week
            )
            delivery.membership = membership
            deliveries.append(delivery)
    return deliveries


def _week_for(household: Household, now: datetime, *, only_due: bool) -> date | None:
    if only_due:
        return report_due(now=now, time_zone=household.time_zone)
    return last_completed_week_ending(household_today(household, now=now))


def income_report_deliver(
    *,
    delivery: WeeklyReportDelivery,
    now: datetime | None = None,
    reports: dict | None = None,
) -> bool:
    """Send one member's report for one week; return False when it was sent (or is being
    sent) already. ``reports`` caches the composed report per household and week.

    1. Claim: a conditional UPDATE on a row not sent and not claimed (or claimed longer
       than ``CLAIM_TIMEOUT`` ago by a sender that died); losing the race sends nothing.
    2. Before composing, the household's ledger, valuations, projection and alerts are
       brought up to date (``alerts_evaluate`` recomputes what is stale).
    3. Send; on success stamp ``sent_at``; on SMTP trouble release the claim, record the
       attempt and raise ``ReportSendFailed``.
    """
    now = now or timezone.now()
    claimed = (
        WeeklyReportDelivery.objects.filter(pk=delivery.pk, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    )
    if claimed != 1:
        return False
    membership = (
        Membership.objects.select_related("user", "household").filter(pk=delivery.membership_id)
    ).get()
    household = membership.household
    key = (household.pk, delivery.week_ending)
    reports = reports if reports is not None else {}
    if key not in reports:
        try:
            alerts_evaluate(household=household)
            report = weekly_income_report(household=household, week_ending=delivery.week_ending)
            chart = income_chart_png(
                report.chart, target=report.monthly_target, currency_symbol=report.currency_symbol
            )
        except Exception:
            # Not sent: release the claim at once rather than after CLAIM_TIMEOUT.
            WeeklyReportDelivery.objects.filter(pk=delivery.pk).update(claimed_at=None)
            raise
        reports[key] = (report, chart)
    report, chart = reports[key]
    try:
        _send(report, chart, membership.user.email)
    except (smtplib.SMTPException, OSError) as exc:
        WeeklyReportDelivery.objects.filter(pk=delivery.pk).update(
            claimed_at=None, last_error=str(exc)[:300], updated_at=timezone.now()
        )
        logger.warning("weekly report to %s failed: %s", membership.user.email, exc)
        raise ReportSendFailed(f"{membership.user.email}: {exc}") from exc
    WeeklyReportDelivery.objects.filter(pk=delivery.pk).update(
        sent_at=timezone.now(), last_error="", updated_at=timezone.now()
    )
    return True


def income_reports_send(
    *,
    week_ending: date | None = None,
    now: datetime | None = None,
    only_due: bool = False,
    retries: int | None = None,
    backoff: float | None = None,
) -> ReportRun:
    """Send every report of the week in this process, retrying a failed send ``retries``
    times after ``backoff`` × 2^n seconds (settings INCOME_REPORT_RETRIES and
    INCOME_REPORT_RETRY_BACKOFF); one member's failure never stops the others."""
    retries = settings.INCOME_REPORT_RETRIES if retries is None else retries
    backoff = settings.INCOME_REPORT_RETRY_BACKOFF if backoff is None else backoff
    run = ReportRun()
    reports: dict = {}
    for delivery in income_report_deliveries_prepare(
        week_ending=week_ending, now=now, only_due=only_due
    ):
        for attempt in range(retries + 1):
            try:
                if income_report_deliver(delivery=delivery, reports=reports):
                    run.sent += 1
                else:
                    run.already_sent += 1
                break
            except ReportSendFailed as exc:
                if attempt == retries:
                    run.failed.append(str(exc))
                else:
                    time.sleep(backoff * 2**attempt)
    return run


def _send(report: WeeklyIncomeReport, chart: bytes, address: str) -> None:
    context = {"report": report}
    message = EmailMultiAlternatives(
        subject=(
            f"Hearth weekly income: {money_text(report.received_total, report.currency)} "
            f"received, week ending {report.week_ending:%b} {report.week_ending.day}"
        ),
        body=render_to_string("alerts/email/weekly_income.txt", context),
        to=[address],
    )
    message.attach_alternative(
        render_to_string("alerts/email/weekly_income.html", context), "text/html"
    )
    # The chart travels inside the message (multipart/related), shown by cid:, so no mail
    # client has to fetch an image from the site.
    message.mixed_subtype = "related"
    image = MIMEImage(chart, "png")
    image.add_header("Content-ID", f"<{CHART_CID}>")
    image.add_header("Content-Disposition", "inline", filename="income-by-month.png")
    message.attach(image)
    message.send()
