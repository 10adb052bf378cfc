"""Parse Vanguard's brokerage download ("OfxDownload.csv", CSV flavour).

Layout: a holdings section (``Account Number, Investment Name, Symbol, Shares, Share
Price, Total Value``), blank lines, then the transactions section whose header is
``Account Number, Trade Date, Settlement Date, Transaction Type, Transaction Description,
Investment Name, Symbol, Shares, Share Price, Principal Amount, Commissions and Fees,
Net Amount, Accrued Interest, Account Type`` (the fee column is also spelled "Commission
Fees" or "Commission/Fee"; lines often end with a trailing comma). The holdings section is
ignored. Dates are ``YYYY-MM-DD`` in current exports and ``MM/DD/YYYY`` in older ones.
Shares sold and cash paid out are negative.

Notes on the mapping:

- ``Sweep in`` / ``Sweep out`` only move money between the account's cash and its
  settlement fund (VMFXX), which Hearth counts as cash: skipped. For the same reason a
  ``Reinvestment`` into the settlement fund is skipped; its ``Dividend`` line is kept.
- Any other ``Reinvestment`` is a BUY: the dividend has its own ``Dividend`` line.
- ``Funds Received`` / ``Withdrawal`` are DEPOSIT / WITHDRAWAL.
- One file can hold several accounts; it is refused unless it holds one.
"""

from __future__ import annotations

from portfolios.imports.broker_rows import (
    SHARES_MOVED,
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
    skipped,
)
from portfolios.imports.csv_records import ColumnIndex, CsvRecord, header_key, read_csv_records
from portfolios.imports.rows import ZERO, ImportFileError, ParseResult, RowError
from portfolios.imports.values import parse_broker_date

FORMAT = "vanguard"
SETTLEMENT_FUNDS = frozenset({"VMFXX"})
SWEEP = "moves cash to or from the settlement fund, which Hearth counts as cash"
FEES = (
    "Commissions and Fees",
    "Commission Fees",
    "Commissions & Fees",
    "Commission/Fee",
    "Commission",
)
COLUMNS = BrokerColumns(
    action="Transaction Type", symbol="Symbol", quantity="Shares", amount="Net Amount"
)

_CAPITAL_GAIN = maps_to("DIVIDEND", income_class="capital_gain")
# Keys are Vanguard's transaction types, lower-cased with single spaces.
ACTIONS: dict[str, ActionMapping] = {
    "buy": maps_to("BUY"),
    "sell": maps_to("SELL"),
    "reinvestment": maps_to("BUY"),
    "dividend": maps_to("DIVIDEND"),
    "capital gain (lt)": _CAPITAL_GAIN,
    "capital gain (st)": _CAPITAL_GAIN,
    "return of capital": maps_to("RETURN_OF_CAPITAL"),
    "interest": maps_to("INTEREST"),
    "fee": maps_to("FEE"),
    "tax withholding": maps_to("TAX_WITHHELD"),
    "foreign tax withheld": maps_to("TAX_WITHHELD"),
    "funds received": cash_flow(),
    "withdrawal": cash_flow(),
    "transfer (incoming)": cash_flow(),
    "transfer (outgoing)": cash_flow(),
    "stock split": maps_to("SPLIT"),
    "sweep in": skipped(SWEEP),
    "sweep out": skipped(SWEEP),
    "conversion (incoming)": rejected(SHARES_MOVED),
    "conversion (outgoing)": rejected(SHARES_MOVED),
}


def parse_vanguard_csv(text: str) -> ParseResult:
    """Return the rows of a Vanguard brokerage download.

    Raises ImportFileError when there is no transactions section or it mixes accounts.
    """
    records = list(read_csv_records(text))
    header_at = _header_position(records)
    columns = ColumnIndex(records[header_at])
    columns.require("Trade Date", "Transaction Type", "Net Amount")
    data = [record for record in records[header_at + 1 :] if not record.is_blank]
    check_single_account(columns.get(record, "Account Number") for record in data)
    return broker_result((_parse_record(record, columns) for record in data), FORMAT)


def _header_position(records: list[CsvRecord]) -> int:
    for position, record in enumerate(records):
        keys = {header_key(cell) for cell in record.cells}
        if {"trade date", "transaction type"} <= keys:
            return position
    raise ImportFileError(
        "no Vanguard transactions header ('Trade Date', 'Transaction Type', ...) was found"
    )


def _mapping_for(transaction_type: str, symbol: str | None) -> ActionMapping | None:
    key = " ".join(transaction_type.split()).lower()
    if key == "reinvestment" and symbol in SETTLEMENT_FUNDS:
        return skipped(SWEEP)
    return ACTIONS.get(key)


def _parse_record(record: CsvRecord, columns: ColumnIndex) -> BrokerOutcome | list[RowError]:
    cells = CellReader(record, columns)
    trade_date = cells.date(parse_broker_date, "Trade Date")
    shares = cells.amount("Shares")
    price = cells.amount("Share Price")
    principal = cells.amount("Principal Amount")
    fees = cells.amount(*FEES)
    net = cells.amount("Net Amount")
    if cells.errors or trade_date is None:
        return cells.errors
    transaction_type = cells.text("Transaction Type")
    symbol = clean_symbol(cells.text("Symbol"))
    mapping = _mapping_for(transaction_type, symbol)
    if mapping is None:
        return RowError(
            record.line, "Transaction Type", f"unrecognised transaction type '{transaction_type}'"
        )
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=transaction_type,
        symbol=symbol,
        description=cells.text("Transaction Description"),
        security_name=_investment_name(cells),
        quantity=shares or None,
        price=price or None,
        fees=abs(fees or ZERO),
        net=net,
        gross=principal,
    )
    return broker_row(line, mapping, COLUMNS)


def _investment_name(cells: CellReader) -> str | None:
    name = cells.text("Investment Name")
    return None if not name or name.upper() == "CASH" else name
