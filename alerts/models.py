"""Alert rules, the episodes they open, who is told about them, and each member's e-mails."""

from django.conf import settings
from django.db import models

from portfolios.fields import MONEY
from portfolios.models import Household, Membership, TimeStampedModel


class AlertRule(TimeStampedModel):
    """A threshold the household wants watched (DESIGN §8 names the kinds).

    ``threshold`` is read in the kind's unit (``THRESHOLD_UNITS``); None on the kinds that
    follow the household's policy means "the policy's value" (``POLICY_KINDS``).
    """

    class Kind(models.TextChoices):
        ALLOCATION_DRIFT = "allocation_drift", "Allocation drift outside its band"
        POSITION_WEIGHT = "position_weight", "Position above a weight"
        DRAWDOWN = "drawdown", "Drawdown from peak"
        PRICE_MOVE = "price_move", "One-day price move"
        VALUE_LEVEL = "value_level", "Value crossing a level"
        INCOME_SHORTFALL = "income_shortfall", "Income shortfall"
        DIVIDEND_CUT = "dividend_cut", "Dividend cut"
        STALE_PRICE = "stale_price", "Stale price"
        CASH_RESERVE = "cash_reserve", "Cash reserve below the policy"
        HARVESTABLE_LOSS = "harvestable_loss", "Harvestable loss"
        VOLATILITY_SPIKE = "volatility_spike", "Volatility spike"

    class Scope(models.TextChoices):
        HOUSEHOLD = "household", "Household"
        SLEEVE = "sleeve", "Sleeve"
        ACCOUNT = "account", "Account"
        SECURITY = "security", "Security"

    class Direction(models.TextChoices):
        BELOW = "below", "Falls below"
        ABOVE = "above", "Rises above"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="alert_rules")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.HOUSEHOLD)
    scope_name = models.CharField(
        max_length=120,
        blank=True,
        help_text="One sleeve, account or symbol of the scope; blank for every one",
    )
    threshold = models.DecimalField(**MONEY, null=True, blank=True)
    direction = models.CharField(
        max_length=5,
        choices=Direction.choices,
        default=Direction.BELOW,
        help_text="Value crossing a level only: which way counts",
    )
    enabled = models.BooleanField(default=True)
    notify_email = models.BooleanField(
        default=True, help_text="New alerts of this rule go into the members' e-mail digest"
    )

    class Meta:
        ordering = ["household", "kind", "scope", "scope_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "kind", "scope", "scope_name", "direction"],
                name="alerts_rule_unique_kind_scope",
            )
        ]

    def __str__(self) -> str:
        where = self.scope_name or f"every {self.scope}"
        return f"{self.get_kind_display()} ({where}, {self.threshold})"


class AlertEpisode(TimeStampedModel):
    """One stretch of time during which a rule's condition held for one subject.

    Message and value follow the facts while the episode stays unresolved, so what it says
    matches the pages; ``link`` is the page (a path) that shows the figure.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="episodes")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="alerts")
    subject = models.CharField(max_length=120, help_text="What the alert is about, e.g. a symbol")
    message = models.CharField(max_length=500)
    value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    link = models.CharField(max_length=200, blank=True)
    opened_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
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


class AlertNotification(TimeStampedModel):
    """One member to be told of one new episode by e-mail: claimed, then sent once.

    The unique pair makes a second row impossible; ``claimed_at``/``claim_token`` are set by
    a conditional UPDATE, so of two workers only one sends it.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Resolved before it was sent"

    episode = models.ForeignKey(
        AlertEpisode, on_delete=models.CASCADE, related_name="notifications"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="alert_notifications"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "membership"], name="alerts_notification_once"
            )
        ]
        indexes = [
            models.Index(fields=["membership", "outcome"], name="alerts_notification_pending")
        ]

    def __str__(self) -> str:
        return f"{self.episode} to {self.membership} ({self.outcome})"


class EmailPreference(TimeStampedModel):
    """Which alert e-mails one member gets, and the quiet hours (household time) they keep.

    The weekly income report's switch is ``Membership.weekly_report``. With ``quiet_start``
    equal to ``quiet_end``, or either empty, there are no quiet hours.
    """

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="email_preference"
    )
    alert_kinds = models.JSONField(
        default=list, blank=True, help_text="Rule kinds whose new alerts come by e-mail"
    )
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["membership"]

    def __str__(self) -> str:
        return f"e-mail choices of {self.membership}"


class AlertEvaluationState(models.Model):
    """What the household's rules were last evaluated on (see
    ``alerts.selectors.evaluation_inputs``): the recompute chain skips an evaluation whose
    inputs have not moved."""

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="alert_evaluation_state"
    )
    inputs_fingerprint = models.CharField(max_length=400)
    evaluated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"alerts of household {self.household_id} evaluated at {self.evaluated_at}"
