"""Parse OFX / QFX statements: investment, bank and credit-card, v1 SGML and v2 XML.

The markup is read by ``ofx_tree`` (lenient, linear time, no XML parser, so no entity
expansion and no external entities). Rows are read from that tree per transaction, so
one broker quirk fails one transaction, named, not the file; dates keep the statement's
own calendar day (the first eight digits of DTTRADE / DTPOSTED, whatever time and zone
suffix follows). ``line`` is the line of the file where the transaction starts, and every
message also names its FITID, date and memo (many files are one long line).

Accounts: each statement's ACCTID is the number of the account its rows go to
(``FileAccount``); the institution is the FI's ORG or the BROKERID; a 401(k) statement
(INV401K, INV401KSOURCE), a bank statement (STMTRS) and a card statement (CCSTMTRS) say
their account's type. Positions (INVPOSLIST) are kept to reconcile with Hearth's.

Mapping (OFX spec section 13.9.2.4):

1. BUYSTOCK, BUYMF, BUYOTHER, BUYDEBT -> BUY; SELLSTOCK, SELLMF, SELLOTHER, SELLDEBT ->
   SELL. Fees are COMMISSION + FEES + LOAD + TAXES (+ PENALTY on a sale); the gross is
   derived from TOTAL, the net cash, so the cash matches the statement: BUY gross =
   |TOTAL| - fees, SELL gross = TOTAL + fees + WITHHOLDING + STATEWITHHOLDING. A debt
   price quoted per 100 of par is stored per unit. BUYTYPE BUYTOCOVER and SELLTYPE
   SELLSHORT are a short sale and its cover (``broker_rows``). SUBACCTFUND OTHER means
   the money came from, or went to, outside the account (a 401(k) contribution from
   payroll, a distribution): a DEPOSIT or WITHDRAWAL of it goes with the trade.
2. A sale's WITHHOLDING and STATEWITHHOLDING, and an INCOME's WITHHOLDING, become a
   separate TAX_WITHHELD row (FITID + ":withholding").
3. INCOME: DIV -> DIVIDEND (income class left to the security default), CGLONG /
   CGSHORT -> DIVIDEND ``capital_gain``, MISC -> DIVIDEND ``ordinary``, INTEREST ->
   INTEREST. An INCOME with a negative TOTAL that cancels one of the file's own INCOMEs
   (same security and amount) is a reversal: both are skipped; any other is refused.
4. REINVEST -> REINVEST with the same income classes; amount = |TOTAL| - fees.
5. RETOFCAP -> RETURN_OF_CAPITAL; SPLIT -> SPLIT NUMERATOR:DENOMINATOR, or NEWUNITS:
   OLDUNITS when the ratio is missing; MARGININTEREST and INVEXPENSE -> FEE (an expense
   described as tax withheld, e.g. E*TRADE's foreign withholding, -> TAX_WITHHELD).
6. Options: SELLOPT SELLTOOPEN -> OPTION_PREMIUM; SELLTOCLOSE -> SELL; BUYOPT BUYTOOPEN ->
   BUY; BUYTOCLOSE -> buying back a written option; CLOSUREOPT EXPIRE -> an expiry,
   ASSIGN -> skipped (the shares have their own transaction), EXERCISE -> the option's
   basis moves into the shares (RELFITID, or the same day's trade in the underlying).
7. TRANSFER: a move of 0 units is skipped; an IN and an OUT of the same security, day
   and units are a move between a 401(k)'s money sources: both skipped. Shares out
   described as an expense with a price are a SELL and a FEE (a 401(k) paying its fees in
   units). An option leaving the account at no price is an expiry. A move naming the other
   account (INVACCTFROM) is a TRANSFER in kind; shares in from an account it does not name
   are an OPENING (basis from AVGCOSTBASIS when it is unambiguous, else unknown, acquired
   DTPURCHASE when given).
8. INVBANKTRAN and bank STMTTRN by TRNTYPE and sign (``ofx_codes.bank_type``): a credit
   or debit is a DEPOSIT or WITHDRAWAL unless its description says tax, fee or interest;
   OTHER is read from the description and refused when that does not say. A line that
   is a leg of a currency conversion ("CASH TRADE: AUD.USD") is skipped: never a flow.
9. Skipped: JRNLFUND / JRNLSEC (moves between sub-accounts of one account), transactions
   of zero cash. Refused: reversals and corrections of earlier transactions
   (REVERSALFITID, CORRECTFITID).
10. Symbols come from SECLIST (UNIQUEID -> TICKER); without a ticker the CUSIP/ISIN
    itself is the symbol. The currency is the statement's CURDEF unless the transaction
    has its own CURRENCY.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portfolios.imports.broker_rows import (
    OPTION_EXPIRED_WRITTEN,
    WRITTEN_ASSIGNED,
    broker_result,
    per_unit_price,
)
from portfolios.imports.decoding import check_size, decode_text
from portfolios.imports.ofx_codes import (
    BANK_ACCOUNT_TYPES,
    BUY_TAGS,
    INCOME_TYPES,
    POSITION_TAGS,
    REINVEST_CLASSES,
    SECINFO_PARENTS,
    SELL_TAGS,
    STATEMENT_TAGS,
    TransactionProblem,
    bank_type,
)
from portfolios.imports.ofx_tree import ofx_tree
from portfolios.imports.rows import (
    MAX_MEMO_LENGTH,
    MAX_SYMBOL_LENGTH,
    ZERO,
    FileAccount,
    ImportFileError,
    ParsedRow,
    ParseResult,
    RowError,
    SkippedRow,
    StatementPosition,
)
from portfolios.imports.values import ValueProblem, decimal_text, parse_ofx_decimal, shown
from portfolios.imports.wording import cash_type_in_text, institution_name

FORMAT = "ofx"
Outcome = list[ParsedRow] | SkippedRow | RowError
_OFX_DATE = re.compile(r"^\s*(\d{4})-?(\d{2})-?(\d{2})")
_EXPENSE_WORDS = re.compile(r"EXPENSE|FEE|CHARGE", re.IGNORECASE)
# A cash line that is one leg of a currency conversion ("CASH TRADE: AUD.USD").
_CURRENCY_TRADE = re.compile(
    r"CASH TRADE|\b[A-Z]{3}\.[A-Z]{3}\b|FOREX|CURRENCY (CONVERSION|EXCHANGE)|FX TRADE",
    re.IGNORECASE,
)
CONVERSION = "one leg of a currency conversion inside the account: neither a flow nor income"


@dataclass(frozen=True, slots=True)
class SecurityInfo:
    """What the SECLIST says about a security."""

    symbol: str
    name: str | None = None
    is_option: bool = False
    underlying: str | None = None  # an option's underlying UNIQUEID


def parse_ofx(content: bytes) -> ParseResult:
    """Return the rows of an OFX or QFX file (investment, bank or card statements).

    Raises ImportFileError when the file cannot be read or holds no statement.
    """
    check_size(content)
    root = ofx_tree(decode_text(content))
    statements = [element for element in root.iter() if element.tag in STATEMENT_TAGS]
    if not statements:
        raise ImportFileError(_no_statement_message(root))
    institution = institution_name(
        _text(root, ".//FI/ORG"), _text(root, ".//BROKERID"), _text(root, ".//FI/FID")
    )
    securities = _securities(root)

    outcomes: list[ParsedRow | SkippedRow | RowError] = []
    accounts: dict[str, FileAccount] = {}
    positions: list[StatementPosition] = []
    for statement in statements:
        number = (_text(statement, ".//ACCTID") or "").strip()
        currency = (_text(statement, "CURDEF") or "").upper() or None
        accounts.setdefault(
            number,
            FileAccount(
                number=number,
                institution=institution,
                type=_account_type(statement),
                currency=currency,
                label=_text(statement, ".//ACCTTYPE") or "",
            ),
        )
        elements = _transactions(statement)
        context = _Statement(
            number or None, currency, securities, _source_moves(elements, securities)
        )
        for element in elements:
            outcome = _Transaction(element, context).outcome()
            outcomes.extend(outcome if isinstance(outcome, list) else [outcome])
        positions.extend(_positions(statement, number or None, securities))
    outcomes = _cancel_reversals(outcomes)
    outcomes = _mark_exercise_stock(outcomes, context_securities=securities)
    return broker_result(outcomes, FORMAT, accounts=accounts.values(), positions=positions)


def _no_statement_message(root: ET.Element) -> str:
    message = "the OFX file holds no investment, bank or card statement"
    for status in root.iter("STATUS"):
        severity = (_text(status, "SEVERITY") or "").upper()
        said = _text(status, "MESSAGE")
        if severity == "ERROR" or said:
            return f"{message} (the institution's server answered: {shown(said or severity)})"
    return message + "; download the account's activity again, choosing OFX, QFX or Quicken"


def _account_type(statement: ET.Element) -> str | None:
    if statement.tag in {"STMTRS", "CCSTMTRS"}:
        kind = (_text(statement, ".//ACCTTYPE") or "").upper()
        return (
            "cash"
            if statement.tag == "CCSTMTRS" or kind in BANK_ACCOUNT_TYPES or not kind
            else None
        )
    if statement.find(".//INV401K") is not None or statement.find(".//INV401KBAL") is not None:
        return "401k"
    if statement.find(".//INV401KSOURCE") is not None:
        return "401k"
    return None


def _securities(root: ET.Element) -> dict[str, SecurityInfo]:
    """Return UNIQUEID -> what the SECLIST says about it."""
    securities: dict[str, SecurityInfo] = {}
    for parent in SECINFO_PARENTS:
        for info in root.iter(parent):
            secinfo = info.find("SECINFO")
            if secinfo is None:
                continue
            unique_id = _text(secinfo, "SECID/UNIQUEID")
            if not unique_id:
                continue
            ticker = _text(secinfo, "TICKER")
            symbol = " ".join((ticker or unique_id).upper().split())[:MAX_SYMBOL_LENGTH]
            underlying = _text(info, "SECID/UNIQUEID") if parent == "OPTINFO" else None
            securities[unique_id] = SecurityInfo(
                symbol=symbol,
                name=_text(secinfo, "SECNAME"),
                is_option=parent == "OPTINFO",
                underlying=underlying,
            )
    return securities


def _transactions(statement: ET.Element) -> list[ET.Element]:
    tranlist = statement.find("INVTRANLIST")
    if tranlist is None:
        tranlist = statement.find("BANKTRANLIST")
    if tranlist is None:
        return []
    return [child for child in tranlist if child.tag not in {"DTSTART", "DTEND"}]


def _text(element: ET.Element | None, path: str) -> str | None:
    """Return the text at ``path`` under the element, or anywhere below it when an
    aggregate left unclosed swallowed it (``<INVTRAN>`` without ``</INVTRAN>``)."""
    if element is None:
        return None
    value = element.findtext(path)
    if value is None and not path.startswith("."):
        value = element.findtext(".//" + path)
    if value is None:
        return None
    value = value.strip()
    return value or None


def ofx_date(raw: str) -> date:
    """Return the calendar date an OFX date starts with: YYYYMMDD, then anything (time,
    fractions, a zone in brackets); a YYYY-MM-DD written by a lax exporter is read too."""
    match = _OFX_DATE.match(raw)
    if match is None:
        raise ValueProblem(f"must be an OFX date YYYYMMDD..., got '{shown(raw)}'")
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueProblem(f"is not a real date, got '{shown(raw)}'") from None


def _positions(
    statement: ET.Element, number: str | None, securities: dict[str, SecurityInfo]
) -> list[StatementPosition]:
    poslist = statement.find("INVPOSLIST")
    as_of_text = _text(statement, "DTASOF") or _text(statement, "INVTRANLIST/DTEND")
    if poslist is None or as_of_text is None:
        return []
    try:
        as_of = ofx_date(as_of_text)
    except ValueProblem:
        return []
    found = []
    for position in poslist:
        if position.tag not in POSITION_TAGS:
            continue
        invpos = position.find("INVPOS")
        unique_id = _text(invpos, "SECID/UNIQUEID")
        units_text = _text(invpos, "UNITS")
        if invpos is None or unique_id is None or units_text is None:
            continue
        try:
            units = parse_ofx_decimal(units_text)
        except ValueProblem:
            continue
        if (_text(invpos, "POSTYPE") or "").upper() == "SHORT":
            units = -abs(units)
        info = securities.get(unique_id, SecurityInfo(unique_id.upper()[:MAX_SYMBOL_LENGTH]))
        found.append(StatementPosition(number, info.symbol, units, as_of, info.name))
    return found


def _source_moves(elements: list[ET.Element], securities: dict[str, SecurityInfo]) -> set[int]:
    """Return the TRANSFERs that pair up as a move between a 401(k)'s money sources: an
    IN and an OUT of the same security, day and number of units."""
    keyed: dict[tuple, list[ET.Element]] = {}
    for element in elements:
        if element.tag != "TRANSFER":
            continue
        units = (_text(element, "UNITS") or "").lstrip("+-")
        day = (_text(element, "INVTRAN/DTTRADE") or "")[:8]
        security = _text(element, "SECID/UNIQUEID")
        action = (_text(element, "TFERACTION") or "").upper()
        keyed.setdefault((security, day, units.rstrip("0").rstrip(".")), []).append(
            (action, element)
        )
    paired: set[int] = set()
    for group in keyed.values():
        ins = [element for action, element in group if action == "IN"]
        outs = [element for action, element in group if action == "OUT"]
        for one, other in zip(ins, outs, strict=False):
            paired.update({id(one), id(other)})
    return paired


@dataclass
class _Statement:
    account_number: str | None
    currency: str | None
    securities: dict[str, SecurityInfo]
    source_moves: set[int]


class _Transaction:
    """Read one transaction aggregate into Hearth rows."""

    def __init__(self, element: ET.Element, statement: _Statement) -> None:
        self.element = element
        self.tag = element.tag
        self.statement = statement
        self.line = int(element.get("line", "0") or 0)
        # Where the values live: INVBUY / INVSELL inside a buy or sell, STMTTRN inside a
        # bank transaction, else the aggregate itself; FITID and dates are in INVTRAN.
        body = element
        for wrapper in ("INVBUY", "INVSELL", "STMTTRN"):
            found = element.find(wrapper)
            if found is not None:
                body = found
                break
        self.body = body
        invtran = body.find("INVTRAN")
        self.invtran = invtran if invtran is not None else body
        # Every leaf of the transaction by tag, the first of each: tags do not repeat
        # within one transaction, and one pass beats a path search per value.
        self.leaves: dict[str, str] = {}
        for node in element.iter():
            if node.text and not len(node):
                self.leaves.setdefault(node.tag, node.text)
        self.fitid = self.leaf("FITID") or ""

    def leaf(self, path: str) -> str | None:
        """Return the transaction's value of a tag ("SECID/UNIQUEID": its UNIQUEID)."""
        return self.leaves.get(path.rsplit("/", 1)[-1]) or None

    def where(self) -> str:
        """Return how messages name the transaction: FITID, date and memo."""
        parts = []
        if self.fitid:
            parts.append(f"FITID {shown(self.fitid, 40)}")
        raw_date = self.leaf("DTTRADE") or self.leaf("DTPOSTED")
        if raw_date:
            with contextlib.suppress(ValueProblem):
                parts.append(ofx_date(raw_date).isoformat())
        described = self.leaf("MEMO") or self.leaf("NAME")
        if described:
            parts.append(f"'{shown(described, 40)}'")
        return f" ({', '.join(parts)})" if parts else ""

    def outcome(self) -> Outcome:
        handler = _HANDLERS.get(self.tag)
        try:
            if handler is None:
                raise TransactionProblem(None, f"unrecognised OFX transaction <{self.tag}>")
            if not self.fitid:
                raise TransactionProblem("FITID", "is required")
            for tag in ("REVERSALFITID", "CORRECTFITID"):
                if self.leaf(tag):
                    raise TransactionProblem(
                        tag,
                        "reverses or corrects an earlier transaction; Hearth cannot import "
                        "corrections, so correct the original by hand",
                    )
            return handler(self)
        except TransactionProblem as problem:
            return RowError(self.line, problem.column, problem.message + self.where())

    # Values -------------------------------------------------------------------------

    def number(self, tag: str) -> Decimal | None:
        raw = self.leaf(tag)
        if raw is None:
            return None
        try:
            return parse_ofx_decimal(raw)
        except ValueProblem as problem:
            raise TransactionProblem(tag, str(problem)) from None

    def required_number(self, tag: str) -> Decimal:
        value = self.number(tag)
        if value is None:
            raise TransactionProblem(tag, "is required")
        return value

    def day(self, tag: str) -> date:
        raw = self.leaf(tag)
        if raw is None:
            raise TransactionProblem(tag, "is required")
        try:
            return ofx_date(raw)
        except ValueProblem as problem:
            raise TransactionProblem(tag, str(problem)) from None

    def trade_date(self) -> date:
        return self.day("DTTRADE")

    def fee_total(self, *tags: str) -> Decimal:
        return sum((abs(self.number(tag) or ZERO) for tag in tags), ZERO)

    def security(self) -> SecurityInfo:
        unique_id = self.leaf("SECID/UNIQUEID") or self.leaf("SECID/UNIQUEID")
        if unique_id is None:
            raise TransactionProblem("SECID", "is required")
        return self.statement.securities.get(
            unique_id, SecurityInfo(" ".join(unique_id.upper().split())[:MAX_SYMBOL_LENGTH])
        )

    def own_currency(self) -> str | None:
        code = self.leaf("CURRENCY/CURSYM") or self.leaf("ORIGCURRENCY/CURSYM")
        return code.upper() if code else self.statement.currency

    def memo(self, *extra: str | None) -> str:
        parts = [self.leaf("NAME"), self.leaf("MEMO"), *extra]
        return " | ".join(part for part in parts if part)[:MAX_MEMO_LENGTH]

    def row(self, type_: str, amount: Decimal, **fields) -> ParsedRow:
        fields.setdefault("memo", self.memo())
        if "trade_date" not in fields:
            fields["trade_date"] = self.trade_date()
        fields.setdefault("external_id", self.fitid)
        fields.setdefault("account_number", self.statement.account_number)
        return ParsedRow(
            line=self.line,
            type=type_,
            amount=amount,
            currency=self.own_currency(),
            **fields,
        )

    def security_row(self, type_: str, amount: Decimal, **fields) -> ParsedRow:
        info = self.security()
        return self.row(type_, amount, symbol=info.symbol, security_name=info.name, **fields)

    def withholding_rows(self, symbol: str | None, *tags: str) -> list[ParsedRow]:
        withheld = self.fee_total(*tags)
        if withheld == 0:
            return []
        return [
            self.row(
                "TAX_WITHHELD",
                withheld,
                symbol=symbol,
                external_id=f"{self.fitid}:withholding",
                memo=self.memo("tax withheld"),
            )
        ]

    def outside_money(self) -> bool:
        """Return True when the trade's money came from or went outside the account."""
        return (self.leaf("SUBACCTFUND") or self.leaf("SUBACCTFUND") or "").upper() == "OTHER"

    def units(self) -> Decimal:
        units = abs(self.required_number("UNITS"))
        if units == 0:
            raise TransactionProblem("UNITS", "must not be zero")
        return units

    def total_less_fees(self, fees: Decimal) -> Decimal:
        total = abs(self.required_number("TOTAL"))
        if total < fees:
            raise TransactionProblem(
                "TOTAL", f"{total} is less than the fees {fees}, so the trade does not add up"
            )
        return total - fees

    # Handlers -----------------------------------------------------------------------

    def buy(self) -> Outcome:
        units = self.units()
        fees = self.fee_total("COMMISSION", "FEES", "LOAD", "TAXES")
        gross = self.total_less_fees(fees)
        price = per_unit_price(units, abs(self.required_number("UNITPRICE")), gross)
        kind = (self.leaf("BUYTYPE") or "").upper()
        pending = "short_cover" if kind == "BUYTOCOVER" else ""
        row = self.security_row(
            "BUY", gross, quantity=units, price=price, fees=fees, pending=pending
        )
        rows = [row]
        if self.outside_money():
            rows.insert(
                0,
                self.row(
                    "DEPOSIT",
                    gross + fees,
                    external_id=f"{self.fitid}:funded",
                    memo=self.memo("paid in from outside the account"),
                ),
            )
        return rows

    def sell(self) -> Outcome:
        units = self.units()
        fees = self.fee_total("COMMISSION", "FEES", "LOAD", "TAXES", "PENALTY")
        withheld = ("WITHHOLDING", "STATEWITHHOLDING")
        total = abs(self.required_number("TOTAL"))
        gross = total + fees + self.fee_total(*withheld)
        price = per_unit_price(units, abs(self.required_number("UNITPRICE")), gross)
        kind = (self.leaf("SELLTYPE") or "").upper()
        pending = "short_open" if kind == "SELLSHORT" else ""
        row = self.security_row(
            "SELL", gross, quantity=units, price=price, fees=fees, pending=pending
        )
        rows = [row, *self.withholding_rows(row.symbol, *withheld)]
        if self.outside_money() and total:
            rows.append(
                self.row(
                    "WITHDRAWAL",
                    total,
                    external_id=f"{self.fitid}:paid-out",
                    memo=self.memo("paid out of the account"),
                )
            )
        return rows

    def sell_option(self) -> Outcome:
        kind = (self.leaf("OPTSELLTYPE") or "").upper()
        fees = self.fee_total("COMMISSION", "FEES", "LOAD", "TAXES")
        gross = abs(self.required_number("TOTAL")) + fees
        units = abs(self.number("UNITS") or ZERO) or None
        price = self.number("UNITPRICE")
        price = abs(price) if price is not None else None
        if kind == "SELLTOCLOSE":
            if units is None:
                raise TransactionProblem("UNITS", "is required to close an option")
            return [self.security_row("SELL", gross, quantity=units, price=price, fees=fees)]
        return [self.security_row("OPTION_PREMIUM", gross, quantity=units, price=price, fees=fees)]

    def buy_option(self) -> Outcome:
        kind = (self.leaf("OPTBUYTYPE") or "").upper()
        units = self.units()
        fees = self.fee_total("COMMISSION", "FEES", "LOAD", "TAXES")
        gross = self.total_less_fees(fees)
        price = self.number("UNITPRICE")
        price = abs(price) if price is not None else None
        bought = self.security_row("BUY", gross, quantity=units, price=price, fees=fees)
        if kind != "BUYTOCLOSE":
            return [bought]
        closed = dataclasses.replace(
            bought,
            type="SELL",
            amount=ZERO,
            price=ZERO,
            fees=ZERO,
            external_id=f"{self.fitid}:closed",
            memo=("written option bought back | " + bought.memo)[:MAX_MEMO_LENGTH],
        )
        return [bought, closed]

    def income(self) -> Outcome:
        income_type = (self.leaf("INCOMETYPE") or "").upper()
        if income_type not in INCOME_TYPES:
            raise TransactionProblem("INCOMETYPE", f"unknown income type '{shown(income_type)}'")
        type_, income_class = INCOME_TYPES[income_type]
        total = self.required_number("TOTAL")
        if total == 0:
            return SkippedRow(self.line, f"income of zero{self.where()}")
        if total < 0:
            # Settled by _cancel_reversals: cancels a matching INCOME, else refused.
            return [self.security_row(type_, -total, income_class=income_class, pending="reversal")]
        row = self.security_row(type_, total, income_class=income_class)
        return [row, *self.withholding_rows(row.symbol, "WITHHOLDING")]

    def reinvest(self) -> Outcome:
        income_type = (self.leaf("INCOMETYPE") or "").upper()
        units = self.units()
        fees = self.fee_total("COMMISSION", "FEES", "LOAD", "TAXES")
        amount = self.total_less_fees(fees)
        price = abs(self.required_number("UNITPRICE"))
        return [
            self.security_row(
                "REINVEST",
                amount,
                quantity=units,
                price=price,
                fees=fees,
                income_class=REINVEST_CLASSES.get(income_type),
            )
        ]

    def return_of_capital(self) -> Outcome:
        total = self.required_number("TOTAL")
        if total < 0:
            raise TransactionProblem(
                "TOTAL", f"is negative ({total}); a reversed return of capital has no Hearth type"
            )
        if total == 0:
            return SkippedRow(self.line, f"return of capital of zero{self.where()}")
        return [self.security_row("RETURN_OF_CAPITAL", total)]

    def split(self) -> Outcome:
        numerator = abs(self.number("NUMERATOR") or ZERO)
        denominator = abs(self.number("DENOMINATOR") or ZERO)
        if numerator == 0 or denominator == 0:
            numerator = abs(self.number("NEWUNITS") or ZERO)
            denominator = abs(self.number("OLDUNITS") or ZERO)
        if numerator == 0 or denominator == 0:
            raise TransactionProblem(
                "NUMERATOR", "a split needs NUMERATOR and DENOMINATOR, or OLDUNITS and NEWUNITS"
            )
        cash = self.number("FRACCASH")
        rows = [
            self.security_row(
                "SPLIT",
                ZERO,
                split_new=numerator,
                split_old=denominator,
                memo=self.memo(f"cash in lieu {cash}" if cash else None),
            )
        ]
        if cash and cash > 0:
            rows.append(
                self.security_row(
                    "SELL",
                    cash,
                    sell_fraction=True,
                    external_id=f"{self.fitid}:in-lieu",
                    memo=self.memo("cash in lieu of a fractional share"),
                )
            )
        return rows

    def expense(self) -> Outcome:
        total = self.required_number("TOTAL")
        if total == 0:
            return SkippedRow(self.line, f"expense of zero{self.where()}")
        # An "expense" that is tax withheld abroad is a tax, not a fee.
        type_ = "FEE"
        if cash_type_in_text(self.memo(), incoming=False) == "TAX_WITHHELD":
            type_ = "TAX_WITHHELD"
        if self.leaf("UNIQUEID") is not None:
            return [self.security_row(type_, abs(total))]
        return [self.row(type_, abs(total))]

    def closure(self) -> Outcome:
        action = (self.leaf("OPTACTION") or "").upper()
        info = self.security()
        units = abs(self.number("UNITS") or ZERO)
        if action == "ASSIGN":
            return SkippedRow(self.line, WRITTEN_ASSIGNED)
        if units == 0:
            return SkippedRow(self.line, f"an option closed with no units{self.where()}")
        if action == "EXPIRE":
            return [
                self.row(
                    "SELL",
                    ZERO,
                    symbol=info.symbol,
                    security_name=info.name,
                    quantity=units,
                    price=ZERO,
                    only_if_held=True,
                    memo=self.memo("option expired"),
                )
            ]
        if action == "EXERCISE":
            related = self.leaf("RELFITID")
            return [
                self.row(
                    "SELL",
                    ZERO,
                    symbol=info.symbol,
                    security_name=info.name,
                    quantity=units,
                    price=ZERO,
                    basis_proceeds=True,
                    pending="exercise_option",
                    memo=self.memo("option exercised", f"related {related}" if related else None),
                )
            ]
        raise TransactionProblem("OPTACTION", f"unknown option action '{shown(action)}'")

    def journal(self) -> Outcome:
        return SkippedRow(
            self.line, "moves cash or shares between sub-accounts of the same account"
        )

    def transfer(self) -> Outcome:
        units = self.number("UNITS") or ZERO
        if units == 0:
            return SkippedRow(self.line, f"a transfer of 0 units moves nothing{self.where()}")
        if id(self.element) in self.statement.source_moves:
            return SkippedRow(
                self.line,
                "moves shares between money sources of the same 401(k) account (pre-tax, "
                "match, ...), which Hearth does not track apart",
            )
        action = (self.leaf("TFERACTION") or "").upper()
        incoming = action == "IN" if action in {"IN", "OUT"} else units > 0
        info = self.security()
        moved = abs(units)
        price = self.number("UNITPRICE")
        described = self.memo()
        if not incoming and price and _EXPENSE_WORDS.search(described or ""):
            value = (moved * abs(price)).quantize(Decimal("0.01"))
            return [
                self.security_row("SELL", value, quantity=moved, price=abs(price)),
                self.row(
                    "FEE",
                    value,
                    external_id=f"{self.fitid}:fee",
                    memo=self.memo("paid by selling units"),
                ),
            ]
        if info.is_option and not incoming and not price:
            postype = (self.leaf("POSTYPE") or "LONG").upper()
            if postype == "SHORT":
                return SkippedRow(self.line, OPTION_EXPIRED_WRITTEN)
            return [
                self.security_row(
                    "SELL",
                    ZERO,
                    quantity=moved,
                    price=ZERO,
                    only_if_held=True,
                    memo=self.memo("option expired"),
                )
            ]
        other = self.leaf("INVACCTFROM/ACCTID") or self.leaf("INVACCTTO/ACCTID")
        if other and other != self.statement.account_number:
            source, target = (
                (other, self.statement.account_number)
                if incoming
                else (
                    self.statement.account_number,
                    other,
                )
            )
            return [
                self.security_row(
                    "TRANSFER",
                    ZERO,
                    quantity=moved,
                    account_number=source,
                    to_account_number=target,
                    external_id=f"xfer:{self.trade_date().isoformat()}:{info.symbol}:{decimal_text(moved)}",
                    pending="xfer_in" if incoming else "xfer_out",
                )
            ]
        if not incoming:
            raise TransactionProblem(
                None,
                "shares left the account for an account the file does not name; enter the "
                "move as a TRANSFER row in a Hearth CSV that names both accounts",
            )
        basis = self._transfer_basis(moved)
        acquired = self.leaf("DTPURCHASE")
        trade_date = self.trade_date()
        if acquired:
            with contextlib.suppress(ValueProblem):
                trade_date = min(ofx_date(acquired), trade_date)
        return [
            self.security_row(
                "OPENING",
                basis if basis is not None else ZERO,
                quantity=moved,
                basis_unknown=basis is None,
                trade_date=trade_date,
                memo=self.memo("shares transferred in"),
            )
        ]

    def _transfer_basis(self, units: Decimal) -> Decimal | None:
        """Return the basis of shares moved in, when AVGCOSTBASIS says it unambiguously.

        The field is a total in some exports and per share in others; with UNITPRICE (the
        shares' value that day) to compare, the nearer reading wins; without, it is only
        trusted for a single share.
        """
        average = self.number("AVGCOSTBASIS")
        if average is None or average <= 0:
            return None
        price = self.number("UNITPRICE")
        if units == 1:
            return average
        if price is None or price <= 0:
            return None
        as_total = abs(average - abs(price) * units)
        as_share = abs(average - abs(price))
        return average if as_total < as_share else (average * units).quantize(Decimal("0.01"))

    def bank(self) -> Outcome:
        kind = (self.leaf("TRNTYPE") or "").upper()
        amount = self.required_number("TRNAMT")
        if amount == 0:
            return SkippedRow(self.line, f"moves no cash{self.where()}")
        description = " ".join(part for part in (self.leaf("NAME"), self.leaf("MEMO")) if part)
        if _CURRENCY_TRADE.search(description):
            return SkippedRow(self.line, f"{CONVERSION}{self.where()}")
        type_ = bank_type(kind, amount, description)
        return [
            self.row(
                type_,
                abs(amount),
                trade_date=self.day("DTPOSTED"),
                memo=self.memo(),
            )
        ]


def _cancel_reversals(
    outcomes: list[ParsedRow | SkippedRow | RowError],
) -> list[ParsedRow | SkippedRow | RowError]:
    """Skip each negative INCOME together with the INCOME it reverses; refuse the rest."""
    reversals = [o for o in outcomes if isinstance(o, ParsedRow) and o.pending == "reversal"]
    if not reversals:
        return outcomes
    cancelled: set[int] = set()
    for reversal in reversals:
        for candidate in outcomes:
            if (
                isinstance(candidate, ParsedRow)
                and not candidate.pending
                and id(candidate) not in cancelled
                and candidate.type == reversal.type
                and candidate.symbol == reversal.symbol
                and candidate.amount == reversal.amount
                and candidate.account_number == reversal.account_number
            ):
                cancelled.update({id(candidate), id(reversal)})
                break
    settled: list[ParsedRow | SkippedRow | RowError] = []
    for outcome in outcomes:
        if isinstance(outcome, ParsedRow) and id(outcome) in cancelled:
            settled.append(SkippedRow(outcome.line, "an income and its reversal, which cancel out"))
        elif isinstance(outcome, ParsedRow) and outcome.pending == "reversal":
            settled.append(
                RowError(
                    outcome.line,
                    "TOTAL",
                    f"is negative (-{outcome.amount}) and reverses no income in this file; "
                    f"Hearth has no type for a reversal, so enter it by hand "
                    f"(FITID {outcome.external_id})",
                )
            )
        else:
            settled.append(outcome)
    return settled


def _mark_exercise_stock(
    outcomes: list[ParsedRow | SkippedRow | RowError],
    *,
    context_securities: dict[str, SecurityInfo],
) -> list[ParsedRow | SkippedRow | RowError]:
    """Mark the trade in the underlying that goes with each option exercised: the one the
    closure's RELFITID names, else the same day's trade in the option's underlying."""
    exercises = [o for o in outcomes if isinstance(o, ParsedRow) and o.pending == "exercise_option"]
    if not exercises:
        return outcomes
    underlying_symbols = {}
    for info in context_securities.values():
        if info.is_option and info.underlying:
            base = context_securities.get(info.underlying)
            underlying_symbols[info.symbol] = base.symbol if base else info.underlying
    related = {
        match.group(1)
        for row in exercises
        if (match := re.search(r"related (\S+)", row.memo)) is not None
    }
    wanted = {
        (row.account_number, row.trade_date, underlying_symbols.get(row.symbol))
        for row in exercises
    }
    marked = []
    for outcome in outcomes:
        if (
            isinstance(outcome, ParsedRow)
            and outcome.type in {"BUY", "SELL"}
            and not outcome.pending
            and (
                outcome.external_id in related
                or (outcome.account_number, outcome.trade_date, outcome.symbol) in wanted
            )
        ):
            outcome = dataclasses.replace(outcome, pending="exercise_stock")
        marked.append(outcome)
    return marked


_HANDLERS: dict[str, Callable[[_Transaction], Outcome]] = {
    **dict.fromkeys(BUY_TAGS, _Transaction.buy),
    **dict.fromkeys(SELL_TAGS, _Transaction.sell),
    "SELLOPT": _Transaction.sell_option,
    "BUYOPT": _Transaction.buy_option,
    "CLOSUREOPT": _Transaction.closure,
    "INCOME": _Transaction.income,
    "REINVEST": _Transaction.reinvest,
    "RETOFCAP": _Transaction.return_of_capital,
    "SPLIT": _Transaction.split,
    "MARGININTEREST": _Transaction.expense,
    "INVEXPENSE": _Transaction.expense,
    "JRNLFUND": _Transaction.journal,
    "JRNLSEC": _Transaction.journal,
    "TRANSFER": _Transaction.transfer,
    "INVBANKTRAN": _Transaction.bank,
    "STMTTRN": _Transaction.bank,
}
