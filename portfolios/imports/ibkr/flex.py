"""Read Interactive Brokers Flex Queries, as CSV or as XML (IBKR's default).

CSV: one section per selected report, each starting with its own header row, in three
variants of the same data: plain (header row, data rows, next header row, ...); with
header and trailer records (``BOF``/``BOA``/``BOS``/``EOS``/``EOA``/``EOF`` lines around
the sections, ignored); with section codes and line descriptors (every line starts
``"HEADER","TRNT",...`` or ``"DATA","CTRN",...``; the two leading cells are dropped).

XML: ``FlexQueryResponse / FlexStatements / FlexStatement accountId=...`` holding
``Trades/Trade``, ``CashTransactions/CashTransaction``, ``CorporateActions/
CorporateAction``, ``Transfers/Transfer``, ``OpenPositions/OpenPosition`` and
``AccountInformation``. It is parsed with defusedxml: no DTD, no entity expansion, no
external entities.

Sections are recognised by their columns (or element names); every other section (cash
report, NAV, performance summaries, ...) holds no transactions and is ignored. A query
with no transaction section at all is refused with what to tick in Client Portal.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from portfolios.imports.broker_rows import broker_result
from portfolios.imports.csv_records import CsvRecord, header_key, read_csv_records
from portfolios.imports.ibkr.mapping import (
    FLEX_ADVICE,
    INSTITUTION,
    SUMMARY_LEVELS,
    IbkrRecord,
    cash_outcomes,
    corporate_outcomes,
    ibkr_date,
    normal_key,
    symbol_of,
    trade_outcomes,
    transfer_outcomes,
)
from portfolios.imports.rows import (
    FileAccount,
    ImportFileError,
    ParseResult,
    SkippedRow,
    StatementPosition,
)
from portfolios.imports.values import ValueProblem, parse_broker_amount, shown
from portfolios.imports.wording import account_type_in_text

FORMAT = "ibkr"
STRUCTURE_RECORDS = frozenset({"BOF", "EOF", "BOA", "EOA", "BOS", "EOS"})
KNOWN_COLUMNS = frozenset(
    normal_key(name)
    for name in (
        "ClientAccountID",
        "AccountAlias",
        "CurrencyPrimary",
        "Currency",
        "FXRateToBase",
        "AssetClass",
        "Symbol",
        "Description",
        "Conid",
        "ISIN",
        "CUSIP",
        "ListingExchange",
        "TradeID",
        "TransactionID",
        "TradeDate",
        "DateTime",
        "Date/Time",
        "SettleDate",
        "SettleDateTarget",
        "ReportDate",
        "Quantity",
        "TradePrice",
        "TradeMoney",
        "Proceeds",
        "Taxes",
        "IBCommission",
        "IBCommissionCurrency",
        "NetCash",
        "Buy/Sell",
        "Open/CloseIndicator",
        "Multiplier",
        "LevelOfDetail",
        "Type",
        "Amount",
        "Direction",
        "MarkPrice",
        "PositionValue",
        "ActionDescription",
        "AccountType",
    )
)
_DESCRIPTOR_SECTION = re.compile(r"^[A-Z]{4}$")
# XML element names of the records that carry transactions, and what they are.
ELEMENT_KINDS = {
    "Trade": "trades",
    "CashTransaction": "cash",
    "CorporateAction": "corporate",
    "Transfer": "transfers",
    "OpenPosition": "positions",
    "AccountInformation": "account",
    "StatementOfFundsLine": "funds",
}
TRANSACTION_KINDS = frozenset({"trades", "cash", "corporate", "transfers"})


@dataclass
class Section:
    """Records of one kind (trades, cash, corporate, transfers, positions, account)."""

    kind: str
    records: list[IbkrRecord] = field(default_factory=list)


# CSV ---------------------------------------------------------------------------------


def parse_ibkr_flex_csv(text: str, *, filename: str = "") -> ParseResult:
    """Return the rows of an Interactive Brokers Flex Query CSV."""
    return flex_result(_csv_sections(list(read_csv_records(text))), default_account=None)


def _csv_sections(records: list[CsvRecord]) -> list[Section]:
    sections: list[Section] = []
    header: tuple[str, ...] | None = None
    current: Section | None = None
    for record in records:
        if record.is_blank:
            continue
        first = record.cells[0].strip().upper()
        if first in STRUCTURE_RECORDS:
            continue
        descriptor = None
        if (
            first in {"HEADER", "DATA"}
            and len(record.cells) > 2
            and _DESCRIPTOR_SECTION.match(record.cells[1].strip())
        ):
            descriptor = first
            record = CsvRecord(line=record.line, cells=record.cells[2:])
        if descriptor == "HEADER" or (descriptor is None and _is_header(record)):
            header = record.cells
            current = Section(kind=_kind_of_columns({normal_key(cell) for cell in header}))
            sections.append(current)
        elif current is None or header is None:
            raise ImportFileError(
                f"line {record.line}: data comes before any header row; export the Flex "
                "Query with 'Include column headers' set to Yes"
            )
        else:
            current.records.append(
                IbkrRecord.of(record.line, zip(header, record.cells, strict=False))
            )
    return sections


def _is_header(record: CsvRecord) -> bool:
    keys = {normal_key(cell) for cell in record.cells}
    return "clientaccountid" in keys or len(keys & KNOWN_COLUMNS) >= 3


def _kind_of_columns(keys: set[str]) -> str:
    if keys & {"buysell", "tradeprice"}:
        return "trades"
    if "direction" in keys and keys & {"quantity", "cashtransfer", "transferprice"}:
        return "transfers"
    if "actiondescription" in keys or ({"proceeds", "value", "type"} <= keys):
        return "corporate"
    if {"type", "amount"} <= keys:
        return "cash"
    if keys & {"markprice", "positionvalue"}:
        return "positions"
    if keys & {"activitycode", "balance"} and keys & {"debit", "credit", "amount"}:
        return "funds"
    if keys & {"accounttype", "customertype"}:
        return "account"
    return "other"


# XML ---------------------------------------------------------------------------------


class _LineBuilder(ET.TreeBuilder):
    """A tree builder that notes the line each element starts on."""

    parser: DefusedXMLParser | None = None

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        if self.parser is not None:
            element.set("_line", str(self.parser.parser.CurrentLineNumber))
        return element


def parse_ibkr_flex_xml(content: bytes) -> ParseResult:
    """Return the rows of an Interactive Brokers Flex Query in XML."""
    builder = _LineBuilder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder.parser = parser
    try:
        parser.feed(content)
        root = parser.close()
    except (ET.ParseError, DefusedXmlException, ValueError) as error:
        raise ImportFileError(
            f"not a readable Flex Query XML file: {shown(str(error), 120)}"
        ) from None
    if (
        root.tag in {"FlexStatementResponse", "FlexWebServiceResponse"}
        or root.find(".//ErrorMessage") is not None
    ):
        message = root.findtext(".//ErrorMessage") or root.findtext(".//Status") or "no statement"
        raise ImportFileError(
            f"the file is IBKR's answer to a Flex request, not a statement ({shown(message)}); "
            "download the statement itself"
        )
    statements = list(root.iter("FlexStatement")) or [root]
    sections: list[Section] = []
    for statement in statements:
        account = statement.get("accountId")
        by_kind: dict[str, Section] = {}
        for element in statement.iter():
            kind = ELEMENT_KINDS.get(element.tag)
            if kind is None:
                continue
            pairs = [(name, value) for name, value in element.attrib.items() if name != "_line"]
            if account and not any(
                normal_key(name) in {"accountid", "clientaccountid"} for name, _ in pairs
            ):
                pairs.append(("accountId", account))
            record = IbkrRecord.of(int(element.get("_line", "0")), pairs)
            by_kind.setdefault(kind, Section(kind)).records.append(record)
        sections.extend(by_kind.values())
    return flex_result(sections, default_account=None)


# Both ---------------------------------------------------------------------------------


def flex_result(sections: list[Section], *, default_account: str | None) -> ParseResult:
    """Return the rows of a Flex Query's sections, every account's to its own."""
    transaction_sections = [s for s in sections if s.kind in TRANSACTION_KINDS]
    if not transaction_sections:
        if any(s.kind == "funds" for s in sections):
            raise ImportFileError(
                "the Flex Query holds only the Statement of Funds (cash balances), whose "
                f"lines do not say what each one is; {FLEX_ADVICE}"
            )
        raise ImportFileError(
            "no Trades, Cash Transactions, Corporate Actions or Transfers section (with column "
            f"headers) was found in the Flex Query; {FLEX_ADVICE}"
        )
    accounts: dict[str, FileAccount] = {}
    for section in sections:
        for record in section.records:
            number = record.get("account") or default_account
            if not number:
                continue
            label = record.get("accounttype", "customertype") if section.kind == "account" else ""
            if number not in accounts or label:
                accounts[number] = FileAccount(
                    number=number,
                    institution=INSTITUTION,
                    label=label or (accounts[number].label if number in accounts else ""),
                    type=account_type_in_text(label)
                    if label
                    else (accounts[number].type if number in accounts else None),
                    currency=(record.get("currency") or None)
                    if section.kind == "account"
                    else None,
                )
    outcomes = []
    for section in transaction_sections:
        if section.kind == "trades":
            outcomes.extend(_trade_outcomes(section, default_account))
            continue
        reader = {
            "cash": cash_outcomes,
            "corporate": corporate_outcomes,
            "transfers": transfer_outcomes,
        }[section.kind]
        for record in section.records:
            outcomes.append(reader(record, record.get("account") or default_account))
    positions = [
        position
        for section in sections
        if section.kind == "positions"
        for position in _positions(section, default_account)
    ]
    return broker_result(outcomes, FORMAT, accounts=accounts.values(), positions=positions)


def _trade_outcomes(section: Section, default_account: str | None) -> list:
    levels = [record.get("level").upper() for record in section.records]
    wanted = "EXECUTION" if "EXECUTION" in levels else ""
    outcomes = []
    for record, level in zip(section.records, levels, strict=True):
        if level and level != wanted and not (wanted == "" and level == "ORDER"):
            outcomes.append(SkippedRow(record.line, SUMMARY_LEVELS))
        else:
            outcomes.append(trade_outcomes(record, record.get("account") or default_account))
    return outcomes


def _positions(section: Section, default_account: str | None) -> list[StatementPosition]:
    found = []
    for record in section.records:
        if record.get("level").upper() not in {"", "SUMMARY"}:
            continue  # lots of a position: its summary line has the whole of it
        symbol = symbol_of(record)
        try:
            quantity = parse_broker_amount(record.get("quantity", "positionamount"))
            as_of = ibkr_date(record.get("reportdate")) if record.get("reportdate") else None
        except ValueProblem:
            continue
        if symbol is None or quantity is None:
            continue
        found.append(
            StatementPosition(
                account_number=record.get("account") or default_account,
                symbol=symbol,
                quantity=Decimal(quantity),
                as_of=as_of,
                security_name=record.get("description") or None,
            )
        )
    return found


def looks_like_flex_header(keys: set[str]) -> bool:
    """Return True for a Flex Query header row (``header_key`` forms)."""
    compact = {normal_key(key) for key in keys}
    return (
        "clientaccountid" in compact
        or "currencyprimary" in compact
        or {
            "buysell",
            "tradeprice",
        }
        <= compact
    )


__all__ = ["header_key", "looks_like_flex_header", "parse_ibkr_flex_csv", "parse_ibkr_flex_xml"]
