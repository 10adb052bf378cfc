from django.db import models

from portfolios.fields import MONEY, PERCENT, PRICE, QUANTITY, RATE
from portfolios.models.base import TimeStampedModel


class Security(TimeStampedModel):
    """A tradable instrument: stock, fund, bond, option, cash equivalent."""

    class Kind(models.TextChoices):
        STOCK = "stock", "Stock"
        ETF = "etf", "ETF"
        MUTUAL_FUND = "mutual_fund", "Mutual fund"
        BOND = "bond", "Bond"
        PREFERRED = "preferred", "Preferred"
        REIT = "reit", "REIT"
        OPTION = "option", "Option"
        CRYPTO = "crypto", "Crypto"
        MONEY_MARKET = "money_market", "Money market"
        CASH = "cash", "Cash"
        UNKNOWN = "unknown", "Unknown (review)"

    class AssetClass(models.TextChoices):
        US_EQUITY = "us_equity", "US equity"
        INTL_EQUITY = "intl_equity", "International equity"
        BONDS = "bonds", "Bonds"
        REAL_ESTATE = "real_estate", "Real estate"
        COMMODITIES = "commodities", "Commodities"
        CASH = "cash", "Cash"
        CRYPTO = "crypto", "Crypto"
        ALTERNATIVES = "alternatives", "Alternatives"
        UNKNOWN = "unknown", "Unknown (review)"

    class Frequency(models.TextChoices):
        NONE = "", "None"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        SEMIANNUAL = "semiannual", "Semi-annual"
        ANNUAL = "annual", "Annual"

    symbol = models.CharField(max_length=32)
    exchange = models.CharField(max_length=16, blank=True, default="")
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.UNKNOWN)
    asset_class = models.CharField(
        max_length=20, choices=AssetClass.choices, default=AssetClass.UNKNOWN
    )
    sector = models.CharField(max_length=60, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    expense_ratio = models.DecimalField(**PERCENT, null=True, blank=True, help_text="%")
    dividend_frequency = models.CharField(
        max_length=12, choices=Frequency.choices, default=Frequency.NONE, blank=True
    )
    qualified_default = models.BooleanField(default=True)
    coupon_rate = models.DecimalField(**RATE, null=True, blank=True, help_text="Annual, fraction")
    face_value = models.DecimalField(**MONEY, null=True, blank=True)
    maturity = models.DateField(null=True, blank=True)
    coupon_frequency = models.PositiveSmallIntegerField(null=True, blank=True)
    needs_review = models.BooleanField(default=False)
    # What the price provider says the instrument is, offered to households classifying it.
    provider_name = models.CharField(max_length=200, blank=True)
    provider_kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    provider_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["symbol", "exchange"]
        verbose_name_plural = "securities"
        constraints = [
            models.UniqueConstraint(
                fields=["symbol", "exchange"], name="portfolios_security_unique_symbol"
            )
        ]

    def __str__(self) -> str:
        return self.symbol


class Price(models.Model):
    """A security's close on one day."""

    # No index of its own: the unique (security, date) constraint's index serves lookups by
    # security, and one index fewer to maintain matters when millions of closes load.
    security = models.ForeignKey(
        Security, on_delete=models.CASCADE, related_name="prices", db_index=False
    )
    date = models.DateField()
    close = models.DecimalField(**PRICE)
    source = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["security", "date"]
        constraints = [
            models.UniqueConstraint(fields=["security", "date"], name="portfolios_price_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.security} {self.date} {self.close}"


class DividendEvent(models.Model):
    """A declared or paid distribution, per share.

    One security may pay several distributions on one ex-date (a fund's dividend and its
    capital-gain distribution): they are told apart by pay date or income class.
    """

    class IncomeClass(models.TextChoices):
        UNSPECIFIED = "", "Unspecified"
        QUALIFIED = "qualified", "Qualified dividend"
        ORDINARY = "ordinary", "Ordinary dividend"
        RETURN_OF_CAPITAL = "return_of_capital", "Return of capital"
        CAPITAL_GAIN = "capital_gain", "Capital-gain distribution"

    security = models.ForeignKey(Security, on_delete=models.CASCADE, related_name="dividends")
    ex_date = models.DateField()
    pay_date = models.DateField()
    amount = models.DecimalField(**PRICE)
    income_class = models.CharField(
        max_length=20, choices=IncomeClass.choices, blank=True, default=""
    )
    source = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["security", "ex_date", "pay_date", "income_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["security", "ex_date", "pay_date", "income_class"],
                name="portfolios_dividend_unique_event",
            )
        ]
        indexes = [
            # Count and latest id of the held securities' events (the projection's
            # freshness check): read from the index alone.
            models.Index(fields=["security", "id"], name="portfolios_dividend_sec_id"),
        ]

    def __str__(self) -> str:
        return f"{self.security} ex {self.ex_date} {self.amount}"


class SplitEvent(models.Model):
    """A split or reverse split: new shares for old shares."""

    security = models.ForeignKey(Security, on_delete=models.CASCADE, related_name="splits")
    date = models.DateField()
    ratio_new = models.DecimalField(**QUANTITY)
    ratio_old = models.DecimalField(**QUANTITY)

    class Meta:
        ordering = ["security", "date"]
        constraints = [
            models.UniqueConstraint(fields=["security", "date"], name="portfolios_split_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.security} {self.ratio_new}:{self.ratio_old} on {self.date}"


class FxRate(models.Model):
    """Units of quote currency per one unit of base currency on a day."""

    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    date = models.DateField()
    rate = models.DecimalField(**RATE)

    class Meta:
        ordering = ["base", "quote", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "quote", "date"], name="portfolios_fxrate_unique_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.base}/{self.quote} {self.date} {self.rate}"
