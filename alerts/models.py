from decimal import Decimal

from django.conf import settings
from django.db import models

from portfolios.fields import PERCENT
from portfolios.models import Household, TimeStampedModel


class AlertRule(TimeStampedModel):
    """A threshold the household wants watched; evaluated on a schedule."""

    class Kind(models.TextChoices):
        POSITION_WEIGHT = "position_weight", "Position above a weight (%)"
        UNREALIZED_LOSS = "unrealized_loss", "Lot with an unrealized loss above (%)"
        STALE_PRICE = "stale_price", "Held security without a new price for (days)"
        DIVIDEND_CUT = "dividend_cut", "Dividend cut by more than (%)"
        INCOME_SHORTFALL = "income_shortfall", "Projected month below the income target by (%)"
        CASH_RESERVE = "cash_reserve", "Cash reserve below (months of target income)"
        DRAWDOWN = "drawdown", "Household drawdown from its peak above (%)"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="alert_rules")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    threshold = models.DecimalField(**PERCENT, default=Decimal(0))
    scope = models.CharField(
        max_length=120, blank=True, help_text="An account name or symbol; blank for everything"
    )
    enabled = models.BooleanField(default=True)
    notify_email = models.BooleanField(default=True)

    class Meta:
        ordering = ["household", "kind", "scope"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "kind", "scope"], name="alerts_rule_unique_kind_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.threshold} {self.scope}".strip()


class AlertEpisode(TimeStampedModel):
    """One stretch of time during which a rule's condition held for one subject."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="episodes")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="alerts")
    subject = models.CharField(max_length=120, help_text="What the alert is about, e.g. a symbol")
    message = models.CharField(max_length=500)
    value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    opened_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            # Deduplication: at most one unresolved episode per rule and subject.
            models.UniqueConstraint(
                fields=["rule", "subject"],
                condition=models.Q(resolved_at__isnull=True),
                name="alerts_episode_one_unresolved",
            )
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def status(self) -> str:
        if self.resolved_at:
            return self.Status.RESOLVED
        if self.acknowledged_at:
            return self.Status.ACKNOWLEDGED
        return self.Status.OPEN
