"""OFX tags and transaction codes, and how bank-side transaction types map onto Hearth's."""

from decimal import Decimal

BUY_TAGS = frozenset({"BUYSTOCK", "BUYMF", "BUYOTHER", "BUYDEBT"})
SELL_TAGS = frozenset({"SELLSTOCK", "SELLMF", "SELLOTHER", "SELLDEBT"})
SECINFO_PARENTS = ("STOCKINFO", "MFINFO", "DEBTINFO", "OPTINFO", "OTHERINFO")
INCOME_TYPES = {
    "DIV": ("DIVIDEND", None),
    "CGLONG": ("DIVIDEND", "capital_gain"),
    "CGSHORT": ("DIVIDEND", "capital_gain"),
    "MISC": ("DIVIDEND", "ordinary"),
    "INTEREST": ("INTEREST", None),
}
REINVEST_CLASSES = {"CGLONG": "capital_gain", "CGSHORT": "capital_gain", "MISC": "ordinary"}


class TransactionProblem(Exception):
    """Raised while reading one transaction; becomes a RowError for it."""

    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def bank_type(kind: str, amount: Decimal) -> str:
    if kind == "OTHER" or not kind:
        raise TransactionProblem(
            "TRNTYPE",
            f"'{kind or 'blank'}' does not say what the transaction is; enter it by hand",
        )
    if kind == "INT":
        return "INTEREST" if amount > 0 else "FEE"
    if kind == "DIV":
        if amount < 0:
            raise TransactionProblem("TRNAMT", "a negative dividend cannot be imported")
        return "INTEREST"
    if kind in {"FEE", "SRVCHG"}:
        if amount > 0:
            raise TransactionProblem("TRNAMT", "a refunded fee has no Hearth type")
        return "FEE"
    return "DEPOSIT" if amount > 0 else "WITHDRAWAL"
