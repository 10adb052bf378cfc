"""Celery tasks of the top layer: thin interfaces over the alert and weekly-report services."""

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerUnavailable

from alerts.services import alert_digests_send_all, alerts_evaluate
from alerts.services.recompute import pending_recompute_run
from alerts.services.weekly_reports import (
    ReportSendFailed,
    income_report_deliver,
    income_report_deliveries_prepare,
)
from portfolios.models import Household
from portfolios.services.recompute import recompute_pending_sweep
from reporting.models import WeeklyReportDelivery

logger = logging.getLogger(__name__)
# What publishing a message raises when the broker cannot be reached.
QUEUE_ERRORS = (BrokerUnavailable, OSError)
QUEUE_RETRIES = 8
QUEUE_RETRY_BACKOFF = 60
QUEUE_RETRY_BACKOFF_MAX = 3600


class ReportsNotQueued(Exception):
    """Some members' weekly reports could not be queued; a retry queues them."""


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


@shared_task(
    bind=True,
    # Idempotent: each member's week is one delivery row, claimed before it is sent, so
    # queuing a member twice sends nothing new; a worker lost mid-run reruns it.
    acks_late=True,
    reject_on_worker_lost=True,
    default_retry_delay=QUEUE_RETRY_BACKOFF,
    max_retries=QUEUE_RETRIES,
)
def send_income_reports_task(self, delivery_ids: list[int] | None = None) -> dict:
    """Queue the weekly income reports due now (Monday 07:00 household time), one task per
    member, so each is retried on its own.

    1. The hourly run prepares the deliveries due now (a week stays due for 48 hours, so
       a run whose messages were lost is made good by the next); a retry takes the ids it
       was given.
    2. Each unsent one is queued; a member whose queuing fails (broker unreachable) is
       logged and kept, and the others are still queued.
    3. The members left are queued again by a retry of this task for them alone, after
       60 s doubling up to an hour, with jitter.
    """
    if delivery_ids is None:
        prepared = income_report_deliveries_prepare(only_due=True)
        pending = [d.pk for d in prepared if d.sent_at is None]
    else:
        pending = list(
            WeeklyReportDelivery.objects.filter(pk__in=delivery_ids, sent_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    queued, left = 0, []
    for delivery_id in pending:
        try:
            send_income_report_task.delay(delivery_id)
        except QUEUE_ERRORS:
            logger.exception("could not queue weekly report delivery %s", delivery_id)
            left.append(delivery_id)
        else:
            queued += 1
    if left:
        countdown = get_exponential_backoff_interval(
            factor=QUEUE_RETRY_BACKOFF,
            retries=self.request.retries,
            maximum=QUEUE_RETRY_BACKOFF_MAX,
            full_jitter=True,
        )
        raise self.retry(
            kwargs={"delivery_ids": left},
            countdown=countdown,
            exc=ReportsNotQueued(f"{len(left)} of {len(pending)} weekly reports not queued"),
        )
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


@shared_task(
    # Idempotent (every step replaces what it derives; the pending row is cleared only at
    # the end), so the message is acknowledged after the run: a worker killed mid-run
    # leaves it to be delivered again. A locked or briefly unreachable database is worth
    # another try; the backoff stays well below the broker's visibility timeout.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def recompute_household_task(household_id: int, from_date: str | None = None) -> dict:
    """Recompute what the household owes (ledger, valuations, projections, alerts).

    ``from_date`` is accepted for messages enqueued before the outbox existed; what is owed
    is read from the pending row.
    """
    return pending_recompute_run(household_id=household_id)


@shared_task
def sweep_pending_recomputes_task() -> list[int]:
    """Enqueue again the recomputes left behind (broker down at commit, lost messages)."""
    return recompute_pending_sweep()
