"""OFX tags and transaction codes, and how bank-side transaction types map onto Hearth's."""

from decimal import Decimal

from portfolios.imports.wording import cash_type_in_text

BUY_TAGS = frozenset({"BUYSTOCK", "BUYMF", "BUYOTHER", "BUYDEBT"})
SELL_TAGS = frozenset({"SELLSTOCK", "SELLMF", "SELLOTHER", "SELLDEBT"})
SECINFO_PARENTS = ("STOCKINFO", "MFINFO", "DEBTINFO", "OPTINFO", "OTHERINFO")
POSITION_TAGS = frozenset({"POSSTOCK", "POSMF", "POSDEBT", "POSOPT", "POSOTHER"})
STATEMENT_TAGS = frozenset({"INVSTMTRS", "STMTRS", "CCSTMTRS"})
INCOME_TYPES = {
    "DIV": ("DIVIDEND", None),
    "CGLONG": ("DIVIDEND", "capital_gain"),
    "CGSHORT": ("DIVIDEND", "capital_gain"),
    "MISC": ("DIVIDEND", "ordinary"),
    "INTEREST": ("INTEREST", None),
}
REINVEST_CLASSES = {"CGLONG": "capital_gain", "CGSHORT": "capital_gain", "MISC": "ordinary"}
BANK_ACCOUNT_TYPES = frozenset({"CHECKING", "SAVINGS", "MONEYMRKT", "CREDITLINE", "CD"})
_INCOMING = frozenset({"CREDIT", "DEP", "DIRECTDEP"})
_OUTGOING = frozenset(
    {"DEBIT", "PAYMENT", "CHECK", "ATM", "POS", "DIRECTDEBIT", "REPEATPMT", "CASH"}
)


class TransactionProblem(Exception):
    """Raised while reading one transaction; becomes a RowError for it."""

    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def bank_type(kind: str, amount: Decimal, description: str) -> str:
    """Return the Hearth type of a bank-side line (STMTTRN) by its TRNTYPE and sign.

    OTHER (and a blank type) says nothing by itself: the line's NAME and MEMO decide
    (``cash_type_in_text``), and a line they do not explain is refused.
    """
    incoming = amount > 0
    if kind in {"OTHER", ""}:
        found = cash_type_in_text(description, incoming=incoming)
        if found is None:
            raise TransactionProblem(
                "TRNTYPE",
                f"'{kind or 'blank'}' does not say what the transaction is, and neither "
                "does its description; enter it by hand in a Hearth CSV",
            )
        return found
    if kind == "INT":
        return "INTEREST" if incoming else "FEE"
    if kind == "DIV":
        if not incoming:
            raise TransactionProblem(
                "TRNAMT", "a negative dividend (a reversal) cannot be imported; enter it by hand"
            )
        return "INTEREST"
    if kind in {"FEE", "SRVCHG"}:
        if incoming:
            found = cash_type_in_text(description, incoming=True)
            if found in {"INTEREST", "DEPOSIT"}:
                return found
            raise TransactionProblem(
                "TRNAMT", "a refunded fee has no Hearth type; enter it by hand in a Hearth CSV"
            )
        return "FEE"
    # A generic credit or debit is a flow, unless its description says it is a tax, a
    # fee or interest (a broker's "FOREIGN TAX WITHHELD" debit is no withdrawal).
    found = cash_type_in_text(description, incoming=incoming)
    if found in {"TAX_WITHHELD", "FEE", "INTEREST"}:
        return found
    return "DEPOSIT" if incoming else "WITHDRAWAL"
