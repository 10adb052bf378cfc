"""Parse Fidelity's "Accounts History" CSV export.

Layout: a few blank (or all-comma) lines, the header ``Run Date, Action, Symbol,
Description, Type, Quantity, Price ($), Commission ($), Fees ($), Accrued Interest ($),
Amount ($), Settlement Date`` (older exports say "Security Description" and "Security
Type"; newer ones add "Account", "Account Number" and "Cash Balance ($)"), the
transactions, then blank lines and a quoted disclaimer ending "Date downloaded ...".
Quantities and amounts are signed (sold shares and money paid out are negative).

The action text says what happened ("YOU BOUGHT VANGUARD ... (VTI) (Cash)"); the first
matching rule below decides the Hearth type. Notes:

- ``REINVESTMENT`` is a BUY: Fidelity reports the dividend itself on its own
  ``DIVIDEND RECEIVED`` line, so a REINVEST (dividend and buy) would count it twice.
- The core position (SPAXX, FDRXX, ...) is the account's cash: buying into it, selling
  out of it and reinvesting its dividends are skipped as sweeps. Its dividends are kept.
- Cash moved between accounts ("TRANSFERRED FROM/TO") is a DEPOSIT or WITHDRAWAL because
  the file does not say which Hearth account is on the other side.
- The trade date is the "Run Date".
"""

from __future__ import annotations

import re

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
    is_footer,
    maps_to,
    normalized_action,
    rejected,
    skipped,
)
from portfolios.imports.csv_records import ColumnIndex, CsvRecord, header_key, read_csv_records
from portfolios.imports.rows import ZERO, ImportFileError, ParseResult, RowError
from portfolios.imports.values import ValueProblem, parse_us_date

FORMAT = "fidelity"
CORE_POSITIONS = frozenset({"SPAXX", "FDRXX", "FZFXX", "SPRXX", "FCASH", "CORE", "FGTXX"})
SWEEP = "moves cash into or out of the core money-market position, which Hearth counts as cash"

DESCRIPTION = ("Description", "Security Description")
PRICE = ("Price ($)", "Price")
COMMISSION = ("Commission ($)", "Commission")
FEES = ("Fees ($)", "Fees")
AMOUNT = ("Amount ($)", "Amount")
COLUMNS = BrokerColumns(action="Action", symbol="Symbol", quantity="Quantity", amount="Amount ($)")

_CORE_SWEEP = re.compile(r"^(REINVESTMENT|YOU BOUGHT|YOU SOLD)\b")
ACTION_RULES: tuple[tuple[re.Pattern[str], ActionMapping], ...] = tuple(
    (re.compile(pattern), mapping)
    for pattern, mapping in (
        (r"^(REDEMPTION FROM|PURCHASE INTO) CORE ACCOUNT", skipped(SWEEP)),
        (r"^YOU SOLD OPENING TRANSACTION", maps_to("OPTION_PREMIUM")),
        (r"^YOU (BOUGHT|SOLD) (OPENING|CLOSING) TRANSACTION", rejected(OPTIONS_UNSUPPORTED)),
        (r"^(ASSIGNED|EXERCISED)\b", rejected(OPTIONS_UNSUPPORTED)),
        (r"^EXPIRED\b", skipped("an option expired worthless; no cash or shares moved")),
        (r"^YOU BOUGHT\b", maps_to("BUY")),
        (r"^YOU SOLD\b", maps_to("SELL")),
        (r"^REINVESTMENT\b", maps_to("BUY")),
        (r"^DIVIDEND RECEIVED\b", maps_to("DIVIDEND")),
        (r"^(LONG|SHORT)-TERM CAP GAIN\b", maps_to("DIVIDEND", income_class="capital_gain")),
        (r"^RETURN OF CAPITAL\b", maps_to("RETURN_OF_CAPITAL")),
        (r"^(INTEREST|MUNI EXEMPT INT)\b", maps_to("INTEREST")),
        (r"^(FOREIGN TAX|NON-RESIDENT TAX|FED TAX W/H|STATE TAX W/H)", maps_to("TAX_WITHHELD")),
        (r"^(MARGIN INTEREST|FEE CHARGED|ADVISORY FEE|ADR FEE|ANNUAL FEE)\b", maps_to("FEE")),
        (
            r"^(ELECTRONIC FUNDS TRANSFER RECEIVED|DIRECT DEPOSIT|CHECK RECEIVED"
            r"|CONTRIBUTION|PARTIC CONTR|WIRE TRANSFER FROM|DEPOSIT)\b",
            maps_to("DEPOSIT"),
        ),
        (
            r"^(ELECTRONIC FUNDS TRANSFER PAID|DIRECT DEBIT|CHECK PAID|BILL PAYMENT"
            r"|WIRE TRANSFER TO|NORMAL DISTR|DISTRIBUTION)\b",
            maps_to("WITHDRAWAL"),
        ),
        (r"^(TRANSFERRED (FROM|TO)|TRANSFER OF ASSETS|JOURNALED)\b", cash_flow()),
    )
)


def parse_fidelity_csv(text: str) -> ParseResult:
    """Return the rows of a Fidelity Accounts History export.

    Raises ImportFileError when there is no header row or the export mixes accounts.
    """
    records = list(read_csv_records(text))
    header_at = _header_position(records)
    columns = ColumnIndex(records[header_at])
    columns.require("Run Date", "Action", AMOUNT)
    data = [
        record
        for record in records[header_at + 1 :]
        if not record.is_blank and not is_footer(record, _looks_like_date)
    ]
    check_single_account(columns.get(record, "Account Number") for record in data)
    return broker_result((_parse_record(record, columns) for record in data), FORMAT)


def _header_position(records: list[CsvRecord]) -> int:
    for position, record in enumerate(records):
        keys = {header_key(cell) for cell in record.cells}
        if {"run date", "action"} <= keys:
            return position
    raise ImportFileError("no Fidelity header row ('Run Date', 'Action', ...) was found")


def _looks_like_date(text: str) -> bool:
    try:
        parse_us_date(text)
    except ValueProblem:
        return False
    return True


def mapping_for(action: str, symbol: str | None) -> ActionMapping | None:
    """Return the mapping of a Fidelity action, or None when it is not recognised."""
    normalized = normalized_action(action)
    if symbol in CORE_POSITIONS and _CORE_SWEEP.match(normalized):
        return skipped(SWEEP)
    for pattern, mapping in ACTION_RULES:
        if pattern.match(normalized):
            return mapping
    return None


def _description(text: str) -> str:
    return "" if text.upper() == "NO DESCRIPTION" else text


def _parse_record(record: CsvRecord, columns: ColumnIndex) -> BrokerOutcome | list[RowError]:
    cells = CellReader(record, columns)
    trade_date = cells.date(parse_us_date, "Run Date")
    quantity = cells.amount("Quantity")
    price = cells.amount(*PRICE)
    commission = cells.amount(*COMMISSION)
    fees = cells.amount(*FEES)
    net = cells.amount(*AMOUNT)
    if cells.errors or trade_date is None:
        return cells.errors
    action = cells.text("Action")
    symbol = clean_symbol(cells.text("Symbol"))
    mapping = mapping_for(action, symbol)
    if mapping is None:
        return RowError(record.line, "Action", f"unrecognised action '{action}'")
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=action,
        symbol=symbol,
        description=_description(cells.text(*DESCRIPTION)),
        quantity=quantity or None,
        price=price or None,
        fees=abs(commission or ZERO) + abs(fees or ZERO),
        net=net,
    )
    return broker_row(line, mapping, COLUMNS)
