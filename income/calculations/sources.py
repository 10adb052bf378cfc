"""The income source of a received payment, from its transaction (DESIGN §2 types)."""

from income.calculations.types import PREFERRED_KIND, IncomeSource

BOND_KIND = "bond"
# Transaction types that bring income (or return of capital) into an account.
INCOME_TYPES = ("DIVIDEND", "REINVEST", "INTEREST", "OPTION_PREMIUM", "RETURN_OF_CAPITAL")
# Transaction.IncomeClass values whose source does not follow the security.
CLASS_SOURCES = {
    "return_of_capital": IncomeSource.RETURN_OF_CAPITAL,
    "capital_gain": IncomeSource.CAPITAL_GAIN_DISTRIBUTION,
}
# Not income: shown apart (return of capital lowers basis; principal repays a bond).
NOT_INCOME = frozenset({IncomeSource.RETURN_OF_CAPITAL, IncomeSource.BOND_PRINCIPAL})


def received_source(
    *,
    type: str,
    income_class: str = "",
    kind: str | None = None,
    qualified_default: bool = True,
) -> IncomeSource:
    """Return the source of an income transaction.

    1. RETURN_OF_CAPITAL, and a DIVIDEND or REINVEST classed `return_of_capital`, is return
       of capital; classed `capital_gain` it is a capital-gain distribution.
    2. Other dividends (reinvested ones too): a preferred security's are preferred dividends;
       otherwise the income class decides (`qualified` / `ordinary`), and without one the
       security's qualified-dividend default.
    3. INTEREST on a bond is a bond coupon, any other interest (cash, money market) interest.
    4. OPTION_PREMIUM is option premium.
    """
    if type == "RETURN_OF_CAPITAL":
        return IncomeSource.RETURN_OF_CAPITAL
    if type in ("DIVIDEND", "REINVEST"):
        if income_class in CLASS_SOURCES:
            return CLASS_SOURCES[income_class]
        if kind == PREFERRED_KIND:
            return IncomeSource.PREFERRED_DIVIDEND
        if income_class == "qualified" or (not income_class and qualified_default):
            return IncomeSource.QUALIFIED_DIVIDEND
        return IncomeSource.ORDINARY_DIVIDEND
    if type == "INTEREST":
        return IncomeSource.BOND_COUPON if kind == BOND_KIND else IncomeSource.INTEREST
    if type == "OPTION_PREMIUM":
        return IncomeSource.OPTION_PREMIUM
    raise ValueError(f"{type} is not an income transaction type")
