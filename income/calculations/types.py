"""Plain inputs and outputs of the income calculations.

The selectors turn rows into these dataclasses; nothing here knows about the database.
Money and quantities are `Decimal` throughout.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class IncomeSource(StrEnum):
    """Where a payment comes from; it decides how the payment is taxed."""

    QUALIFIED_DIVIDEND = "qualified_dividend"
    ORDINARY_DIVIDEND = "ordinary_dividend"
    PREFERRED_DIVIDEND = "preferred_dividend"
    CAPITAL_GAIN_DISTRIBUTION = "capital_gain_distribution"
    RETURN_OF_CAPITAL = "return_of_capital"
    INTEREST = "interest"
    BOND_COUPON = "bond_coupon"
    OPTION_PREMIUM = "option_premium"
    # Repayment of a bond's face value: shown in the calendar, never counted as income.
    BOND_PRINCIPAL = "bond_principal"


class PaymentStatus(StrEnum):
    """How sure a projected payment is.

    `declared`: announced by the issuer (a dividend event with a future pay date) or fixed by
    contract (a bond's coupons and principal). `estimated`: inferred from past payments or
    from an assumed rate.
    """

    DECLARED = "declared"
    ESTIMATED = "estimated"


class DividendFrequency(StrEnum):
    """How often a security pays dividends (the Security model's `dividend_frequency`)."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"

    @property
    def payments_per_year(self) -> int:
        """Return how many payments a year this frequency implies."""
        return {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}[self.value]


class TaxTreatment(StrEnum):
    """How an account's income is taxed (follows the account type, DESIGN §2)."""

    TAXABLE = "taxable"
    TAX_DEFERRED = "tax_deferred"
    TAX_EXEMPT = "tax_exempt"


PREFERRED_KIND = "preferred"


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldingInput:
    """One security held in one account today, with the security's income terms.

    `acquired` is the first purchase date of the position still held; it decides whether the
    position was held on the ex-date of a dividend already declared. Bond terms: `coupon_rate`
    is an annual fraction (0.05), `face_value` is per bond, `coupon_frequency` is payments a
    year (1, 2, 4 or 12).
    """

    account_id: int
    security_id: int
    symbol: str
    kind: str
    quantity: Decimal
    qualified_default: bool = True
    dividend_frequency: DividendFrequency | None = None
    coupon_rate: Decimal | None = None
    face_value: Decimal | None = None
    maturity: date | None = None
    coupon_frequency: int | None = None
    acquired: date | None = None

    def __post_init__(self) -> None:
        # The Security model stores "no frequency" as an empty string.
        frequency = DividendFrequency(self.dividend_frequency) if self.dividend_frequency else None
        object.__setattr__(self, "dividend_frequency", frequency)


@dataclass(frozen=True, slots=True, kw_only=True)
class DividendEventInput:
    """A dividend of one security: ex-date, pay date and amount per share."""

    security_id: int
    ex_date: date
    pay_date: date
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedIncome:
    """A payment actually received, from the ledger's income transactions.

    `symbol` is empty and `security_id` is None for income without a security (cash interest).
    """

    pay_date: date
    account_id: int
    security_id: int | None
    symbol: str
    source: str
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectedPayment:
    """A payment expected in the projection window.

    `month` is the first day of the pay date's month. `ex_date` is known only for declared
    dividends. Cash interest and option premium have no security: `security_id` is None and
    `symbol` is empty.
    """

    month: date
    pay_date: date
    ex_date: date | None
    account_id: int
    security_id: int | None
    symbol: str
    source: IncomeSource
    amount: Decimal
    status: PaymentStatus
