"""What a household tells the rebalancing proposals: when to rebalance, when a loss is worth
harvesting, how much cash each account keeps, and which funds it treats as replacements."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from portfolios.fields import MONEY, PERCENT
from portfolios.models.base import TimeStampedModel
from portfolios.models.household import Account, Household


class RebalancePolicy(TimeStampedModel):
    """When the household wants to rebalance, and which losses are worth harvesting."""

    class Trigger(models.TextChoices):
        THRESHOLD = "threshold", "When an asset class leaves its band"
        CALENDAR = "calendar", "On a calendar"

    class Frequency(models.TextChoices):
        QUARTERLY = "quarterly", "Every quarter"
        SEMIANNUAL = "semiannual", "Twice a year"
        ANNUAL = "annual", "Once a year"

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="rebalance_policy"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.THRESHOLD)
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.QUARTERLY
    )
    start_month = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="Calendar: the month each cycle starts (1 = January)",
    )
    harvest_min_loss = models.DecimalField(
        **MONEY, default=Decimal(500), help_text="Smallest loss worth harvesting, in money"
    )
    harvest_min_loss_pct = models.DecimalField(
        **PERCENT, default=Decimal(5), help_text="Smallest loss worth harvesting, % of cost"
    )

    class Meta:
        ordering = ["household"]
        verbose_name_plural = "rebalance policies"

    def __str__(self) -> str:
        return f"rebalancing of {self.household}"


class AccountTradingRule(TimeStampedModel):
    """Cash an account keeps, and whether a workplace plan may buy funds it does not hold."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="trading_rule")
    cash_floor = models.DecimalField(
        **MONEY, default=Decimal(0), help_text="Cash a proposal never spends in this account"
    )
    buy_outside_holdings = models.BooleanField(
        default=False,
        help_text="A 401(k) or 403(b) may buy funds it does not hold yet (its plan offers them)",
    )

    class Meta:
        ordering = ["account"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cash_floor__gte=0), name="portfolios_tradingrule_floor_positive"
            )
        ]

    def __str__(self) -> str:
        return f"trading rule of {self.account}"


class Replacement(TimeStampedModel):
    """A fund the household does not consider substantially identical to another: what a
    tax-loss harvest may buy instead."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="replacements")
    symbol = models.CharField(max_length=32)
    replacement = models.CharField(max_length=32)

    class Meta:
        ordering = ["household", "symbol"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "symbol"], name="portfolios_replacement_unique_symbol"
            )
        ]

    def __str__(self) -> str:
        return f"{self.symbol} → {self.replacement}"
