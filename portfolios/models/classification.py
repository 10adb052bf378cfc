from django.db import models

from portfolios.fields import PERCENT
from portfolios.models.base import TimeStampedModel
from portfolios.models.household import Household
from portfolios.models.market import Security


class SecurityProfile(TimeStampedModel):
    """One household's own classification of a security.

    ``Security`` is reference data shared by every household (symbol, exchange, currency,
    prices, bond terms, the provider's name and kind). What a household decides about a
    security (what it calls it, its kind and asset class, sector, costs and dividend habits)
    lives here, so classifying a symbol in one household never changes another's view. A
    household without a profile for a security sees the reference values.
    """

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="security_profiles"
    )
    security = models.ForeignKey(Security, on_delete=models.CASCADE, related_name="profiles")
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Security.Kind.choices)
    asset_class = models.CharField(max_length=20, choices=Security.AssetClass.choices)
    sector = models.CharField(max_length=60, blank=True)
    expense_ratio = models.DecimalField(**PERCENT, null=True, blank=True, help_text="%")
    dividend_frequency = models.CharField(
        max_length=12, choices=Security.Frequency.choices, blank=True, default=""
    )
    qualified_default = models.BooleanField(default=True)
    needs_review = models.BooleanField(default=False)

    class Meta:
        ordering = ["household", "security"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "security"], name="portfolios_securityprofile_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.security} in {self.household}"
