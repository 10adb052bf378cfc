"""After-tax estimate of income (US individual, DESIGN §2 "Tax rules")."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from income.calculations.types import IncomeSource, TaxTreatment
from portfolios.fields import quantize_cents

ZERO = Decimal(0)

# Taxed at the long-term capital gains rate: qualified dividends and capital-gain
# distributions (IRS Publication 550, "Qualified Dividends", "Capital Gain Distributions").
QUALIFIED_RATE_SOURCES = frozenset(
    {IncomeSource.QUALIFIED_DIVIDEND, IncomeSource.CAPITAL_GAIN_DISTRIBUTION}
)
# Taxed as ordinary income. Preferred dividends are often qualified, but trust preferreds
# and bank hybrids are not and the source alone cannot tell them apart, so the estimate
# assumes the higher rate. Option premium on expiry is a short-term gain (Publication 550,
# "Options"), taxed at ordinary rates.
ORDINARY_RATE_SOURCES = frozenset(
    {
        IncomeSource.ORDINARY_DIVIDEND,
        IncomeSource.PREFERRED_DIVIDEND,
        IncomeSource.INTEREST,
        IncomeSource.BOND_COUPON,
        IncomeSource.OPTION_PREMIUM,
    }
)
# Return of capital lowers the shares' basis instead of being taxed when received.
UNTAXED_SOURCES = frozenset({IncomeSource.RETURN_OF_CAPITAL})


@dataclass(frozen=True, slots=True)
class AfterTaxIncome:
    """Income before tax, the estimated tax on it, and what is left."""

    gross: Decimal
    tax: Decimal
    net: Decimal


def after_tax_income(
    amount_by_source_and_treatment: Mapping[tuple[str, str], Decimal],
    *,
    federal_rate: Decimal,
    state_rate: Decimal,
    qualified_rate: Decimal,
) -> AfterTaxIncome:
    """Return the tax due on income and the income left after it.

    Keys are (source, tax treatment of the receiving account); rates are fractions (0.24),
    the marginal federal and state rates and the federal qualified-dividend rate.

    1. Tax-deferred and tax-exempt accounts owe nothing now: an IRA's income is taxed (if
       ever) on withdrawal, which is not income from the holdings.
    2. In taxable accounts: qualified dividends and capital-gain distributions at the
       qualified rate plus the state rate; ordinary and preferred dividends, interest, bond
       coupons and option premium at the federal plus the state rate; return of capital
       untaxed.
    3. Tax = sum of amount * rate, rounded to the cent once; net = gross - tax.
    Not modelled: the 3.8% net investment income tax, state exemption of Treasury interest,
    municipal bond exemption; add them to the rates when they apply.
    Bond principal is not income, and an unknown source is an error, not silently untaxed.
    """
    gross = ZERO
    tax = ZERO
    for (source, treatment), amount in amount_by_source_and_treatment.items():
        if source in QUALIFIED_RATE_SOURCES:
            rate = qualified_rate + state_rate
        elif source in ORDINARY_RATE_SOURCES:
            rate = federal_rate + state_rate
        elif source in UNTAXED_SOURCES:
            rate = ZERO
        else:
            raise ValueError(f"no tax rule for income source {source!r}")
        gross += amount
        if TaxTreatment(treatment) == TaxTreatment.TAXABLE:
            tax += amount * rate
    tax = quantize_cents(tax)
    return AfterTaxIncome(gross, tax, gross - tax)
