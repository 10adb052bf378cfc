"""Derived ledger rows: rebuilt from transactions by the lot engine, never edited by hand."""

from decimal import Decimal

from django.db import models

from portfolios.fields import MONEY, QUANTITY
from portfolios.models.household import Account, Household
from portfolios.models.ledger import Transaction
from portfolios.models.market import Security


class TaxLot(models.Model):
    """An open lot: shares of one security in one account with their remaining basis."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="lots")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="lots")
    security = models.ForeignKey(Security, on_delete=models.PROTECT, related_name="lots")
    lot_key = models.CharField(max_length=80, help_text="Engine's stable lot id")
    opening_transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, related_name="opened_lots"
    )
    acquired = models.DateField()
    holding_period_start = models.DateField()
    quantity_original = models.DecimalField(**QUANTITY)
    quantity = models.DecimalField(**QUANTITY)
    cost_original = models.DecimalField(**MONEY)
    cost_basis = models.DecimalField(**MONEY)
    wash_sale_adjustment = models.DecimalField(**MONEY, default=Decimal(0))
    # Opened by an OPENING row of unknown basis: ``cost_basis`` is 0 and means "unknown".
    basis_unknown = models.BooleanField(default=False)

    class Meta:
        ordering = ["account", "security", "acquired", "lot_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "lot_key"], name="portfolios_taxlot_unique_key"
            )
        ]
        indexes = [
            models.Index(fields=["household", "security"], name="portfolios_lot_hh_security"),
        ]

    def __str__(self) -> str:
        return f"{self.security} {self.quantity} @ {self.account} ({self.acquired})"


class LotRelief(models.Model):
    """The part of a lot closed by a sale: one row of Form 8949."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="reliefs")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="reliefs")
    security = models.ForeignKey(Security, on_delete=models.PROTECT, related_name="reliefs")
    lot_key = models.CharField(max_length=80)
    opening_transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="+")
    sale_transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, related_name="reliefs"
    )
    sequence = models.PositiveIntegerField(help_text="Order among the reliefs of its sale")
    acquired = models.DateField()
    holding_period_start = models.DateField()
    sold = models.DateField()
    quantity = models.DecimalField(**QUANTITY)
    proceeds = models.DecimalField(**MONEY)
    cost_basis = models.DecimalField(**MONEY)
    gain = models.DecimalField(**MONEY)
    wash_sale_disallowed = models.DecimalField(**MONEY, default=Decimal(0))
    term = models.CharField(max_length=5, choices=[("short", "Short"), ("long", "Long")])
    code = models.CharField(max_length=2, blank=True)
    # Relieved from a lot of unknown basis: ``cost_basis`` and ``gain`` are not meaningful.
    basis_unknown = models.BooleanField(default=False)

    class Meta:
        ordering = ["sold", "sale_transaction", "sequence"]
        indexes = [models.Index(fields=["household", "sold"], name="portfolios_relief_hh_sold")]

    def __str__(self) -> str:
        return f"{self.security} {self.quantity} sold {self.sold}: {self.gain}"

    @property
    def taxable_gain(self) -> Decimal:
        """Form 8949 column (h): gain plus the disallowed wash-sale loss."""
        return self.gain + self.wash_sale_disallowed


class LedgerStateQuerySet(models.QuerySet):
    def current(self) -> "LedgerStateQuerySet":
        """The states whose stored rows and figures are current: no change marked since the
        last rebuild (``dirty_from``) and that rebuild did not fail."""
        return self.filter(dirty_from__isnull=True, error="")


class LedgerState(models.Model):
    """When a household's derived rows were last rebuilt, and from which date."""

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="ledger_state"
    )
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    dirty_from = models.DateField(
        null=True, blank=True, help_text="Earliest changed trade date not yet rebuilt"
    )
    error = models.TextField(blank=True)
    # What the stored rows were derived from, so a rebuild replays only what changed:
    # {group key: {year: digest of that year's transactions}} and one digest of the
    # accounts' lot methods and tax treatments and the identity groups.
    digests = models.JSONField(default=dict, blank=True, editable=False)
    inputs_digest = models.CharField(max_length=64, blank=True, editable=False)
    # Count, highest id and latest change of the household's transactions at the last
    # rebuild: unchanged, a rebuild without a changed date has nothing to read.
    transactions_digest = models.CharField(max_length=100, blank=True, editable=False)
    # Each account's cash balance when the ledger was last rebuilt, {account id: Decimal
    # text} (text keeps the exact value, scale included): read in place of summing every
    # transaction while nothing is pending (``dirty_from``) and the rebuild did not fail.
    # None: not stored yet.
    cash = models.JSONField(null=True, blank=True, editable=False)

    objects = LedgerStateQuerySet.as_manager()

    class Meta:
        ordering = ["household"]

    def __str__(self) -> str:
        return f"ledger of {self.household}"
