"""Parse Charles Schwab's brokerage "Transactions" CSV export.

Layout: an optional title line (``"Transactions  for account ... as of ..."``), the header
``"Date","Action","Symbol","Description","Quantity","Price","Fees & Comm","Amount"``, the
transactions, and in older exports a closing ``"Transactions Total"`` line. Money is
written "$1,234.56" / "-$1,234.56"; quantities are unsigned ("1,000"), the amount is
signed. A date may read ``01/16/2024 as of 01/12/2024``: the "as of" date is the day the
transaction took effect (a dividend's pay date, a month's interest) and is the trade date.

Notes on the mapping:

- ``Reinvest Shares`` is a BUY: Schwab reports the dividend on its own
  ``Reinvest Dividend`` (or ``Qualified Dividend``) line, so REINVEST would count it twice.
- ``Qualified Dividend`` rows are ``qualified``, ``Non-Qualified Div`` rows ``ordinary``,
  capital-gain distributions ``capital_gain``; ``Cash Dividend`` leaves the income class
  to the security's default.
- Journals and MoneyLink transfers of cash are DEPOSIT or WITHDRAWAL by their sign; the
  file does not name the account on the other side.
"""

from __future__ import annotations

import re
from datetime import date

from portfolios.imports.broker_rows import (
    OPTIONS_UNSUPPORTED,
    SHARES_MOVED,
    ActionMapping,
    BrokerColumns,
    BrokerLine,
    BrokerOutcome,
    CellReader,
    broker_result,
    broker_row,
    cash_flow,
    clean_symbol,
    is_footer,
    maps_to,
    rejected,
    skipped,
)
from portfolios.imports.csv_records import ColumnIndex, CsvRecord, header_key, read_csv_records
from portfolios.imports.rows import ZERO, ImportFileError, ParseResult, RowError
from portfolios.imports.values import ValueProblem, parse_us_date

FORMAT = "schwab"
FEES = ("Fees & Comm", "Fees & Commissions", "Fees")
COLUMNS = BrokerColumns(action="Action", symbol="Symbol", quantity="Quantity", amount="Amount")
_AS_OF = re.compile(r"^\s*(\S+)\s+as\s+of\s+(\S+)\s*$", re.IGNORECASE)

_DIVIDEND = maps_to("DIVIDEND")
_QUALIFIED = maps_to("DIVIDEND", income_class="qualified")
_ORDINARY = maps_to("DIVIDEND", income_class="ordinary")
_CAPITAL_GAIN = maps_to("DIVIDEND", income_class="capital_gain")
_INTEREST = maps_to("INTEREST")
_FEE = maps_to("FEE")
_TAX = maps_to("TAX_WITHHELD")
_OPTIONS = rejected(OPTIONS_UNSUPPORTED)

# Keys are Schwab's action names, lower-cased with single spaces.
ACTIONS: dict[str, ActionMapping] = {
    "buy": maps_to("BUY"),
    "sell": maps_to("SELL"),
    "reinvest shares": maps_to("BUY"),
    "qualified dividend": _QUALIFIED,
    "qual div reinvest": _QUALIFIED,
    "special qual div": _QUALIFIED,
    "pr yr special qual div": _QUALIFIED,
    "non-qualified div": _ORDINARY,
    "special non qual div": _ORDINARY,
    "pr yr non-qual div": _ORDINARY,
    "cash dividend": _DIVIDEND,
    "reinvest dividend": _DIVIDEND,
    "special dividend": _DIVIDEND,
    "pr yr cash div": _DIVIDEND,
    "pr yr div reinvest": _DIVIDEND,
    "long term cap gain": _CAPITAL_GAIN,
    "short term cap gain": _CAPITAL_GAIN,
    "long term cap gain reinvest": _CAPITAL_GAIN,
    "short term cap gain reinvest": _CAPITAL_GAIN,
    "return of capital": maps_to("RETURN_OF_CAPITAL"),
    "bank interest": _INTEREST,
    "credit interest": _INTEREST,
    "bond interest": _INTEREST,
    "margin interest": _FEE,
    "adr mgmt fee": _FEE,
    "service fee": _FEE,
    "wire fee": _FEE,
    "nra tax adj": _TAX,
    "nra withholding": _TAX,
    "foreign tax paid": _TAX,
    "foreign tax withheld": _TAX,
    "moneylink transfer": cash_flow(),
    "moneylink deposit": cash_flow(),
    "funds received": cash_flow(),
    "wire funds received": cash_flow(),
    "wire funds": cash_flow(),
    "wire sent": cash_flow(),
    "journal": cash_flow(),
    "internal transfer": cash_flow(),
    "stock split": maps_to("SPLIT"),
    "sell to open": maps_to("OPTION_PREMIUM"),
    "expired": skipped("an option expired worthless; no cash or shares moved"),
    "buy to open": _OPTIONS,
    "buy to close": _OPTIONS,
    "sell to close": _OPTIONS,
    "assigned": _OPTIONS,
    "exchange or exercise": _OPTIONS,
    "security transfer": rejected(SHARES_MOVED),
    "journaled shares": rejected(SHARES_MOVED),
    "cash in lieu": rejected(
        "cash paid for a fractional share; enter it as a SELL of the fraction by hand"
    ),
}


def parse_schwab_csv(text: str) -> ParseResult:
    """Return the rows of a Schwab Transactions export.

    Raises ImportFileError when there is no Schwab header row.
    """
    records = list(read_csv_records(text))
    header_at = _header_position(records)
    columns = ColumnIndex(records[header_at])
    columns.require("Date", "Action", "Amount")
    data = [
        record
        for record in records[header_at + 1 :]
        if not record.is_blank and not is_footer(record, _looks_like_date)
    ]
    return broker_result((_parse_record(record, columns) for record in data), FORMAT)


def _header_position(records: list[CsvRecord]) -> int:
    for position, record in enumerate(records):
        keys = {header_key(cell) for cell in record.cells}
        if {"date", "action", "amount"} <= keys and keys & {header_key(name) for name in FEES}:
            return position
    raise ImportFileError(
        "no Schwab header row ('Date', 'Action', ..., 'Fees & Comm', 'Amount') was found"
    )


def schwab_date(text: str) -> date:
    """Return the trade date of a Schwab date cell: the "as of" date when there is one."""
    match = _AS_OF.match(text)
    return parse_us_date(match.group(2) if match else text)


def _looks_like_date(text: str) -> bool:
    try:
        schwab_date(text)
    except ValueProblem:
        return False
    return True


def _parse_record(record: CsvRecord, columns: ColumnIndex) -> BrokerOutcome | list[RowError]:
    cells = CellReader(record, columns)
    trade_date = cells.date(schwab_date, "Date")
    quantity = cells.amount("Quantity")
    price = cells.amount("Price")
    fees = cells.amount(*FEES)
    net = cells.amount("Amount")
    if cells.errors or trade_date is None:
        return cells.errors
    action = cells.text("Action")
    mapping = ACTIONS.get(" ".join(action.split()).lower())
    if mapping is None:
        return RowError(record.line, "Action", f"unrecognised action '{action}'")
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=action,
        symbol=clean_symbol(cells.text("Symbol")),
        description=cells.text("Description"),
        quantity=quantity or None,
        price=price or None,
        fees=abs(fees or ZERO),
        net=net,
    )
    return broker_row(line, mapping, COLUMNS)
