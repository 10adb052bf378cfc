"""Stored income projections, the projections kept at each month's start, and settings.

Projections are derived rows, like valuations: `projections_rebuild` replaces them from the
ledger and market data, never an edit by hand.
"""

from decimal import Decimal

from django.db import models

from income.calculations import IncomeSource, PaymentStatus
from portfolios.fields import MONEY, PERCENT
from portfolios.models import Account, Household, Security, TimeStampedModel

SOURCE_CHOICES = [
    (source.value, source.value.replace("_", " ").capitalize()) for source in IncomeSource
]


class IncomeSettings(TimeStampedModel):
    """A household's income choices: the monthly paycheck, cash interest, option premium.

    Rates are percents, like the household's tax rates (4.5 means 4.5%).
    """

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="income_settings"
    )
    paycheck_account = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The spending account the monthly paycheck is paid from",
    )
    paycheck_amount = models.DecimalField(
        **MONEY, default=Decimal(0), help_text="Monthly paycheck drawn from income and reserve"
    )
    cash_interest_rate = models.DecimalField(
        **PERCENT,
        null=True,
        blank=True,
        help_text="Annual interest on the cash accounts' balances, %; empty projects none",
    )
    include_option_premium = models.BooleanField(
        default=False, help_text="Project option premium from the trailing 12 months' average"
    )
    dividend_cut_threshold = models.DecimalField(
        **PERCENT,
        default=Decimal(10),
        help_text="A dividend per share this % below the previous one is a cut",
    )

    class Meta:
        ordering = ["household"]
        verbose_name_plural = "income settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(paycheck_amount__gte=0)
                & models.Q(dividend_cut_threshold__gte=0)
                & models.Q(dividend_cut_threshold__lte=100),
                name="income_settings_amounts_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"income settings of {self.household}"

    @property
    def cash_rate(self) -> Decimal | None:
        """Return the cash interest rate as a fraction (0.045), None when not set."""
        return self.cash_interest_rate / 100 if self.cash_interest_rate else None

    @property
    def cut_threshold(self) -> Decimal:
        """Return the dividend cut threshold as a fraction (0.10)."""
        return self.dividend_cut_threshold / 100


class ProjectedPayment(models.Model):
    """A payment expected in the projection window (DESIGN §7), derived by the worker."""

    class Status(models.TextChoices):
        DECLARED = PaymentStatus.DECLARED.value, "Declared"
        ESTIMATED = PaymentStatus.ESTIMATED.value, "Estimated"

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="projected_payments"
    )
    month = models.DateField(help_text="First day of the pay date's month")
    pay_date = models.DateField()
    ex_date = models.DateField(null=True, blank=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    security = models.ForeignKey(
        Security, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    symbol = models.CharField(max_length=32, blank=True)
    source = models.CharField(max_length=32, choices=SOURCE_CHOICES)
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=Status.choices)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["pay_date", "account_id", "symbol", "source", "id"]
        indexes = [
            models.Index(fields=["household", "month"], name="income_projected_hh_month"),
        ]

    def __str__(self) -> str:
        return f"{self.pay_date} {self.symbol or self.source} {self.amount} ({self.status})"


class ProjectionState(models.Model):
    """When a household's projection was last rebuilt, and for which day."""

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="projection_state"
    )
    computed_at = models.DateTimeField()
    as_of = models.DateField(help_text="The household-local day the projection starts")
    inputs_fingerprint = models.CharField(
        max_length=200,
        blank=True,
        help_text="The transactions, ledger rebuild and settings the projection was made from",
    )

    class Meta:
        ordering = ["household"]

    def __str__(self) -> str:
        return f"projection of {self.household} as of {self.as_of}"


class ProjectionSnapshot(models.Model):
    """One month's projected income, kept when the month starts (reliability, DESIGN §7).

    `total` is the month's projected income; bond principal is not income and appears only in
    `by_source` (amounts as decimal strings).
    """

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="projection_snapshots"
    )
    month = models.DateField(help_text="First day of the month")
    total = models.DecimalField(**MONEY, default=Decimal(0))
    by_source = models.JSONField(default=dict, blank=True)
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["household", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "month"], name="income_snapshot_unique_month"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="income_snapshot_month_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.month:%Y-%m}: {self.total}"


class ReceivedIncomeMonth(models.Model):
    """Income received in one month by one account from one source, summed from the
    household's income transactions (derived, like the projection: rebuilt, never edited).

    Return of capital is kept too (its own source); readers leave out what is not income.
    Tax withheld is not kept: the pages that show it read the payments themselves.
    """

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the month the payments were received")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=32, choices=SOURCE_CHOICES)
    amount = models.DecimalField(**MONEY)
    payments = models.PositiveIntegerField(help_text="How many payments the amount sums")

    class Meta:
        ordering = ["household", "month", "account", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "month", "account", "source"],
                name="income_received_month_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="income_received_month_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.month:%Y-%m} {self.source}: {self.amount}"


class ReceivedIncomeState(models.Model):
    """When a household's received income by month was last summed, and from what."""

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="received_income_state"
    )
    computed_at = models.DateTimeField()
    inputs_stamp = models.CharField(
        max_length=200,
        blank=True,
        help_text="The ledger's rebuild and pending marks and the classification summed from",
    )

    class Meta:
        ordering = ["household"]

    def __str__(self) -> str:
        return f"received income of {self.household}"
