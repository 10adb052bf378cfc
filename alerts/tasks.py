"""Celery tasks of the top layer: thin interfaces over the alert and weekly-report services."""

from celery import shared_task

from alerts.services import alert_digests_send_all, alerts_evaluate
from alerts.services.weekly_reports import (
    ReportSendFailed,
    income_report_deliver,
    income_report_deliveries_prepare,
)
from portfolios.models import Household
from reporting.models import WeeklyReportDelivery


# Idempotent: episodes are unique per rule and subject, so a rerun opens nothing twice.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=3,
)
def evaluate_alerts_task(household_id: int | None = None) -> dict:
    """Evaluate the rules of one household, or of every household."""
    households = Household.objects.all()
    if household_id is not None:
        households = households.filter(pk=household_id)
    summary = {}
    for household in households:
        result = alerts_evaluate(household=household)
        summary[household.pk] = {
            "opened": len(result.opened),
            "resolved": result.resolved,
            "emailed": result.emailed,
        }
    return summary


@shared_task
def send_alert_digests_task() -> int:
    """Send the alert digests that waited for quiet hours to end."""
    return alert_digests_send_all()


@shared_task
def send_income_reports_task() -> dict:
    """Queue the weekly income reports due now (Monday 07:00 household time), one task per
    member, so each is retried on its own."""
    queued = 0
    for delivery in income_report_deliveries_prepare(only_due=True):
        if delivery.sent_at is None:
            send_income_report_task.delay(delivery.pk)
            queued += 1
    return {"queued": queued}


@shared_task(
    autoretry_for=(ReportSendFailed,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def send_income_report_task(delivery_id: int) -> dict:
    """Send one member's weekly report; SMTP trouble retries with backoff (about 4 hours)."""
    delivery = WeeklyReportDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return {"delivery": delivery_id, "skipped": "no such delivery"}
    return {"delivery": delivery_id, "sent": income_report_deliver(delivery=delivery)}
