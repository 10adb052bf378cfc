from celery import shared_task

from alerts.services import alerts_evaluate
from portfolios.models import Household


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
        summary[household.pk] = {"opened": len(result.opened), "resolved": result.resolved}
    return summary
