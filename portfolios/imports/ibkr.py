"""Parse an Interactive Brokers Flex Query exported as CSV.

A Flex Query CSV holds one section per selected report, each starting with its own header
row. Three variants of the same data are read:

- plain: header row, data rows, next section's header row, ...;
- with header and trailer records: ``BOF``/``BOA``/``BOS``/``EOS``/``EOA``/``EOF`` lines
  around the sections (ignored);
- with section codes and line descriptors: every line starts ``"HEADER","TRNT",...`` or
  ``"DATA","CTRN",...`` (the two leading cells are dropped).

Two sections are imported, recognised by their columns: **Trades** (a ``Buy/Sell`` or
``TradePrice`` column) and **Cash Transactions** (``Type`` and ``Amount``). Every other
section (open positions, cash report, NAV, ...) holds no transactions and is ignored.

Notes on the mapping:

- Trades: stocks, ETFs, funds and bonds are BUY/SELL; fees are the IB commission plus
  transaction taxes; the gross is ``TradeMoney`` (else ``Proceeds``). When the query breaks
  trades down by level of detail, only ``EXECUTION`` lines are imported and order,
  closed-lot and summary lines are skipped (they repeat the executions). Writing an option
  (SELL with open indicator ``O``) is an OPTION_PREMIUM; other option trades, futures and
  currency conversions are refused.
- Cash transactions: ``Dividends`` leave the income class to the security default;
  ``Payment In Lieu Of Dividends`` are ``ordinary`` (substitute payments never qualify);
  ``Withholding Tax`` is TAX_WITHHELD; interest received is INTEREST; interest paid and
  fees are FEE; ``Deposits/Withdrawals`` follow their sign.
- Dates: ``TradeDate`` for trades, the date part of ``Date/Time`` for cash transactions,
  in any of IBKR's date formats (``yyyyMMdd``, ``yyyy-MM-dd``, ``MM/dd/yyyy``).
- ``TransactionID`` (else ``TradeID``) is the external id; ``CurrencyPrimary`` the currency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from portfolios.imports.broker_rows import (
    OPTIONS_UNSUPPORTED,
    ActionMapping,
    BrokerColumns,
    BrokerLine,
    BrokerOutcome,
    CellReader,
    broker_result,
    broker_row,
    cash_flow,
    check_single_account,
    clean_symbol,
    maps_to,
    rejected,
)
from portfolios.imports.csv_records import ColumnIndex, CsvRecord, header_key, read_csv_records
from portfolios.imports.rows import ZERO, ImportFileError, ParseResult, RowError, SkippedRow
from portfolios.imports.values import parse_broker_date

FORMAT = "ibkr"
STRUCTURE_RECORDS = frozenset({"BOF", "EOF", "BOA", "EOA", "BOS", "EOS"})
KNOWN_COLUMNS = frozenset(
    header_key(name)
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
    )
)
CURRENCY = ("CurrencyPrimary", "Currency")
TRANSACTION_ID = ("TransactionID", "TradeID", "IBExecID")
SECURITY_ASSET_CLASSES = frozenset({"", "STK", "ETF", "FUND", "BOND", "BILL"})
SUMMARY_LEVELS = "order, closed-lot or summary line; its executions are imported"

TRADE_COLUMNS = BrokerColumns(
    action="Buy/Sell", symbol="Symbol", quantity="Quantity", amount="NetCash"
)
CASH_COLUMNS = BrokerColumns(action="Type", symbol="Symbol", quantity="Quantity", amount="Amount")

_FEE = maps_to("FEE")
_INTEREST = maps_to("INTEREST")
_TAX = maps_to("TAX_WITHHELD")
# Keys are IBKR's cash transaction types, lower-cased with single spaces.
CASH_TYPES: dict[str, ActionMapping] = {
    "dividends": maps_to("DIVIDEND"),
    "payment in lieu of dividends": maps_to("DIVIDEND", income_class="ordinary"),
    "withholding tax": _TAX,
    "871(m) withholding": _TAX,
    "broker interest received": _INTEREST,
    "bond interest received": _INTEREST,
    "broker interest paid": _FEE,
    "other fees": _FEE,
    "advisor fees": _FEE,
    "broker fees": _FEE,
    "commission adjustments": _FEE,
    "deposits/withdrawals": cash_flow(cash_only=False),
    "deposits & withdrawals": cash_flow(cash_only=False),
    "bond interest paid": rejected(
        "accrued interest paid with a bond purchase; add it to that BUY's amount by hand"
    ),
}
_DESCRIPTOR_SECTION = re.compile(r"^[A-Z]{4}$")
_DATE_TIME_SEPARATOR = re.compile(r"[;,T ]")


@dataclass
class _Section:
    kind: str
    columns: ColumnIndex
    records: list[CsvRecord] = field(default_factory=list)


def parse_ibkr_flex_csv(text: str) -> ParseResult:
    """Return the rows of an Interactive Brokers Flex Query CSV.

    Raises ImportFileError when the file has neither a Trades nor a Cash Transactions
    section, has data before any header row, or mixes accounts.
    """
    sections = _sections(list(read_csv_records(text)))
    imported = [section for section in sections if section.kind != "other"]
    if not imported:
        raise ImportFileError(
            "no Trades or Cash Transactions section (with column headers) was found in the "
            "Flex Query"
        )
    check_single_account(
        section.columns.get(record, "ClientAccountID")
        for section in imported
        for record in section.records
    )
    outcomes: list[BrokerOutcome | list[RowError]] = []
    for section in imported:
        if section.kind == "trades":
            outcomes.extend(_trade_outcomes(section))
        else:
            outcomes.extend(_cash_outcome(record, section.columns) for record in section.records)
    outcomes.sort(key=_outcome_line)
    return broker_result(outcomes, FORMAT)


def _outcome_line(outcome: BrokerOutcome | list[RowError]) -> int:
    if isinstance(outcome, list):
        return outcome[0].line if outcome else 0
    return outcome.line


def _sections(records: list[CsvRecord]) -> list[_Section]:
    sections: list[_Section] = []
    current: _Section | None = None
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
            columns = ColumnIndex(record)
            current = _Section(kind=_section_kind(columns), columns=columns)
            sections.append(current)
        elif current is None:
            raise ImportFileError(
                f"line {record.line}: data comes before any header row; export the Flex "
                "Query with column headers included"
            )
        else:
            current.records.append(record)
    return sections


def _is_header(record: CsvRecord) -> bool:
    keys = {header_key(cell) for cell in record.cells}
    return "clientaccountid" in keys or len(keys & KNOWN_COLUMNS) >= 3


def _section_kind(columns: ColumnIndex) -> str:
    if columns.has("Buy/Sell") or columns.has("TradePrice"):
        return "trades"
    if columns.has("Type") and columns.has("Amount"):
        return "cash"
    return "other"


def _date_part(text: str) -> date:
    return parse_broker_date(_DATE_TIME_SEPARATOR.split(text.strip(), maxsplit=1)[0])


def _trade_outcomes(section: _Section) -> list[BrokerOutcome | list[RowError]]:
    columns = section.columns
    levels = [columns.get(record, "LevelOfDetail").upper() for record in section.records]
    wanted = "EXECUTION" if "EXECUTION" in levels else ""
    outcomes: list[BrokerOutcome | list[RowError]] = []
    for record, level in zip(section.records, levels, strict=True):
        if level and level != wanted and not (wanted == "" and level == "ORDER"):
            outcomes.append(SkippedRow(record.line, SUMMARY_LEVELS))
        else:
            outcomes.append(_trade_outcome(record, columns))
    return outcomes


def _trade_mapping(side: str, asset_class: str, open_close: str) -> ActionMapping | None:
    if "(CA.)" in side:
        return rejected(
            "a cancelled trade; run the Flex Query with 'Include Canceled Trades' set to No"
        )
    if asset_class == "CASH":
        return rejected("a currency conversion; Hearth does not import currency trades")
    if asset_class == "OPT":
        if side.startswith("SELL") and open_close.startswith("O"):
            return maps_to("OPTION_PREMIUM")
        return rejected(OPTIONS_UNSUPPORTED)
    if asset_class not in SECURITY_ASSET_CLASSES:
        return rejected(f"asset class {asset_class} is not supported")
    if side.startswith("BUY"):
        return maps_to("BUY")
    if side.startswith("SELL"):
        return maps_to("SELL")
    return None


def _trade_outcome(record: CsvRecord, columns: ColumnIndex) -> BrokerOutcome | list[RowError]:
    cells = CellReader(record, columns)
    date_column = columns.first_present("TradeDate", "DateTime", "Date/Time") or "TradeDate"
    trade_date = cells.date(_date_part, date_column)
    quantity = cells.amount("Quantity")
    price = cells.amount("TradePrice")
    trade_money = cells.amount("TradeMoney")
    proceeds = cells.amount("Proceeds")
    commission = cells.amount("IBCommission")
    taxes = cells.amount("Taxes")
    net_cash = cells.amount("NetCash")
    if cells.errors or trade_date is None:
        return cells.errors
    side = cells.text("Buy/Sell").upper()
    if not side and quantity:
        side = "BUY" if quantity > 0 else "SELL"
    mapping = _trade_mapping(
        side, cells.text("AssetClass").upper(), cells.text("Open/CloseIndicator").upper()
    )
    if mapping is None:
        return RowError(record.line, "Buy/Sell", f"unrecognised trade side '{side}'")
    fees = abs(commission or ZERO) + abs(taxes or ZERO)
    if net_cash is None and proceeds is not None:
        net_cash = proceeds - fees
    gross: Decimal | None = trade_money if trade_money is not None else proceeds
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=side,
        symbol=clean_symbol(cells.text("Symbol")),
        description=cells.text("Description"),
        quantity=quantity or None,
        price=price or None,
        fees=fees,
        net=net_cash,
        gross=gross,
        currency=cells.text(*CURRENCY).upper() or None,
        external_id=cells.text(*TRANSACTION_ID),
    )
    return broker_row(line, mapping, TRADE_COLUMNS)


def _cash_outcome(record: CsvRecord, columns: ColumnIndex) -> BrokerOutcome | list[RowError]:
    if columns.get(record, "LevelOfDetail").upper() == "SUMMARY":
        return SkippedRow(record.line, "summary line; its detail lines are imported")
    cells = CellReader(record, columns)
    date_column = (
        columns.first_present("Date/Time", "DateTime", "SettleDate", "ReportDate") or "Date/Time"
    )
    trade_date = cells.date(_date_part, date_column)
    amount = cells.amount("Amount")
    if cells.errors or trade_date is None:
        return cells.errors
    cash_type = cells.text("Type")
    mapping = CASH_TYPES.get(" ".join(cash_type.split()).lower())
    if mapping is None:
        return RowError(record.line, "Type", f"unrecognised cash transaction type '{cash_type}'")
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=cash_type,
        symbol=clean_symbol(cells.text("Symbol")),
        description=cells.text("Description"),
        quantity=None,
        price=None,
        fees=ZERO,
        net=amount,
        currency=cells.text(*CURRENCY).upper() or None,
        external_id=cells.text(*TRANSACTION_ID),
        # A cash transaction's description says what was paid ("AAPL(US...) CASH
        # DIVIDEND USD 0.24 PER SHARE"), not what the security is called.
        description_is_security_name=False,
    )
    return broker_row(line, mapping, CASH_COLUMNS)
