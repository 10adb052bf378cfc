"""What Interactive Brokers' records mean in Hearth terms, whichever report they come from.

Flex Queries (CSV and XML), Activity Statements and the Transaction History report name
the same things differently ("Buy/Sell" and ``buySell``, "Asset Category" "Stocks" and
``assetCategory`` "STK"); each reader turns its records into an ``IbkrRecord`` with one
set of keys (lower case, no spaces or punctuation), and these rules read them.

Trades
    Stocks, ETFs, funds, bonds and bills are BUY/SELL (a bond's price per 100 of face is
    stored per unit); fees are the IB commission plus transaction taxes; the gross is
    TradeMoney (else Proceeds). Only EXECUTION lines are imported when the query breaks
    trades down (order, closed-lot and summary lines repeat them). A stock SELL that opens
    (``O``) is a short sale and the BUY that closes it a cover. Options: BUY-open a bought
    option, SELL-open a written one (OPTION_PREMIUM), BUY-close buying a written one back,
    SELL-close selling a bought one; the codes ``Ep`` (expired), ``A`` (assigned) and
    ``Ex`` (exercised) say how an option left, and an exercise's stock trade takes the
    option's basis. Currency trades (``CASH`` / Forex) are conversions inside the account:
    no row, their commission a FEE. Futures and CFDs are refused.
Cash transactions
    Dividends leave the income class to the security default; payments in lieu are
    ``ordinary``; withholding is TAX_WITHHELD; interest received INTEREST; interest paid,
    fees and advisor fees FEE; deposits and withdrawals DEPOSIT / WITHDRAWAL by sign; a
    line whose sign is the opposite of its type cancels the line it reverses.
Corporate actions
    Splits (ratio from the description, else from the shares added), stock dividends,
    spin-offs, mergers and symbol changes, bond maturities: see ``broker_rows``.
Transfers
    In from or out to another account named in the record: a TRANSFER; in from an
    account it does not name (an ACATS transfer from another broker): an OPENING of
    unknown basis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from portfolios.imports.broker_rows import (
    OPTION_EXPIRED_WRITTEN,
    WRITTEN_ASSIGNED,
    ActionMapping,
    BrokerColumns,
    BrokerLine,
    BrokerOutcome,
    broker_rows,
    cash_flow,
    clean_symbol,
    maps_to,
    rejected,
    skipped,
    special,
)
from portfolios.imports.rows import ZERO, RowError, SkippedRow
from portfolios.imports.values import ValueProblem, parse_broker_amount, parse_broker_date, shown
from portfolios.imports.wording import cash_type_in_text

INSTITUTION = "Interactive Brokers"
SUMMARY_LEVELS = "order, closed-lot or summary line; its executions are imported"
OPTION_CLASSES = frozenset(
    {"OPT", "FOP", "EQUITY AND INDEX OPTIONS", "OPTIONS ON FUTURES", "OPTIONS"}
)
FX_CLASSES = frozenset({"CASH", "FOREX", "FX"})
SECURITY_CLASSES = frozenset(
    {
        "",
        "STK",
        "ETF",
        "FUND",
        "BOND",
        "BILL",
        "STOCKS",
        "BONDS",
        "TREASURY BILLS",
        "MUTUAL FUNDS",
        "ETFS",
        "WAR",
        "WARRANTS",
    }
)
FLEX_ADVICE = (
    "in Client Portal open Performance & Reports > Flex Queries, edit the Activity Flex "
    "Query and tick the sections Trades (Executions), Cash Transactions, Corporate Actions "
    "and Transfers (and Open Positions to check the result), choose CSV or XML with "
    "column headers included, and run it again"
)

# Column names of every IBKR report, normalized, and the one key each stands for.
SYNONYMS = {
    "clientaccountid": "account",
    "accountid": "account",
    "account": "account",
    "currencyprimary": "currency",
    "currency": "currency",
    "assetclass": "assetclass",
    "assetcategory": "assetclass",
    "symbol": "symbol",
    "description": "description",
    "isin": "isin",
    "securityid": "isin",
    "cusip": "cusip",
    "conid": "conid",
    "tradeid": "tradeid",
    "transactionid": "transactionid",
    "ibexecid": "execid",
    "tradedate": "tradedate",
    "datetime": "datetime",
    "date": "date",
    "settledate": "settledate",
    "reportdate": "reportdate",
    "quantity": "quantity",
    "qty": "quantity",
    "tradeprice": "price",
    "tprice": "price",
    "price": "price",
    "trademoney": "trademoney",
    "proceeds": "proceeds",
    "grossamount": "gross",
    "taxes": "taxes",
    "ibcommission": "commission",
    "commfee": "commission",
    "comminusd": "commission",
    "commission": "commission",
    "netcash": "netcash",
    "netamount": "netcash",
    "buysell": "side",
    "opencloseindicator": "openclose",
    "notescodes": "codes",
    "notes": "codes",
    "code": "codes",
    "levelofdetail": "level",
    "type": "type",
    "transactiontype": "type",
    "amount": "amount",
    "direction": "direction",
    "xferaccount": "otheraccount",
    "transferaccount": "otheraccount",
    "costbasis": "costbasis",
    "positionamount": "positionamount",
    "position": "quantity",
    "cashtransfer": "cashtransfer",
    "cashamount": "cashtransfer",
    "datadiscriminator": "level",
    "pricecurrency": "currency",
    "multiplier": "multiplier",
    "actiondescription": "description",
    "value": "value",
    "accounttype": "accounttype",
    "customertype": "customertype",
    "name": "name",
}


def normal_key(name: str) -> str:
    """Return a column or attribute name as a comparable key: "Buy/Sell" -> "buysell"."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass
class IbkrRecord:
    """One record of any IBKR report, by the keys of ``SYNONYMS``."""

    line: int
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, line: int, pairs) -> IbkrRecord:
        values: dict[str, str] = {}
        for name, value in pairs:
            key = SYNONYMS.get(normal_key(name))
            if key is not None and key not in values and value is not None:
                values[key] = str(value).strip()
        return cls(line, values)

    def get(self, *keys: str) -> str:
        for key in keys:
            value = self.values.get(key, "")
            if value and value not in {"-", "--"}:
                return value
        return ""


class RecordReader:
    """Read one record's values, collecting a RowError for each unreadable one."""

    def __init__(self, record: IbkrRecord) -> None:
        self.record = record
        self.errors: list[RowError] = []

    def amount(self, key: str) -> Decimal | None:
        raw = self.record.get(key)
        try:
            return parse_broker_amount(raw)
        except ValueProblem as problem:
            self.errors.append(RowError(self.record.line, key, str(problem)))
            return None

    def day(self, *keys: str) -> date | None:
        raw = self.record.get(*keys)
        if not raw:
            self.errors.append(RowError(self.record.line, keys[0], "is required"))
            return None
        try:
            return ibkr_date(raw)
        except ValueProblem as problem:
            self.errors.append(RowError(self.record.line, keys[0], str(problem)))
            return None


_DATE_TIME_SEPARATOR = re.compile(r"[;,T ]")


def ibkr_date(text: str) -> date:
    """Return the date of an IBKR date or date-time, in any of its formats."""
    return parse_broker_date(_DATE_TIME_SEPARATOR.split(text.strip(), maxsplit=1)[0])


def symbol_of(record: IbkrRecord) -> str | None:
    """Return the security's symbol, else its ISIN, CUSIP or contract id (some queries
    leave the symbol out)."""
    return clean_symbol(record.get("symbol", "isin", "cusip", "conid"))


_SYMBOL_IN_DESCRIPTION = re.compile(r"^\s*([A-Z0-9.\- ]{1,20}?)\s*\(([A-Z]{2}[A-Z0-9]{9}\d)\)")


def symbol_in_description(text: str) -> str | None:
    """Return the symbol a cash line's description starts with: "AAPL(US0378331005) Cash
    Dividend ..." -> "AAPL"."""
    match = _SYMBOL_IN_DESCRIPTION.match(text or "")
    return clean_symbol(match.group(1)) if match else None


def _codes(record: IbkrRecord) -> set[str]:
    return {code.strip().upper() for code in re.split(r"[;,\s]", record.get("codes")) if code}


def trade_mapping(record: IbkrRecord, side: str, quantity: Decimal | None) -> ActionMapping:
    """Return what a trade record means (module docstring, Trades)."""
    asset = record.get("assetclass").upper()
    codes = _codes(record)
    open_close = record.get("openclose").upper() or (
        "O" if "O" in codes else "C" if "C" in codes else ""
    )
    if "(CA.)" in side or "CA" in codes:
        return rejected(
            "a cancelled trade; run the Flex Query with 'Include Canceled Trades' set to No"
        )
    buying = side.startswith("BUY") if side else bool(quantity and quantity > 0)
    if asset in FX_CLASSES:
        return special("fx")
    if asset in OPTION_CLASSES:
        if "EP" in codes:
            return special("expire") if not buying else skipped(OPTION_EXPIRED_WRITTEN)
        if "A" in codes:
            return skipped(WRITTEN_ASSIGNED)
        if "EX" in codes:
            return special("exercise")
        if buying:
            return special("close_written") if open_close.startswith("C") else maps_to("BUY")
        return maps_to("SELL") if open_close.startswith("C") else maps_to("OPTION_PREMIUM")
    if asset not in SECURITY_CLASSES:
        return rejected(
            f"asset class {shown(asset)} is not supported: Hearth tracks securities, not "
            "futures or CFDs"
        )
    if "EX" in codes:
        return special("exercise_stock", type="BUY" if buying else "SELL")
    # Buying only closes a short position, and selling only opens one.
    if buying:
        return special("short_cover") if open_close == "C" else maps_to("BUY")
    return special("short_open") if open_close == "O" else maps_to("SELL")


_FEE = maps_to("FEE")
_INTEREST = maps_to("INTEREST")
_TAX = maps_to("TAX_WITHHELD")
# Cash transaction types, lower-cased with single spaces.
CASH_TYPES: dict[str, ActionMapping] = {
    "dividends": maps_to("DIVIDEND"),
    "dividend": maps_to("DIVIDEND"),
    "payment in lieu of dividends": maps_to("DIVIDEND", income_class="ordinary"),
    "payment in lieu": maps_to("DIVIDEND", income_class="ordinary"),
    "withholding tax": _TAX,
    "foreign tax withholding": _TAX,
    "871(m) withholding": _TAX,
    "broker interest received": _INTEREST,
    "bond interest received": _INTEREST,
    "credit interest": _INTEREST,
    "interest": _INTEREST,
    "broker interest paid": _FEE,
    "debit interest": _FEE,
    "bond interest paid": _FEE,
    "other fees": _FEE,
    "other fee": _FEE,
    "fees": _FEE,
    "advisor fees": _FEE,
    "broker fees": _FEE,
    "commission adjustments": _FEE,
    "commission adjustment": _FEE,
    "deposits/withdrawals": cash_flow(cash_only=False),
    "deposits & withdrawals": cash_flow(cash_only=False),
    "deposit": cash_flow(),
    "withdrawal": cash_flow(),
    "electronic fund transfer": cash_flow(),
    "cash transfer": cash_flow(),
    "transfer": cash_flow(),
    "forex trade component": special("fx"),
    "adjustment": skipped("a currency translation adjustment of the statement, not a transaction"),
    "buy": special("trade"),
    "sell": special("trade"),
}
CASH_COLUMNS = BrokerColumns(action="Type", symbol="Symbol", quantity="Quantity", amount="Amount")
TRADE_COLUMNS = BrokerColumns(
    action="Buy/Sell", symbol="Symbol", quantity="Quantity", amount="NetCash"
)
CORPORATE_COLUMNS = BrokerColumns(
    action="Type", symbol="Symbol", quantity="Quantity", amount="Proceeds"
)


def cash_mapping(cash_type: str, description: str, amount: Decimal | None) -> ActionMapping | None:
    """Return what a cash transaction means, or None when its type is unknown."""
    key = " ".join(cash_type.split()).lower()
    if key in CASH_TYPES:
        return CASH_TYPES[key]
    found = cash_type_in_text(f"{cash_type} {description}", incoming=(amount or 0) > 0)
    if found in {"DEPOSIT", "WITHDRAWAL"}:
        return cash_flow()
    return maps_to(found) if found else None


def trade_outcomes(record: IbkrRecord, account: str | None) -> list[BrokerOutcome] | list[RowError]:
    """Return the rows of one trade record."""
    reader = RecordReader(record)
    trade_date = reader.day("tradedate", "datetime", "date")
    quantity = reader.amount("quantity")
    price = reader.amount("price")
    trade_money = reader.amount("trademoney")
    proceeds = reader.amount("proceeds")
    gross_amount = reader.amount("gross")
    commission = reader.amount("commission")
    taxes = reader.amount("taxes")
    net_cash = reader.amount("netcash")
    if reader.errors or trade_date is None:
        return reader.errors
    side = record.get("side").upper()
    mapping = trade_mapping(record, side, quantity)
    fees = abs(commission or ZERO) + abs(taxes or ZERO)
    if net_cash is None and proceeds is not None:
        net_cash = proceeds - fees
    gross = trade_money if trade_money is not None else proceeds
    if gross is None:
        gross = gross_amount
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=side or ("BUY" if (quantity or 0) > 0 else "SELL"),
        symbol=symbol_of(record),
        description=record.get("description"),
        quantity=quantity or None,
        price=price or None,
        fees=fees,
        net=net_cash,
        gross=gross,
        currency=record.get("currency").upper() or None,
        external_id=record.get("transactionid", "tradeid", "execid"),
        account_number=account,
    )
    if (
        mapping.kind == "exercise_stock"
        or mapping.type in {"BUY", "SELL"}
        or mapping.kind
        in {
            "short_open",
            "short_cover",
        }
    ) and not line.quantity:
        return [RowError(record.line, "Quantity", "is required for a trade")]
    return broker_rows(line, mapping, TRADE_COLUMNS)


def cash_outcomes(record: IbkrRecord, account: str | None) -> list[BrokerOutcome] | list[RowError]:
    """Return the rows of one cash transaction record."""
    if "SUMMARY" in record.get("level").upper():
        return [SkippedRow(record.line, "summary line; its detail lines are imported")]
    reader = RecordReader(record)
    trade_date = reader.day("datetime", "date", "settledate", "reportdate")
    amount = reader.amount("amount")
    if amount is None and record.get("netcash"):
        amount = reader.amount("netcash")
    quantity = reader.amount("quantity")
    price = reader.amount("price")
    gross = reader.amount("gross")
    commission = reader.amount("commission")
    if reader.errors or trade_date is None:
        return reader.errors
    cash_type = record.get("type")
    description = record.get("description")
    mapping = cash_mapping(cash_type, description, amount)
    if mapping is None:
        return [
            RowError(
                record.line,
                "Type",
                f"unrecognised cash transaction type '{shown(cash_type)}'; enter this line "
                "by hand in a Hearth CSV",
            )
        ]
    symbol = symbol_of(record) or symbol_in_description(description)
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=cash_type,
        symbol=symbol,
        description=description,
        quantity=quantity or None,
        price=price or None,
        fees=abs(commission or ZERO),
        net=amount,
        gross=gross,
        currency=record.get("currency").upper() or None,
        external_id=record.get("transactionid", "tradeid"),
        # A cash transaction's description says what was paid ("AAPL(US...) CASH
        # DIVIDEND USD 0.24 PER SHARE"), not what the security is called.
        description_is_security_name=False,
        account_number=account,
    )
    return broker_rows(line, mapping, CASH_COLUMNS)


_CORPORATE_KINDS = {
    "FS": "split",
    "RS": "split",
    "SD": "split",
    "SO": "spinoff",
    "TC": "merger_stock",
    "TO": "merger_stock",
    "IC": "merger_stock",
    "HI": "merger_stock",
    "DW": "merger_cash",
    "BM": "merger_cash",
    "CM": "merger_cash",
    "DI": "spinoff",
    "ED": "spinoff",
}
_CORPORATE_WORDS = (
    (re.compile(r"SPLIT", re.I), "split"),
    (re.compile(r"STOCK DIVIDEND", re.I), "split"),
    (re.compile(r"SPINOFF|SPIN-OFF|SPIN OFF", re.I), "spinoff"),
    (re.compile(r"MATURITY|REDEMPTION|DELIST|CASH MERGER|TENDER", re.I), "merger_cash"),
    (
        re.compile(r"MERGE|ACQUI|CUSIP/ISIN CHANGE|SYMBOL CHANGE|NAME CHANGE|EXCHANGE", re.I),
        "merger_stock",
    ),
)


def corporate_outcomes(
    record: IbkrRecord, account: str | None
) -> list[BrokerOutcome] | list[RowError]:
    """Return the rows of one corporate action record."""
    if "SUMMARY" in record.get("level").upper():
        return [SkippedRow(record.line, "summary line; its detail lines are imported")]
    reader = RecordReader(record)
    trade_date = reader.day("datetime", "date", "reportdate")
    quantity = reader.amount("quantity")
    proceeds = reader.amount("proceeds")
    if proceeds is None:
        proceeds = reader.amount("amount")
    if reader.errors or trade_date is None:
        return reader.errors
    description = record.get("description")
    kind = _CORPORATE_KINDS.get(record.get("type").upper())
    if kind is None:
        kind = next((k for pattern, k in _CORPORATE_WORDS if pattern.search(description)), None)
    if kind is None:
        return [
            RowError(
                record.line,
                "Type",
                f"unrecognised corporate action '{shown(description or record.get('type'))}'; "
                "enter it by hand in a Hearth CSV",
            )
        ]
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=record.get("type") or kind,
        symbol=symbol_of(record) or symbol_in_description(description),
        description=description,
        quantity=quantity or None,
        price=None,
        fees=ZERO,
        net=proceeds,
        currency=record.get("currency").upper() or None,
        external_id=record.get("transactionid"),
        account_number=account,
    )
    return broker_rows(line, special(kind), CORPORATE_COLUMNS)


def transfer_outcomes(
    record: IbkrRecord, account: str | None
) -> list[BrokerOutcome] | list[RowError]:
    """Return the rows of one transfer record (shares or cash in or out)."""
    reader = RecordReader(record)
    trade_date = reader.day("datetime", "date", "reportdate", "settledate")
    quantity = reader.amount("quantity")
    cash = reader.amount("cashtransfer")
    if cash is None:
        cash = reader.amount("amount")
    basis = reader.amount("costbasis")
    if reader.errors or trade_date is None:
        return reader.errors
    direction = record.get("direction").upper()
    if quantity is not None and direction == "OUT":
        quantity = -abs(quantity)
    elif quantity is not None and direction == "IN":
        quantity = abs(quantity)
    other = record.get("otheraccount") or None
    if other and not re.search(r"\d", other):
        other = None
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=f"Transfer {direction}".strip(),
        symbol=symbol_of(record),
        description=record.get("description"),
        quantity=quantity or None,
        price=None,
        fees=ZERO,
        net=cash,
        currency=record.get("currency").upper() or None,
        external_id=record.get("transactionid"),
        account_number=account,
        counterparty=other,
        cost_basis=basis,
    )
    return broker_rows(line, cash_flow(cash_only=False), CASH_COLUMNS)
