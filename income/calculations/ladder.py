"""Bond ladder: face value maturing and coupon income per calendar year."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from income.calculations.projection import project_income
from income.calculations.types import HoldingInput, IncomeSource

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LadderYear:
    """One calendar year of the ladder: principal coming back and coupons paid."""

    year: int
    maturing_face_value: Decimal
    coupon_income: Decimal


def bond_ladder(holdings: Sequence[HoldingInput], *, today: date) -> list[LadderYear]:
    """Return each year from today's through the last maturity with its principal and coupons.

    1. Bonds are the holdings with a face value and a maturity on or after `today`.
    2. Their payments from `today` to the last maturity come from the projection's bond rules
       (`project_income`): coupons every 12 / frequency months stepped back from maturity,
       principal = face value * quantity on the maturity date.
    3. Per calendar year: maturing face value = principal paid that year; coupon income =
       coupons paid that year (this year counts only coupons still to come). Years with
       nothing maturing stay in the list, so gaps in the ladder show.
    """
    bonds = [
        holding
        for holding in holdings
        if holding.face_value and holding.maturity and holding.maturity >= today
    ]
    if not bonds:
        return []
    last = max(holding.maturity for holding in bonds if holding.maturity)
    months = (last.year - today.year) * 12 + last.month - today.month + 1
    payments = project_income(today=today, holdings=bonds, dividend_events=[], months=months)
    principal = dict.fromkeys(range(today.year, last.year + 1), ZERO)
    coupons = dict(principal)
    for payment in payments:
        if payment.source == IncomeSource.BOND_PRINCIPAL:
            principal[payment.pay_date.year] += payment.amount
        elif payment.source == IncomeSource.BOND_COUPON:
            coupons[payment.pay_date.year] += payment.amount
    return [LadderYear(year, principal[year], coupons[year]) for year in principal]
