"""Parse Vanguard's brokerage download ("OfxDownload.csv", CSV flavour).

Layout: sections separated by blank lines, each starting with its own header row. A
holdings section (``Account Number, Investment Name, Symbol, Shares, Share Price, Total
Value``) per account, then a transactions section per account (``Account Number, Trade
Date, Settlement Date, Transaction Type, Transaction Description, Investment Name,
Symbol, Shares, Share Price, Principal Amount, Commissions and Fees, Net Amount, Accrued
Interest, Account Type``; the fee column is also spelled "Commission Fees" or
"Commission/Fee"; lines often end with a trailing comma). A section may be empty, header
only, at the end of the file. Dates are ``YYYY-MM-DD`` in current exports and
``MM/DD/YYYY`` in older ones. Shares sold and cash paid out are negative. Every row names
its account number, and a file with several accounts goes in whole, each row to its own.

Holdings are kept as the statement's positions (to reconcile with Hearth's), except the
settlement fund, which Hearth counts as cash.

Notes on the mapping:

- ``Sweep in`` / ``Sweep out`` only move money between the account's cash and its
  settlement fund (VMFXX): skipped. For the same reason a ``Reinvestment`` into the
  settlement fund is skipped; its ``Dividend`` line is kept.
- Any other ``Reinvestment`` is a BUY: the dividend has its own ``Dividend`` line.
- ``Funds Received`` / ``Withdrawal`` are DEPOSIT / WITHDRAWAL. In a 529 or mutual-fund
  account (``Fund Account Number`` holdings, no Symbol column: the investment's name is its
  symbol) a contribution buys shares at once: a DEPOSIT and a BUY; a withdrawal sells
  them: a SELL and a WITHDRAWAL. Transfers of shares in
  from elsewhere are OPENINGs of unknown basis; ``Conversion`` (one share class into
  another) moves the basis from the old shares to the new.
"""

from __future__ import annotations

from decimal import Decimal

from portfolios.imports.broker_rows import (
    WRITTEN_ASSIGNED,
    ActionMapping,
    BrokerColumns,
    BrokerLine,
    BrokerOutcome,
    CellReader,
    broker_result,
    broker_rows,
    cash_flow,
    clean_symbol,
    counterparty_in_text,
    maps_to,
    skipped,
    special,
)
from portfolios.imports.csv_records import ColumnIndex, CsvRecord, header_key, read_csv_records
from portfolios.imports.rows import (
    ZERO,
    FileAccount,
    ImportFileError,
    ParseResult,
    RowError,
    StatementPosition,
)
from portfolios.imports.values import ValueProblem, parse_broker_amount, parse_broker_date, shown

FORMAT = "vanguard"
INSTITUTION = "Vanguard"
SETTLEMENT_FUNDS = frozenset({"VMFXX", "VMRXX", "VUSXX"})
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
    "advisory fee": maps_to("FEE"),
    "tax withholding": maps_to("TAX_WITHHELD"),
    "foreign tax withheld": maps_to("TAX_WITHHELD"),
    "funds received": cash_flow(),
    "withdrawal": cash_flow(),
    "contribution": cash_flow(),
    "distribution": cash_flow(),
    "rollover (incoming)": cash_flow(),
    "transfer (incoming)": cash_flow(),
    "transfer (outgoing)": cash_flow(),
    "stock split": special("split"),
    "reverse stock split": special("split"),
    "sweep in": skipped(SWEEP),
    "sweep out": skipped(SWEEP),
    "conversion (incoming)": special("merger_stock"),
    "conversion (outgoing)": special("merger_stock"),
    "exchange (incoming)": special("merger_stock"),
    "exchange (outgoing)": special("merger_stock"),
    "corp action (exchange)": special("merger_stock"),
    "stock merger": special("merger_stock"),
    "cash merger": special("merger_cash"),
    "redemption": special("merger_cash"),
    "matured": special("merger_cash"),
    "spinoff": special("spinoff"),
    "spin-off": special("spinoff"),
    "cash in lieu": special("cash_in_lieu"),
    "sell to open": maps_to("OPTION_PREMIUM"),
    "buy to open": maps_to("BUY"),
    "buy to close": special("close_written"),
    "sell to close": maps_to("SELL"),
    "expired": special("expire"),
    "assignment": skipped(WRITTEN_ASSIGNED),
    "assigned": skipped(WRITTEN_ASSIGNED),
    "exercise": special("exercise"),
    "sell short": special("short_open"),
    "buy to cover": special("short_cover"),
}


def parse_vanguard_csv(text: str, *, filename: str = "") -> ParseResult:
    """Return the rows of a Vanguard brokerage download, every account in it.

    Raises ImportFileError when there is no transactions section.
    """
    sections = _sections(list(read_csv_records(text)))
    transactions = [section for section in sections if section[0].has("Trade Date")]
    if not transactions:
        raise ImportFileError(
            "no Vanguard transactions header ('Trade Date', 'Transaction Type', ...) was "
            "found; download the account's transaction history as CSV"
        )
    accounts: dict[str, FileAccount] = {}
    outcomes = []
    for columns, records in transactions:
        columns.require("Trade Date", "Transaction Type", "Net Amount")
        for record in records:
            number = columns.get(record, "Account Number") or None
            if number and number not in accounts:
                accounts[number] = FileAccount(number=number, institution=INSTITUTION)
            outcomes.append(_parse_record(record, columns, number))
    positions = [
        position
        for columns, records in sections
        if not columns.has("Trade Date")
        for position in _holdings(columns, records)
    ]
    for position in positions:
        if position.account_number and position.account_number not in accounts:
            accounts[position.account_number] = FileAccount(
                number=position.account_number, institution=INSTITUTION
            )
    return broker_result(outcomes, FORMAT, accounts=accounts.values(), positions=positions)


def _is_header(record: CsvRecord) -> bool:
    keys = {header_key(cell) for cell in record.cells}
    if "fund account number" in keys and "fund name" in keys:
        return True  # a 529 or mutual-fund account's holdings
    return "account number" in keys and bool(keys & {"trade date", "investment name", "symbol"})


def _sections(records: list[CsvRecord]) -> list[tuple[ColumnIndex, list[CsvRecord]]]:
    """Return each section's columns and data rows; a header with no rows is dropped."""
    sections: list[tuple[ColumnIndex, list[CsvRecord]]] = []
    for record in records:
        if record.is_blank:
            continue
        if _is_header(record):
            sections.append((ColumnIndex(record, strict=False), []))
        elif sections:
            sections[-1][1].append(record)
    return [section for section in sections if section[1]]


def _holdings(columns: ColumnIndex, records: list[CsvRecord]) -> list[StatementPosition]:
    found = []
    for record in records:
        name = columns.get(record, "Investment Name", "Fund Name")
        symbol = clean_symbol(columns.get(record, "Symbol") or name)
        if not symbol or symbol in SETTLEMENT_FUNDS:
            continue
        try:
            shares = parse_broker_amount(columns.get(record, "Shares"))
        except ValueProblem:
            continue
        if shares is None:
            continue
        found.append(
            StatementPosition(
                account_number=columns.get(record, "Account Number", "Fund Account Number") or None,
                symbol=symbol,
                quantity=shares,
                as_of=None,
                security_name=name or None,
            )
        )
    return found


def _mapping_for(
    transaction_type: str, symbol: str | None, shares: Decimal | None
) -> ActionMapping | None:
    key = " ".join(transaction_type.split()).lower()
    if key == "reinvestment" and symbol in SETTLEMENT_FUNDS:
        return skipped(SWEEP)
    # 529 and mutual-fund accounts buy and sell straight from contributions and
    # withdrawals: the money comes in (or goes out) with the shares.
    if key.startswith(("contribution", "rollover")) and shares and shares > 0:
        return special("vest")
    if key.startswith(("withdrawal", "distribution", "redemption")) and shares and shares < 0:
        return special("redeem_out")
    if key in ACTIONS:
        return ACTIONS[key]
    if key.startswith("contribution"):
        return cash_flow()
    if "dividend" in key:
        return maps_to("DIVIDEND")
    if "transfer" in key or "journal" in key:
        return cash_flow()
    return None


def _parse_record(
    record: CsvRecord, columns: ColumnIndex, number: str | None
) -> list[BrokerOutcome] | list[RowError] | RowError:
    cells = CellReader(record, columns)
    trade_date = cells.date(parse_broker_date, "Trade Date")
    shares = cells.amount("Shares")
    price = cells.amount("Share Price")
    principal = cells.amount("Principal Amount", "Gross Amount")
    fees = cells.amount(*FEES)
    net = cells.amount("Net Amount")
    if cells.errors or trade_date is None:
        return cells.errors
    transaction_type = cells.text("Transaction Type")
    symbol = clean_symbol(cells.text("Symbol"))
    if symbol is None and shares:
        symbol = clean_symbol(_investment_name(cells) or "")  # 529 files give no symbol
    mapping = _mapping_for(transaction_type, symbol, shares)
    if mapping is None:
        return RowError(
            record.line,
            "Transaction Type",
            f"unrecognised transaction type '{shown(transaction_type)}'; enter this line by "
            "hand in a Hearth CSV",
        )
    description = cells.text("Transaction Description")
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=transaction_type,
        symbol=symbol,
        description=description,
        security_name=_investment_name(cells),
        quantity=shares or None,
        price=price or None,
        fees=abs(fees or ZERO),
        net=net,
        gross=principal,
        account_number=number,
        counterparty=counterparty_in_text(description),
    )
    return broker_rows(line, mapping, COLUMNS)


def _investment_name(cells: CellReader) -> str | None:
    name = cells.text("Investment Name")
    return None if not name or name.upper() == "CASH" else name
