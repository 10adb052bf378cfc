"""Parse OFX / QFX statements (v1 SGML and v2 XML) with ofxtools.

``ofxtools.Parser.OFXTree`` reads the header and the tag soup of either version into an
element tree. The rows are then read from that tree directly rather than through
``OFXTree.convert()``: conversion validates the whole file at once (one broker quirk fails
the file without saying which transaction) and turns dates into UTC datetimes, which moves
an evening trade in New York to the next day. Reading the tree keeps the statement's own
calendar date (the first eight digits of DTTRADE / DTPOSTED) and reports problems per
transaction.

``line`` is the 1-based position of the transaction in the file (document order over all
statements), with no offset; messages also name the FITID.

Mapping (OFX spec section 13.9.2.4):

1. BUYSTOCK, BUYMF, BUYOTHER, BUYDEBT -> BUY; SELLSTOCK, SELLMF, SELLOTHER, SELLDEBT ->
   SELL. Fees are COMMISSION + FEES + LOAD + TAXES (+ PENALTY on a sale): transaction
   taxes such as the SEC fee are a trading cost, added to basis or taken from proceeds;
   MARKUP and MARKDOWN are already inside UNITPRICE.
   The gross is derived from TOTAL, which the spec defines as the net cash, so the cash
   matches the statement: BUY gross = |TOTAL| - fees, SELL gross = TOTAL + fees +
   WITHHOLDING + STATEWITHHOLDING + PENALTY.
2. A sale's WITHHOLDING and STATEWITHHOLDING, and an INCOME's WITHHOLDING, become a
   separate TAX_WITHHELD row (FITID + ":withholding"), as DESIGN §3 wants the dividend
   gross and the tax apart. An INCOME's TOTAL is its gross.
3. INCOME: DIV -> DIVIDEND (income class left to the security default: OFX does not say
   whether a dividend is qualified), CGLONG / CGSHORT -> DIVIDEND ``capital_gain``,
   MISC -> DIVIDEND ``ordinary``, INTEREST -> INTEREST.
4. REINVEST -> REINVEST with the same income classes; amount = |TOTAL| - fees.
5. RETOFCAP -> RETURN_OF_CAPITAL; SPLIT -> SPLIT NUMERATOR:DENOMINATOR (FRACCASH, the
   cash paid for a fractional share, is only noted in the memo); MARGININTEREST and
   INVEXPENSE -> FEE; SELLOPT with SELLTOOPEN -> OPTION_PREMIUM.
6. INVBANKTRAN and bank STMTTRN by TRNTYPE and sign: INT -> INTEREST (negative: FEE);
   DIV -> INTEREST (cash dividends without a security, paid by a sweep fund); FEE, SRVCHG
   -> FEE; every other type (CREDIT, DEP, DIRECTDEP, XFER, DEBIT, ...) -> DEPOSIT when
   positive, WITHDRAWAL when negative. OTHER is refused: it could be anything.
7. Skipped: JRNLFUND / JRNLSEC (moves between sub-accounts of one account), CLOSUREOPT
   EXPIRE, transactions of zero cash. Refused: TRANSFER (the other account is not named;
   enter a TRANSFER row in a Hearth CSV), other option transactions, and reversals and
   corrections of earlier transactions (REVERSALFITID, CORRECTFITID).
8. Symbols come from SECLIST (UNIQUEID -> TICKER); without a ticker the CUSIP/ISIN itself
   is the symbol. The currency is the statement's CURDEF unless the transaction has its
   own CURRENCY. The account is None: the importer is told which account the file is for,
   and a file holding several accounts is refused.
"""

from __future__ import annotations

import html
import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from ofxtools.header import OFXHeaderError
from ofxtools.Parser import OFXTree, ParseError

from portfolios.imports.broker_rows import OPTIONS_UNSUPPORTED, check_single_account
from portfolios.imports.decoding import check_size, strip_bom
from portfolios.imports.external_ids import assign_external_ids
from portfolios.imports.ofx_codes import (
    BUY_TAGS,
    INCOME_TYPES,
    REINVEST_CLASSES,
    SECINFO_PARENTS,
    SELL_TAGS,
    TransactionProblem,
    bank_type,
)
from portfolios.imports.rows import (
    MAX_MEMO_LENGTH,
    MAX_SYMBOL_LENGTH,
    ZERO,
    ImportFileError,
    ParsedRow,
    ParseResult,
    RowError,
    SkippedRow,
)
from portfolios.imports.values import ValueProblem, parse_broker_date, parse_ofx_decimal

FORMAT = "ofx"
Outcome = list[ParsedRow] | SkippedRow | RowError


def parse_ofx(content: bytes) -> ParseResult:
    """Return the rows of an OFX or QFX file (investment, bank or cash statements).

    Raises ImportFileError when ofxtools cannot read the file, it holds no statement, or
    it holds statements of several accounts.
    """
    check_size(content)
    root = _parse_tree(content)
    statements = [element for element in root.iter() if element.tag in {"INVSTMTRS", "STMTRS"}]
    if not statements:
        raise ImportFileError("the OFX file holds no investment or bank statement")
    check_single_account(
        statement.findtext(".//ACCTID", default="").strip() for statement in statements
    )
    securities = _securities(root)

    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    skipped_rows: list[SkippedRow] = []
    position = 0
    for statement in statements:
        currency = (statement.findtext("CURDEF") or "").strip().upper() or None
        for transaction in _transactions(statement):
            position += 1
            reader = _Transaction(transaction, position, currency, securities)
            outcome = reader.outcome()
            if isinstance(outcome, RowError):
                errors.append(outcome)
            elif isinstance(outcome, SkippedRow):
                skipped_rows.append(outcome)
            else:
                rows.extend(outcome)
    return ParseResult(
        rows=assign_external_ids(rows), errors=errors, format=FORMAT, skipped=skipped_rows
    )


def _parse_tree(content: bytes) -> ET.Element:
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(strip_bom(content).lstrip()))
    # ofxtools reports malformed input through several exception types (its own
    # ParseError and OFXHeaderError, ValueError from header validation, IndexError and
    # KeyError from its tree builder); all of them mean the file is not readable OFX.
    except (ParseError, OFXHeaderError, ValueError, IndexError, KeyError) as err:
        reason = " ".join(str(err).split())[:200]
        raise ImportFileError(f"not a readable OFX file: {reason}") from None
    root = tree.getroot()
    if root is None or root.tag != "OFX":
        raise ImportFileError("not a readable OFX file: the body is not an <OFX> element")
    return root


def _securities(root: ET.Element) -> dict[str, tuple[str, str | None]]:
    """Return UNIQUEID -> (symbol, security name) from the SECLIST."""
    securities: dict[str, tuple[str, str | None]] = {}
    for parent in SECINFO_PARENTS:
        for info in root.iter(parent):
            secinfo = info.find("SECINFO")
            if secinfo is None:
                continue
            unique_id = _text(secinfo, "SECID/UNIQUEID")
            if not unique_id:
                continue
            ticker = _text(secinfo, "TICKER")
            symbol = (ticker or unique_id).upper()[:MAX_SYMBOL_LENGTH]
            securities[unique_id] = (symbol, _text(secinfo, "SECNAME"))
    return securities


def _transactions(statement: ET.Element) -> list[ET.Element]:
    tranlist = statement.find("INVTRANLIST")
    if tranlist is None:
        tranlist = statement.find("BANKTRANLIST")
    if tranlist is None:
        return []
    return [child for child in tranlist if child.tag not in {"DTSTART", "DTEND"}]


def _text(element: ET.Element, path: str) -> str | None:
    value = element.findtext(path)
    if value is None:
        return None
    value = html.unescape(value).strip()
    return value or None


class _Transaction:
    """Read one transaction aggregate into Hearth rows."""

    def __init__(
        self,
        element: ET.Element,
        position: int,
        currency: str | None,
        securities: dict[str, tuple[str, str | None]],
    ) -> None:
        self.element = element
        self.tag = element.tag
        self.position = position
        self.currency = currency
        self.securities = securities
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
        self.fitid = _text(self.invtran, "FITID") or ""

    def outcome(self) -> Outcome:
        handler = _HANDLERS.get(self.tag)
        try:
            if handler is None:
                raise TransactionProblem(None, f"unrecognised OFX transaction <{self.tag}>")
            if not self.fitid:
                raise TransactionProblem("FITID", "is required")
            for tag in ("REVERSALFITID", "CORRECTFITID"):
                if _text(self.invtran, tag):
                    raise TransactionProblem(
                        tag,
                        "reverses or corrects an earlier transaction; Hearth cannot import "
                        "corrections, so correct the original by hand",
                    )
            return handler(self)
        except TransactionProblem as problem:
            suffix = f" (FITID {self.fitid})" if self.fitid else ""
            return RowError(self.position, problem.column, problem.message + suffix)

    # Values -------------------------------------------------------------------------

    def number(self, tag: str) -> Decimal | None:
        raw = _text(self.body, tag)
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

    def day(self, element: ET.Element, tag: str) -> date:
        raw = _text(element, tag)
        if raw is None:
            raise TransactionProblem(tag, "is required")
        try:
            return parse_broker_date(raw[:8])
        except ValueProblem:
            raise TransactionProblem(tag, f"must be an OFX date YYYYMMDD..., got '{raw}'") from None

    def fee_total(self, *tags: str) -> Decimal:
        return sum((abs(self.number(tag) or ZERO) for tag in tags), ZERO)

    def security(self) -> tuple[str, str | None]:
        unique_id = _text(self.body, "SECID/UNIQUEID")
        if unique_id is None:
            raise TransactionProblem("SECID", "is required")
        return self.securities.get(unique_id, (unique_id.upper()[:MAX_SYMBOL_LENGTH], None))

    def own_currency(self) -> str | None:
        code = _text(self.body, "CURRENCY/CURSYM") or _text(self.body, "ORIGCURRENCY/CURSYM")
        return code.upper() if code else self.currency

    def memo(self, *extra: str | None) -> str:
        parts = [_text(self.invtran, "NAME"), _text(self.invtran, "MEMO"), *extra]
        return " | ".join(part for part in parts if part)[:MAX_MEMO_LENGTH]

    def row(self, type_: str, amount: Decimal, **fields) -> ParsedRow:
        fields.setdefault("memo", self.memo())
        return ParsedRow(
            line=self.position,
            trade_date=self.day(self.invtran, "DTTRADE"),
            type=type_,
            amount=amount,
            currency=self.own_currency(),
            external_id=self.fitid,
            **fields,
        )

    def security_row(self, type_: str, amount: Decimal, **fields) -> ParsedRow:
        symbol, name = self.security()
        return self.row(type_, amount, symbol=symbol, security_name=name, **fields)

    def withholding_rows(self, symbol: str | None, *tags: str) -> list[ParsedRow]:
        withheld = self.fee_total(*tags)
        if withheld == 0:
            return []
        return [
            ParsedRow(
                line=self.position,
                trade_date=self.day(self.invtran, "DTTRADE"),
                type="TAX_WITHHELD",
                symbol=symbol,
                amount=withheld,
                currency=self.own_currency(),
                external_id=f"{self.fitid}:withholding",
                memo=self.memo("tax withheld"),
            )
        ]

    def positive_total(self, what: str) -> Decimal:
        total = self.required_number("TOTAL")
        if total < 0:
            raise TransactionProblem(
                "TOTAL",
                f"is negative ({total}) for {what}; Hearth has no type for a reversal, so "
                "enter it by hand",
            )
        return total

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
        price = abs(self.required_number("UNITPRICE"))
        return [self.security_row("BUY", gross, quantity=units, price=price, fees=fees)]

    def sell(self) -> Outcome:
        units = self.units()
        fees = self.fee_total("COMMISSION", "FEES", "LOAD", "TAXES", "PENALTY")
        withheld = ("WITHHOLDING", "STATEWITHHOLDING")
        gross = abs(self.required_number("TOTAL")) + fees + self.fee_total(*withheld)
        price = abs(self.required_number("UNITPRICE"))
        row = self.security_row("SELL", gross, quantity=units, price=price, fees=fees)
        return [row, *self.withholding_rows(row.symbol, *withheld)]

    def sell_option(self) -> Outcome:
        if (_text(self.element, "OPTSELLTYPE") or "").upper() != "SELLTOOPEN":
            raise TransactionProblem("OPTSELLTYPE", OPTIONS_UNSUPPORTED)
        fees = self.fee_total("COMMISSION", "FEES", "LOAD", "TAXES")
        gross = abs(self.required_number("TOTAL")) + fees
        units = abs(self.number("UNITS") or ZERO) or None
        price = self.number("UNITPRICE")
        return [
            self.security_row(
                "OPTION_PREMIUM",
                gross,
                quantity=units,
                price=abs(price) if price is not None else None,
                fees=fees,
            )
        ]

    def income(self) -> Outcome:
        income_type = (_text(self.element, "INCOMETYPE") or "").upper()
        if income_type not in INCOME_TYPES:
            raise TransactionProblem("INCOMETYPE", f"unknown income type '{income_type}'")
        type_, income_class = INCOME_TYPES[income_type]
        total = self.positive_total("income")
        if total == 0:
            return SkippedRow(self.position, f"income of zero (FITID {self.fitid})")
        row = self.security_row(type_, total, income_class=income_class)
        return [row, *self.withholding_rows(row.symbol, "WITHHOLDING")]

    def reinvest(self) -> Outcome:
        income_type = (_text(self.element, "INCOMETYPE") or "").upper()
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
        return [self.security_row("RETURN_OF_CAPITAL", self.positive_total("return of capital"))]

    def split(self) -> Outcome:
        numerator = abs(self.required_number("NUMERATOR"))
        denominator = abs(self.required_number("DENOMINATOR"))
        if numerator == 0 or denominator == 0:
            raise TransactionProblem("NUMERATOR", "a split ratio needs two positive numbers")
        cash = self.number("FRACCASH")
        note = f"cash in lieu {cash}" if cash else None
        return [
            self.security_row(
                "SPLIT",
                ZERO,
                split_new=numerator,
                split_old=denominator,
                memo=self.memo(note),
            )
        ]

    def expense(self) -> Outcome:
        total = self.required_number("TOTAL")
        if total == 0:
            return SkippedRow(self.position, f"expense of zero (FITID {self.fitid})")
        if self.body.find("SECID") is not None:
            return [self.security_row("FEE", abs(total))]
        return [self.row("FEE", abs(total))]

    def closure(self) -> Outcome:
        if (_text(self.element, "OPTACTION") or "").upper() == "EXPIRE":
            return SkippedRow(self.position, "an option expired; no cash or shares moved")
        raise TransactionProblem("OPTACTION", OPTIONS_UNSUPPORTED)

    def journal(self) -> Outcome:
        return SkippedRow(
            self.position, "moves cash or shares between sub-accounts of the same account"
        )

    def transfer(self) -> Outcome:
        raise TransactionProblem(
            None,
            "a transfer of shares in or out; the other account is not named, so enter it "
            "as a TRANSFER row in a Hearth CSV",
        )

    def unsupported_option(self) -> Outcome:
        raise TransactionProblem(None, OPTIONS_UNSUPPORTED)

    def bank(self) -> Outcome:
        kind = (_text(self.body, "TRNTYPE") or "").upper()
        amount = self.required_number("TRNAMT")
        if amount == 0:
            return SkippedRow(self.position, f"moves no cash (FITID {self.fitid})")
        type_ = bank_type(kind, amount)
        return [
            ParsedRow(
                line=self.position,
                trade_date=self.day(self.body, "DTPOSTED"),
                type=type_,
                amount=abs(amount),
                currency=self.own_currency(),
                external_id=self.fitid,
                memo=self.memo(),
            )
        ]


_HANDLERS: dict[str, Callable[[_Transaction], Outcome]] = {
    **dict.fromkeys(BUY_TAGS, _Transaction.buy),
    **dict.fromkeys(SELL_TAGS, _Transaction.sell),
    "SELLOPT": _Transaction.sell_option,
    "BUYOPT": _Transaction.unsupported_option,
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
