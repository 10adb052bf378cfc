from decimal import Decimal

from django.conf import settings
from django.db import models

from portfolios.fields import MONEY, PERCENT
from portfolios.models.base import TimeStampedModel


class LotMethod(models.TextChoices):
    FIFO = "fifo", "FIFO"
    LIFO = "lifo", "LIFO"
    HIFO = "hifo", "HIFO"
    SPECIFIC = "specific", "Specific lot"


class HouseholdQuerySet(models.QuerySet["Household"]):
    def for_member(self, user) -> "HouseholdQuerySet":
        """Households the user belongs to, in any role."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(memberships__user=user)


class Household(TimeStampedModel):
    """A family's investment world: its members, accounts and investment policy."""

    name = models.CharField(max_length=120, unique=True)
    base_currency = models.CharField(max_length=3, default="USD")
    time_zone = models.CharField(max_length=64, default="America/New_York")
    # Investment policy
    monthly_income_target = models.DecimalField(**MONEY, default=Decimal(0))
    cash_reserve_months = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(6))
    default_band = models.DecimalField(
        **PERCENT, default=Decimal(5), help_text="Rebalancing band, percentage points"
    )
    max_position_weight = models.DecimalField(
        **PERCENT, default=Decimal(10), help_text="Largest single position, % of household"
    )
    max_expense_ratio = models.DecimalField(
        **PERCENT, default=Decimal("0.5"), help_text="Highest acceptable fund expense ratio, %"
    )
    default_lot_method = models.CharField(
        max_length=10, choices=LotMethod.choices, default=LotMethod.FIFO
    )
    # Tax settings used by after-tax income estimates.
    federal_marginal_rate = models.DecimalField(**PERCENT, default=Decimal(22))
    state_marginal_rate = models.DecimalField(**PERCENT, default=Decimal(5))
    qualified_dividend_rate = models.DecimalField(**PERCENT, default=Decimal(15))
    long_term_rate = models.DecimalField(
        **PERCENT, default=Decimal(15), help_text="Long-term capital-gain rate, %"
    )
    default_benchmark = models.CharField(
        max_length=200,
        blank=True,
        help_text="A ticker (VTI) or a blend (VTI:60,BND:40) the pages compare with",
    )
    min_trade_amount = models.DecimalField(
        **MONEY, default=Decimal(100), help_text="Smallest trade a proposal may contain"
    )

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    """A user's role in a household."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"
        VIEWER = "viewer", "Viewer"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    weekly_report = models.BooleanField(default=True, help_text="Receives the weekly income email")

    class Meta:
        ordering = ["household__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "user"], name="portfolios_membership_unique_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.household}"

    @property
    def can_write(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.MEMBER)

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER


class Sleeve(TimeStampedModel):
    """A core-satellite sleeve of the household with its target weight (percent)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="sleeves")
    name = models.CharField(max_length=60)
    target_weight = models.DecimalField(**PERCENT, default=Decimal(0))

    class Meta:
        ordering = ["household", "-target_weight", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "name"], name="portfolios_sleeve_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Target(TimeStampedModel):
    """Target weight and band of one asset class within a sleeve."""

    class BandKind(models.TextChoices):
        ABSOLUTE = "absolute", "± percentage points"
        RELATIVE = "relative", "± % of target"

    sleeve = models.ForeignKey(Sleeve, on_delete=models.CASCADE, related_name="targets")
    asset_class = models.CharField(max_length=20)
    target_weight = models.DecimalField(**PERCENT, help_text="% of the sleeve")
    band = models.DecimalField(**PERCENT, null=True, blank=True)
    band_kind = models.CharField(max_length=10, choices=BandKind.choices, default=BandKind.ABSOLUTE)

    class Meta:
        ordering = ["sleeve", "asset_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["sleeve", "asset_class"], name="portfolios_target_unique_asset_class"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sleeve}: {self.asset_class} {self.target_weight}%"


class Account(TimeStampedModel):
    """An investment or cash account held at an institution."""

    class Type(models.TextChoices):
        TAXABLE = "taxable", "Taxable brokerage"
        TRADITIONAL_IRA = "traditional_ira", "Traditional IRA"
        ROTH_IRA = "roth_ira", "Roth IRA"
        K401 = "401k", "401(k)"
        B403 = "403b", "403(b)"
        HSA = "hsa", "HSA"
        PLAN_529 = "529", "529 plan"
        TRUST = "trust", "Trust"
        CASH = "cash", "Cash"

    class TaxTreatment(models.TextChoices):
        TAXABLE = "taxable", "Taxable"
        TAX_DEFERRED = "tax_deferred", "Tax-deferred"
        TAX_EXEMPT = "tax_exempt", "Tax-exempt"

    TAX_TREATMENT_BY_TYPE = {
        Type.TAXABLE: TaxTreatment.TAXABLE,
        Type.TRUST: TaxTreatment.TAXABLE,
        Type.CASH: TaxTreatment.TAXABLE,
        Type.TRADITIONAL_IRA: TaxTreatment.TAX_DEFERRED,
        Type.K401: TaxTreatment.TAX_DEFERRED,
        Type.B403: TaxTreatment.TAX_DEFERRED,
        Type.ROTH_IRA: TaxTreatment.TAX_EXEMPT,
        Type.HSA: TaxTreatment.TAX_EXEMPT,
        Type.PLAN_529: TaxTreatment.TAX_EXEMPT,
    }

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="accounts")
    name = models.CharField(max_length=120)
    institution = models.CharField(max_length=120, blank=True)
    number = models.CharField(max_length=40, blank=True)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.TAXABLE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_accounts",
    )
    currency = models.CharField(max_length=3, default="USD")
    default_sleeve = models.ForeignKey(
        Sleeve, on_delete=models.SET_NULL, null=True, blank=True, related_name="accounts"
    )
    lot_method = models.CharField(max_length=10, choices=LotMethod.choices, default=LotMethod.FIFO)
    closed_on = models.DateField(
        null=True, blank=True, help_text="Closed accounts stay for history, off the dashboard"
    )

    class Meta:
        ordering = ["household", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "name"], name="portfolios_account_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tax_treatment(self) -> str:
        return self.TAX_TREATMENT_BY_TYPE[self.Type(self.type)]

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None

    @property
    def masked_number(self) -> str:
        """Return the account number with all but the last four characters hidden."""
        if not self.number:
            return ""
        return "••••" + self.number[-4:]


class IdentityGroup(TimeStampedModel):
    """Securities a household treats as substantially identical for wash sales."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="identity_groups"
    )
    name = models.CharField(max_length=80)
    securities = models.ManyToManyField("portfolios.Security", related_name="identity_groups")

    class Meta:
        ordering = ["household", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "name"], name="portfolios_identitygroup_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
