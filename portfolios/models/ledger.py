from decimal import Decimal

from django.conf import settings
from django.db import models

from portfolios.fields import MONEY, PRICE, QUANTITY, RATE
from portfolios.models.base import TimeStampedModel
from portfolios.models.household import Account, Household, LotMethod
from portfolios.models.market import Security


class ImportBatch(TimeStampedModel):
    """One imported file: what it was, what it added, and every bad row."""

    class Status(models.TextChoices):
        PREVIEW = "preview", "Preview"
        IMPORTED = "imported", "Imported"
        REJECTED = "rejected", "Rejected"

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="imports")
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=16)
    rows_total = models.PositiveIntegerField(default=0)
    rows_added = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    errors = models.JSONField(default=list, blank=True)
    new_symbols = models.JSONField(default=list, blank=True)
    # The choices made at upload, kept so that confirming a preview imports the same way.
    create_accounts = models.BooleanField(default=False)
    open_missing = models.BooleanField(default=False)
    # What the household should review: accounts created, positions opened with unknown
    # basis, and differences between the statement's positions and Hearth's.
    review = models.JSONField(default=dict, blank=True)
    # The uploaded file, kept between preview and confirmation.
    content = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"


class TransactionQuerySet(models.QuerySet):
    """Transactions; a list may carry a count already known (``with_count``), which its
    ``count()`` answers (a paginator's) in place of counting every row. Any further
    filter, order or slice makes a new queryset that counts again."""

    _known_count: int | None = None

    def with_count(self, count: int) -> "TransactionQuerySet":
        """Return this queryset answering ``count()`` with ``count`` (the caller vouches)."""
        clone = self._chain()
        clone._known_count = count
        return clone

    def count(self) -> int:
        if self._known_count is not None and self._result_cache is None:
            return self._known_count
        return super().count()


class Transaction(TimeStampedModel):
    """One ledger event in an account; lots, gains and cash are derived from these."""

    class Type(models.TextChoices):
        BUY = "BUY", "Buy"
        SELL = "SELL", "Sell"
        DIVIDEND = "DIVIDEND", "Dividend"
        REINVEST = "REINVEST", "Reinvested dividend"
        INTEREST = "INTEREST", "Interest"
        OPTION_PREMIUM = "OPTION_PREMIUM", "Option premium"
        FEE = "FEE", "Fee"
        TAX_WITHHELD = "TAX_WITHHELD", "Tax withheld"
        DEPOSIT = "DEPOSIT", "Deposit"
        WITHDRAWAL = "WITHDRAWAL", "Withdrawal"
        TRANSFER = "TRANSFER", "Transfer"
        SPLIT = "SPLIT", "Split"
        RETURN_OF_CAPITAL = "RETURN_OF_CAPITAL", "Return of capital"
        OPENING = "OPENING", "Opening position"

    class IncomeClass(models.TextChoices):
        QUALIFIED = "qualified", "Qualified dividend"
        ORDINARY = "ordinary", "Ordinary dividend"
        RETURN_OF_CAPITAL = "return_of_capital", "Return of capital"
        CAPITAL_GAIN = "capital_gain", "Capital-gain distribution"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="transactions")
    trade_date = models.DateField()
    type = models.CharField(max_length=20, choices=Type.choices)
    security = models.ForeignKey(
        Security, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    price = models.DecimalField(**PRICE, null=True, blank=True)
    amount = models.DecimalField(**MONEY, default=Decimal(0))
    fees = models.DecimalField(**MONEY, default=Decimal(0))
    currency = models.CharField(max_length=3, blank=True)
    fx_rate = models.DecimalField(**RATE, null=True, blank=True)
    income_class = models.CharField(max_length=20, choices=IncomeClass.choices, blank=True)
    split_new = models.DecimalField(**QUANTITY, null=True, blank=True)
    split_old = models.DecimalField(**QUANTITY, null=True, blank=True)
    # RESTRICT, not PROTECT: an account with transfers into it cannot be deleted alone, but
    # deleting the whole household (which cascades to both ends) is allowed.
    to_account = models.ForeignKey(
        Account, on_delete=models.RESTRICT, null=True, blank=True, related_name="transfers_in"
    )
    lot_selection = models.CharField(
        max_length=500, blank=True, help_text="Specific lots: ID or ID:QTY, ';'-separated"
    )
    lot_method = models.CharField(max_length=10, choices=LotMethod.choices, blank=True)
    external_id = models.CharField(max_length=120)
    import_batch = models.ForeignKey(
        ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="transactions"
    )
    memo = models.CharField(max_length=500, blank=True)
    # OPENING rows only: the cost basis is not known (``amount`` is then 0), so the lot's
    # basis, and the gain of any sale from it, show as unknown until someone enters it.
    basis_unknown = models.BooleanField(default=False)

    objects = TransactionQuerySet.as_manager()

    class Meta:
        ordering = ["trade_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_id"], name="portfolios_txn_unique_external_id"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0) & models.Q(fees__gte=0),
                name="portfolios_txn_amounts_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "trade_date"], name="portfolios_txn_acct_date"),
            # Newest first (the ledger pages and the API's first page): read backwards,
            # the first 50 rows are found without sorting every transaction.
            models.Index(fields=["trade_date", "id"], name="portfolios_txn_date_id"),
            # "Any transaction changed since the ledger's last rebuild?" (the income
            # pages): a few index entries per account, not a read of every row.
            models.Index(fields=["account", "updated_at"], name="portfolios_txn_acct_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.trade_date} {self.type} {self.security or ''} {self.amount}"

    @property
    def cash_effect(self) -> Decimal:
        """Return the change in this account's cash (DESIGN §2)."""
        sign = CASH_SIGN.get(self.type)
        if sign is None:  # transfers and splits: see the ledger engine
            return Decimal(0)
        return sign * self.amount - self.fees


# BUY costs amount + fees, SELL brings amount − fees: fees always lower cash.
CASH_SIGN = {
    "BUY": -1,
    "SELL": 1,
    "DIVIDEND": 1,
    "INTEREST": 1,
    "OPTION_PREMIUM": 1,
    "RETURN_OF_CAPITAL": 1,
    "FEE": -1,
    "TAX_WITHHELD": -1,
    "DEPOSIT": 1,
    "WITHDRAWAL": -1,
    "REINVEST": 0,
    "OPENING": 0,
}
