"""The recompute outbox: a household whose derived rows wait for the worker."""

from django.db import models

from portfolios.models.household import Household


class PendingRecompute(models.Model):
    """A household's derived rows (lots, valuations, projections, alerts) are behind its
    transactions or market data, from ``from_date`` on.

    Written in the same database transaction as the change that caused it, so a change
    committed is a recompute owed even when the broker is down; the worker deletes the row
    only after the whole chain succeeded, and only if ``version`` is still the one it read
    (a change marked during the run keeps the row). A beat job re-enqueues rows left behind.
    """

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, primary_key=True, related_name="pending_recompute"
    )
    from_date = models.DateField(help_text="Earliest changed day not yet recomputed")
    version = models.PositiveBigIntegerField(default=1, help_text="Bumped by every mark")
    marked_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    failed_version = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The version whose recompute failed on bad data"
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["marked_at"]
        indexes = [models.Index(fields=["marked_at"], name="portfolios_pending_marked")]

    def __str__(self) -> str:
        return f"recompute of {self.household_id} from {self.from_date} (v{self.version})"
