"""Parse Fidelity's account history CSV exports (one account, or "All accounts").

Layouts, all read by column name in any order: a few blank (or all-comma) lines, a header
starting ``Run Date``, the transactions, then blank lines and a quoted disclaimer ending
"Date downloaded ...". The columns vary by vintage:

- older: ``Run Date, Action, Symbol, Security Description, Security Type, Quantity,
  Price ($), Commission ($), Fees ($), Accrued Interest ($), Amount ($), Settlement Date``;
- with or without ``Cash Balance ($)``, "Description"/"Type" for the security columns;
- current: ``Exchange Quantity, Exchange Currency, Currency, Price, Quantity, Exchange
  Rate, Commission, Fees, Accrued Interest, Amount, Cash Balance`` (no "($)");
- "All accounts" downloads add ``Account`` (its name, e.g. "ROTH IRA") and ``Account
  Number``; rows go to their own accounts.

A single-account download names its account only in the file name
(``History_for_Account_Z12345678.csv``), which is used when the file has no number.
Quantities and amounts are signed (sold shares and money paid out are negative).

The action text says what happened ("YOU BOUGHT VANGUARD ... (VTI) (Cash)"); the first
matching rule below decides, through ``broker_rows``. Notes:

- ``REINVESTMENT`` is a BUY: Fidelity reports the dividend itself on its own
  ``DIVIDEND RECEIVED`` line, so a REINVEST (dividend and buy) would count it twice.
- The core position (SPAXX, FDRXX, ...) is the account's cash: buying into it, selling
  out of it and reinvesting its dividends are skipped as sweeps. Its dividends are kept.
- A ``DISTRIBUTION`` of shares with no cash is a stock split (Fidelity prints only the
  shares added); with cash and no shares it is money paid out of a retirement account.
- A ``YOU BOUGHT`` line that moves no cash was paid outside the account (an ESPP
  purchase from payroll): the pay comes in as a DEPOSIT with the BUY.
- Money and shares moved between accounts name the other one ("TRANSFERRED FROM VS
  Z12-345678-1"): a TRANSFER; a line naming no account is a DEPOSIT or WITHDRAWAL (cash)
  or an OPENING of unknown basis (shares in, e.g. an ACAT).
- The trade date is the "Run Date".
"""

from __future__ import annotations

import re

from portfolios.imports.broker_rows import (
    OPTION_EXPIRED_WRITTEN,
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
    is_footer,
    maps_to,
    normalized_action,
    skipped,
    special,
)
from portfolios.imports.csv_records import ColumnIndex, CsvRecord, header_key, read_csv_records
from portfolios.imports.rows import ZERO, FileAccount, ImportFileError, ParseResult, RowError
from portfolios.imports.values import ValueProblem, parse_us_date, shown
from portfolios.imports.wording import account_type_in_text

FORMAT = "fidelity"
INSTITUTION = "Fidelity"
CORE_POSITIONS = frozenset({"SPAXX", "FDRXX", "FZFXX", "SPRXX", "FCASH", "CORE", "FGTXX", "FZDXX"})
SWEEP = "moves cash into or out of the core money-market position, which Hearth counts as cash"

DESCRIPTION = ("Description", "Security Description")
PRICE = ("Price ($)", "Price")
COMMISSION = ("Commission ($)", "Commission")
FEES = ("Fees ($)", "Fees")
AMOUNT = ("Amount ($)", "Amount")
COLUMNS = BrokerColumns(action="Action", symbol="Symbol", quantity="Quantity", amount="Amount ($)")
_FILE_NUMBER = re.compile(r"(?:Account|Acct)[_ -]+([A-Z]?\d[\dA-Z]{5,})", re.IGNORECASE)
_NUMBER_IN_NAME = re.compile(r"\b([A-Z]?\d{2,3}-?\d{5,6}|[A-Z]\d{8})\b")

_CORE_SWEEP = re.compile(r"^(REINVESTMENT|YOU BOUGHT|YOU SOLD)\b")
_DEPOSIT = special("shares", type="DEPOSIT", negative_type="WITHDRAWAL")
_WITHDRAWAL = special("shares", type="WITHDRAWAL", negative_type="WITHDRAWAL")
ACTION_RULES: tuple[tuple[re.Pattern[str], ActionMapping], ...] = tuple(
    (re.compile(pattern), mapping)
    for pattern, mapping in (
        (r"^(REDEMPTION FROM|PURCHASE INTO) CORE ACCOUNT", skipped(SWEEP)),
        (r"^YOU SOLD OPENING TRANSACTION", maps_to("OPTION_PREMIUM")),
        (r"^YOU BOUGHT OPENING TRANSACTION", maps_to("BUY")),
        (r"^YOU BOUGHT CLOSING TRANSACTION", special("close_written")),
        (r"^YOU SOLD CLOSING TRANSACTION", maps_to("SELL")),
        (r"^YOU SOLD SHORT\b|^SHORT SALE\b", special("short_open")),
        (r"^YOU BOUGHT SHORT COVER|^YOU BOUGHT TO COVER|^SHORT COVER", special("short_cover")),
        (r"^YOU (BOUGHT|SOLD) EXERCISED", special("exercise_stock")),
        (r"^YOU BOUGHT ASSIGNED", maps_to("BUY")),
        (r"^YOU SOLD ASSIGNED", maps_to("SELL")),
        (r"^ASSIGNED\b", skipped(WRITTEN_ASSIGNED)),
        (r"^EXERCISED\b", special("exercise")),
        (r"^EXPIRED\b", special("expire")),
        (r"^YOU BOUGHT\b", maps_to("BUY")),
        (r"^YOU SOLD\b", maps_to("SELL")),
        (r"^REINVESTMENT\b", maps_to("BUY")),
        (r"^(REDEMPTION PAYOUT|MATURED|REDEEMED|CALLED)\b", maps_to("SELL")),
        (r"^DIVIDEND RECEIVED\b|^DIVIDEND\b", maps_to("DIVIDEND")),
        (r"^(LONG|SHORT)-TERM CAP GAIN\b", maps_to("DIVIDEND", income_class="capital_gain")),
        (r"^RETURN OF CAPITAL\b", maps_to("RETURN_OF_CAPITAL")),
        (
            r"^(FOREIGN TAX|NON-RESIDENT TAX|NRA TAX|FED TAX W/H|STATE TAX W/H|TAX WITHHELD"
            r"|BACKUP WITHHOLDING)",
            maps_to("TAX_WITHHELD"),
        ),
        (r"^(MARGIN INTEREST|DEBIT INTEREST)\b", maps_to("FEE")),
        (r"^(INTEREST|MUNI EXEMPT INT|CREDIT INTEREST)\b", maps_to("INTEREST")),
        (r"\bFEE\b|\bFEES\b|^ADVISORY|^MANAGEMENT FEE", maps_to("FEE")),
        (r"^(REVERSE SPLIT|STOCK SPLIT|FORWARD SPLIT|SPLIT)\b", special("split")),
        (r"^(MERGER|NAME CHANGE|EXCHANGE|CONVERSION)\b.*\bPAYOUT\b", special("merger_cash")),
        (r"^(MERGER|NAME CHANGE|SYMBOL CHANGE|EXCHANGE(D)? (TO|FROM))\b", special("merger_stock")),
        (r"^SPIN ?-?OFF\b", special("spinoff")),
        (r"IN LIEU\b", special("cash_in_lieu")),
        (
            r"^(CONVERSION SHARES DEPOSITED|SHARES DEPOSITED|RECEIVED FROM YOU|STOCK PLAN"
            r"|RSU|RESTRICTED STOCK|ESPP)",
            special("vest"),
        ),
        (
            r"^(ELECTRONIC FUNDS TRANSFER RECEIVED|DIRECT DEPOSIT|CHECK RECEIVED"
            r"|CONTRIBUTION|CASH CONTRIBUTION|PARTIC CONTR|WIRE TRANSFER FROM|DEPOSIT"
            r"|ROLLOVER|EMPLOYER CONTR)",
            _DEPOSIT,
        ),
        (
            r"^(ELECTRONIC FUNDS TRANSFER PAID|DIRECT DEBIT|CHECK PAID|BILL PAYMENT"
            r"|WIRE TRANSFER TO|NORMAL DISTR|DEBIT CARD|WITHDRAWAL)",
            _WITHDRAWAL,
        ),
        (r"^(TRANSFERRED (FROM|TO)|TRANSFER OF ASSETS|TRANSFER|JOURNALED|JOURNAL)\b", cash_flow()),
    )
)
_DISTRIBUTION = re.compile(r"^DISTRIBUTION\b")


def parse_fidelity_csv(text: str, *, filename: str = "") -> ParseResult:
    """Return the rows of a Fidelity account history export.

    Raises ImportFileError when there is no header row.
    """
    records = list(read_csv_records(text))
    header_at = _header_position(records)
    columns = ColumnIndex(records[header_at], strict=False)
    columns.require("Run Date", "Action", AMOUNT)
    data = [
        record
        for record in records[header_at + 1 :]
        if not record.is_blank and not is_footer(record, _looks_like_date)
    ]
    file_number = _number_in_file_name(filename)
    accounts: dict[str, FileAccount] = {}
    outcomes = []
    for record in data:
        number, label = _account_of(record, columns, file_number)
        if number and number not in accounts:
            accounts[number] = FileAccount(
                number=number,
                institution=INSTITUTION,
                label=label,
                type=account_type_in_text(label),
            )
        outcomes.append(_parse_record(record, columns, number))
    return broker_result(outcomes, FORMAT, accounts=accounts.values())


def _number_in_file_name(filename: str) -> str | None:
    match = _FILE_NUMBER.search(filename or "")
    return match.group(1).upper() if match else None


def _account_of(
    record: CsvRecord, columns: ColumnIndex, file_number: str | None
) -> tuple[str | None, str]:
    """Return the record's account number and the file's name for the account."""
    label = columns.get(record, "Account", "Account Name")
    number = columns.get(record, "Account Number")
    if not number and label:
        found = _NUMBER_IN_NAME.search(label)
        if found:
            number = found.group(1)
            label = (label[: found.start()] + label[found.end() :]).strip(" -")
    return (number.strip().strip('"') or file_number), label


def _header_position(records: list[CsvRecord]) -> int:
    for position, record in enumerate(records):
        keys = {header_key(cell) for cell in record.cells}
        if {"run date", "action"} <= keys:
            return position
    raise ImportFileError(
        "no Fidelity header row ('Run Date', 'Action', ...) was found; download the "
        "account's History as CSV"
    )


def _looks_like_date(text: str) -> bool:
    try:
        parse_us_date(text)
    except ValueProblem:
        return False
    return True


def mapping_for(line: BrokerLine) -> ActionMapping | None:
    """Return the mapping of a Fidelity line, or None when its action is not recognised."""
    normalized = normalized_action(line.action)
    if line.symbol in CORE_POSITIONS and _CORE_SWEEP.match(normalized):
        return skipped(SWEEP)
    if _DISTRIBUTION.match(normalized):
        if line.symbol and line.quantity and not line.net:
            return special("split")
        return _WITHDRAWAL
    paid_outside = not line.net and line.quantity and line.price
    if normalized.startswith("YOU BOUGHT") and paid_outside and "OPENING" not in normalized:
        return special("vest")
    if normalized.startswith("EXPIRED") and line.quantity and line.quantity > 0:
        # Shares coming back to zero on a written (short) option: its premium is counted.
        return skipped(OPTION_EXPIRED_WRITTEN)
    for pattern, mapping in ACTION_RULES:
        if pattern.search(normalized):
            return mapping
    return None


def _description(text: str) -> str:
    return "" if text.upper() == "NO DESCRIPTION" else text


def _parse_record(
    record: CsvRecord, columns: ColumnIndex, number: str | None
) -> list[BrokerOutcome] | list[RowError] | RowError:
    cells = CellReader(record, columns)
    trade_date = cells.date(parse_us_date, "Run Date", "Date")
    quantity = cells.amount("Quantity")
    price = cells.amount(*PRICE)
    commission = cells.amount(*COMMISSION)
    fees = cells.amount(*FEES)
    net = cells.amount(*AMOUNT)
    if cells.errors or trade_date is None:
        return cells.errors
    action = cells.text("Action")
    symbol = clean_symbol(cells.text("Symbol"))
    description = _description(cells.text(*DESCRIPTION))
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=action,
        symbol=symbol,
        description=description,
        quantity=quantity or None,
        price=price or None,
        fees=abs(commission or ZERO) + abs(fees or ZERO),
        net=net,
        currency=(cells.text("Currency").upper() or None) if cells.text("Currency") else None,
        account_number=number,
        counterparty=counterparty_in_text(action) or counterparty_in_text(description),
    )
    mapping = mapping_for(line)
    if mapping is None:
        return RowError(
            record.line,
            "Action",
            f"unrecognised action '{shown(action)}'; enter this line by hand in a Hearth CSV",
        )
    return broker_rows(line, mapping, COLUMNS)
