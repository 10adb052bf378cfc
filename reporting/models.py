"""Stored results of the performance engine, and the benchmarks a household compares with."""

from django.db import models

from portfolios.models import Household, Security, TimeStampedModel


class ValuationSeries(TimeStampedModel):
    """A scope's daily valuation and TWR index, packed as one blob (one row per scope).

    Written only by ``reporting.services.valuations.valuations_rebuild``; pages and the API
    read it and never compute a valuation on a request. ``history`` and ``values`` are the
    two parts packed by ``reporting.calculations.daily_series``: money in int64
    ten-thousandths, no floats.
    """

    class Scope(models.TextChoices):
        HOUSEHOLD = "household", "Household"
        ACCOUNT = "account", "Account"
        SLEEVE = "sleeve", "Sleeve"

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="valuation_series"
    )
    scope = models.CharField(max_length=10, choices=Scope.choices)
    scope_key = models.CharField(
        max_length=32, blank=True, help_text="Account or sleeve id; blank for the household"
    )
    label = models.CharField(max_length=120)
    start_date = models.DateField(help_text="First day of the arrays")
    end_date = models.DateField(help_text="Last day of the arrays")
    first_date = models.DateField(help_text="Base day of the scope's history (value 0 before)")
    values = models.BinaryField(editable=False, help_text="Recent days, from the checkpoint")
    history = models.BinaryField(
        editable=False, default=b"", help_text="Days before the checkpoint (rarely rewritten)"
    )
    meta = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["household", "scope", "label"]
        verbose_name_plural = "valuation series"
        constraints = [
            models.UniqueConstraint(
                fields=["household", "scope", "scope_key"], name="reporting_series_unique_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.household}: {self.scope} {self.label} ({self.start_date}..{self.end_date})"


class ValuationCheckpoint(TimeStampedModel):
    """The replayed ledger (cash, positions, open lots) before ``day``, kept with the series.

    The next rebuild from a date on or after ``day`` starts here instead of replaying every
    transaction since the first. ``state`` is ``reporting.calculations.replay.ReplayState``
    packed as numpy arrays.
    """

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="valuation_checkpoint"
    )
    day = models.DateField()
    state = models.BinaryField(editable=False)

    class Meta:
        ordering = ["household"]

    def __str__(self) -> str:
        return f"{self.household}: ledger before {self.day}"


class Benchmark(TimeStampedModel):
    """A ticker or a weighted blend (60% VTI + 40% BND) a household compares itself with."""

    class Rebalance(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        DAILY = "daily", "Daily"
        NONE = "none", "Never (buy and hold)"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="benchmarks")
    name = models.CharField(max_length=80)
    components = models.JSONField(
        help_text='List of {"symbol": "VTI", "weight": "0.6"}; weights add up to 1'
    )
    rebalance = models.CharField(
        max_length=10, choices=Rebalance.choices, default=Rebalance.MONTHLY
    )
    is_default = models.BooleanField(default=False, help_text="Shown first on the page")

    class Meta:
        ordering = ["household", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "name"], name="reporting_benchmark_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class StaleSecurity(Security):
    """Securities seen through the stale-price lens in the admin (no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "security with stale prices"
        verbose_name_plural = "securities with stale prices"


class WeeklyReportDelivery(TimeStampedModel):
    """One member's weekly income email for one week: claimed, then sent once.

    ``claimed_at`` is set by a conditional UPDATE before sending and cleared when the send
    fails (``attempts`` and ``last_error`` record it); ``sent_at`` marks it delivered.
    """

    membership = models.ForeignKey(
        "portfolios.Membership", on_delete=models.CASCADE, related_name="weekly_reports"
    )
    week_ending = models.DateField(help_text="The Sunday that ends the Monday-to-Sunday week")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="A sender is on it")
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-week_ending", "membership"]
        constraints = [
            # Sending twice for one week sends nothing new, even if the code were wrong.
            models.UniqueConstraint(
                fields=["membership", "week_ending"], name="reporting_weekly_report_once"
            )
        ]

    def __str__(self) -> str:
        return f"weekly report for {self.membership} ending {self.week_ending}"
