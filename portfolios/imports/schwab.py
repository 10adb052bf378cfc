"""Parse Charles Schwab's CSV exports: brokerage "Transactions" and Equity Awards.

Brokerage layout: an optional title line (``"Transactions  for account Individual ...123
as of ..."``, which names the account), the header ``"Date","Action","Symbol",
"Description","Quantity","Price","Fees & Comm","Amount"`` (columns in any order), the
transactions, and in some exports a closing ``"Transactions Total"`` line. Money is
written "$1,234.56" / "-$1,234.56"; the amount is signed. A date may read ``01/16/2024 as
of 01/12/2024``: the "as of" date is the day the transaction took effect and is the trade
date. Without a title the account number is taken from the file name
(``XXX123_Transactions_20240131.csv``) when it has one.

Equity Awards layout (the stock plan account): the header ``"Date","Action","Symbol",
"Description","Quantity","FeesAndCommissions","DisbursementElection","Amount",
"AwardDate",...``; each transaction row is followed by detail rows with no date that
carry the award's figures (vest date and fair market value, ESPP purchase price, ...).

Notes on the mapping:

- ``Reinvest Shares`` is a BUY: Schwab reports the dividend on its own ``Reinvest
  Dividend`` (or ``Qualified Dividend``) line, so REINVEST would count it twice.
- ``Qualified`` dividends are ``qualified``, ``Non-Qualified`` ones ``ordinary``,
  capital-gain distributions ``capital_gain``; ``Cash``, ``Special`` and prior-year
  (``Pr Yr``) dividends leave the income class to the security's default.
- Journals and transfers naming another account ("JOURNAL FRM ...456") are TRANSFERs;
  MoneyLink and wire moves are DEPOSIT or WITHDRAWAL by their sign.
- ``Stock Plan Activity`` (shares from an equity award landing in the brokerage account,
  with no price in this file) is an OPENING of unknown basis; the Equity Awards file's
  ``Deposit`` (or ``Lapse``) has the vest price: a DEPOSIT of the shares' value (pay from
  the employer) and a BUY at the vest or ESPP purchase price.
- ``Cash Merger`` and its ``Cash Merger Adj`` (the shares surrendered) are one SELL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from datetime import date
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
    is_footer,
    maps_to,
    rejected,
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
    SkippedRow,
)
from portfolios.imports.values import ValueProblem, parse_broker_amount, parse_us_date, shown
from portfolios.imports.wording import account_type_in_text, cash_type_in_text

FORMAT = "schwab"
INSTITUTION = "Schwab"
FEES = ("Fees & Comm", "Fees & Commissions", "Fees", "FeesAndCommissions")
COLUMNS = BrokerColumns(action="Action", symbol="Symbol", quantity="Quantity", amount="Amount")
_AS_OF = re.compile(r"^\s*(\S+)\s+as\s+of\s+(\S+)\s*$", re.IGNORECASE)
_TITLE = re.compile(r"for\s+(?:(\w[\w ]*?)\s+)?account\s+(.*?)\s+as\s+of\b", re.IGNORECASE)
_NUMBER_TOKEN = re.compile(r"([X*.…]*[\dX*.…-]*\d{3,})\s*$", re.IGNORECASE)
_FILE_NUMBER = re.compile(r"(?:^|[_ ])((?:X+|\.{3}|\*+)?-?\d{3,})_Transactions", re.IGNORECASE)
_BANK_FILE_NUMBER = re.compile(r"(?:^|[_ ])((?:X+|\.{3}|\*+)?-?\d{3,})_Checking", re.IGNORECASE)
WITHDRAWAL = ("Withdrawal (-)", "Withdrawal")
DEPOSIT = ("Deposit (+)", "Deposit")

_QUALIFIED = maps_to("DIVIDEND", income_class="qualified")
_ORDINARY = maps_to("DIVIDEND", income_class="ordinary")
_CAPITAL_GAIN = maps_to("DIVIDEND", income_class="capital_gain")
_DIVIDEND = maps_to("DIVIDEND")

# Action names, lower-cased with single spaces; the first pattern that matches wins.
ACTION_RULES: tuple[tuple[re.Pattern[str], ActionMapping], ...] = tuple(
    (re.compile(pattern), mapping)
    for pattern, mapping in (
        (r"^(buy|reinvest shares|buy to open)$", maps_to("BUY")),
        (r"^(sell|sell to close)$", maps_to("SELL")),
        (r"^sell to open$", maps_to("OPTION_PREMIUM")),
        (r"^buy to close$", special("close_written")),
        (r"^sell short$", special("short_open")),
        (r"^(buy to cover|cover short)$", special("short_cover")),
        (r"^expired$", special("expire")),
        (r"^assigned$", skipped(WRITTEN_ASSIGNED)),
        (r"^(exchange or exercise|exercise)$", special("exercise")),
        (r"cap(ital)? gain", _CAPITAL_GAIN),
        (r"non-?qual", _ORDINARY),
        (r"qual(ified)? div|special qual", _QUALIFIED),
        (r"return of capital", maps_to("RETURN_OF_CAPITAL")),
        (r"in lieu", special("cash_in_lieu")),
        (r"div", _DIVIDEND),
        (r"margin interest|debit interest", maps_to("FEE")),
        (r"interest|^int\b|schwab1 int", maps_to("INTEREST")),
        (r"nra|foreign tax|tax withh|withholding", maps_to("TAX_WITHHELD")),
        (r"fee|charge", maps_to("FEE")),
        (r"reverse split|stock split|^split", special("split")),
        (r"cash merger|full redemption|redemption|maturity|called", special("merger_cash")),
        (r"merger|reorg|name change|exchange|conversion", special("merger_stock")),
        (r"spin", special("spinoff")),
        (r"stock plan activity|^deposit$|lapse|espp|rsu", special("vest")),
        (
            r"journal|security transfer|internal transfer|transfer|moneylink|wire|funds"
            r"|bank transfer|ach|check|atm|visa|bill pay|courtesy credit|rebate",
            cash_flow(),
        ),
    )
)
SALE_ACTIONS = frozenset({"sale", "quick sale", "forced quick sell", "sell"})


def parse_schwab_csv(text: str, *, filename: str = "") -> ParseResult:
    """Return the rows of a Schwab brokerage, Equity Awards or bank (checking) export.

    Raises ImportFileError when there is no Schwab header row.
    """
    records = list(read_csv_records(text))
    bank_at = _bank_header_position(records)
    if bank_at is not None:
        return _bank(records, bank_at, filename)
    header_at = _header_position(records)
    columns = ColumnIndex(records[header_at], strict=False)
    columns.require("Date", "Action", "Amount")
    number, label = _account_in_title(records[:header_at], filename)
    accounts = []
    if number:
        accounts.append(
            FileAccount(
                number=number,
                institution=INSTITUTION,
                label=label,
                type=account_type_in_text(label),
            )
        )
    if columns.has("AwardDate") or columns.has("NetSharesDeposited") or columns.has("VestDate"):
        outcomes = _equity_awards(records[header_at + 1 :], columns, number)
    else:
        data = [
            record
            for record in records[header_at + 1 :]
            if not record.is_blank and not is_footer(record, _looks_like_date)
        ]
        outcomes = [_parse_record(record, columns, number) for record in data]
    return broker_result(outcomes, FORMAT, accounts=accounts)


def _account_in_title(records: list[CsvRecord], filename: str) -> tuple[str | None, str]:
    for record in records:
        text = " ".join(record.filled_cells())
        match = _TITLE.search(text)
        if match:
            named = " ".join(part for part in (match.group(1), match.group(2)) if part).strip()
            token = _NUMBER_TOKEN.search(named)
            if token:
                return token.group(1), named[: token.start()].strip()
            return None, named
    match = _FILE_NUMBER.search(filename or "") or _BANK_FILE_NUMBER.search(filename or "")
    return (match.group(1), "") if match else (None, "")


def _header_position(records: list[CsvRecord]) -> int:
    for position, record in enumerate(records):
        keys = {header_key(cell) for cell in record.cells}
        if {"date", "action", "amount"} <= keys and keys & {header_key(name) for name in FEES}:
            return position
    raise ImportFileError(
        "no Schwab header row ('Date', 'Action', ..., 'Fees & Comm', 'Amount') was found; "
        "export the account's History as CSV"
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


def mapping_for(line: BrokerLine) -> ActionMapping | None:
    """Return the mapping of a Schwab action, or None when it is not recognised."""
    action = " ".join(line.action.split()).lower()
    if action in {"misc cash entry", "misc credits", "adjustment", "cash adjustment"}:
        found = cash_type_in_text(line.description, incoming=(line.net or 0) > 0)
        if found is None:
            return rejected(
                "a miscellaneous cash entry whose description does not say what it is; "
                "enter it by hand in a Hearth CSV"
            )
        return cash_flow() if found in {"DEPOSIT", "WITHDRAWAL"} else maps_to(found)
    for pattern, mapping in ACTION_RULES:
        if pattern.search(action):
            return mapping
    return None


def _parse_record(
    record: CsvRecord, columns: ColumnIndex, number: str | None
) -> list[BrokerOutcome] | list[RowError] | RowError:
    cells = CellReader(record, columns)
    trade_date = cells.date(schwab_date, "Date")
    quantity = cells.amount("Quantity")
    price = cells.amount("Price")
    fees = cells.amount(*FEES)
    net = cells.amount("Amount")
    if cells.errors or trade_date is None:
        return cells.errors
    action = cells.text("Action")
    description = cells.text("Description")
    normalized = " ".join(action.split()).lower()
    if quantity is not None and normalized in _SHARES_OUT_ACTIONS and net is None:
        quantity = -abs(quantity)
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=action,
        symbol=clean_symbol(cells.text("Symbol")),
        description=description,
        quantity=quantity or None,
        price=price or None,
        fees=abs(fees or ZERO),
        net=net,
        account_number=number,
        counterparty=counterparty_in_text(description),
    )
    mapping = mapping_for(line)
    if mapping is None:
        return RowError(
            record.line,
            "Action",
            f"unrecognised action '{shown(action)}'; enter this line by hand in a Hearth CSV",
        )
    return broker_rows(line, mapping, COLUMNS)


# Schwab prints surrendered shares unsigned on these lines.
_SHARES_OUT_ACTIONS = frozenset({"cash merger adj", "full redemption adj"})


# Equity Awards -----------------------------------------------------------------------


def _equity_awards(records: list[CsvRecord], columns: ColumnIndex, number: str | None) -> list:
    """Read the Equity Awards layout: each dated row with the detail rows under it."""
    groups: list[tuple[CsvRecord, list[CsvRecord]]] = []
    for record in records:
        if record.is_blank:
            continue
        if columns.get(record, "Date"):
            if not _looks_like_date(columns.get(record, "Date")):
                continue  # a total or disclaimer line
            groups.append((record, []))
        elif groups:
            groups[-1][1].append(record)
    deposits = {
        (columns.get(record, "Date"), columns.get(record, "Symbol"))
        for record, _ in groups
        if columns.get(record, "Action").strip().lower() == "deposit"
    }
    outcomes = []
    for record, details in groups:
        action = " ".join(columns.get(record, "Action").split()).lower()
        if (
            action == "lapse"
            and (columns.get(record, "Date"), columns.get(record, "Symbol")) in deposits
        ):
            outcomes.append(
                SkippedRow(record.line, "a vest: the shares it leaves arrive on its Deposit line")
            )
            continue
        outcomes.append(_award_record(record, details, columns, number, action))
    return outcomes


def _detail(details: list[CsvRecord], columns: ColumnIndex, *names: str) -> str:
    for record in details:
        value = columns.get(record, *names)
        if value:
            return value
    return ""


def _detail_amount(details: list[CsvRecord], columns: ColumnIndex, *names: str) -> Decimal | None:
    raw = _detail(details, columns, *names)
    try:
        return parse_broker_amount(raw)
    except ValueProblem:
        return None


def _award_record(
    record: CsvRecord,
    details: list[CsvRecord],
    columns: ColumnIndex,
    number: str | None,
    action: str,
) -> list[BrokerOutcome] | list[RowError] | RowError:
    cells = CellReader(record, columns)
    trade_date = cells.date(schwab_date, "Date")
    quantity = cells.amount("Quantity")
    fees = cells.amount(*FEES)
    net = cells.amount("Amount")
    if cells.errors or trade_date is None:
        return cells.errors
    description = cells.text("Description")
    price: Decimal | None = None
    if action in {"deposit", "lapse"}:
        price = _detail_amount(
            details,
            columns,
            "VestFairMarketValue",
            "FairMarketValuePrice",
            "PurchasePrice",
            "PurchaseFairMarketValue",
        )
        if description.strip().upper().startswith("ESPP"):
            price = _detail_amount(details, columns, "PurchasePrice") or price
        acquired = _detail(details, columns, "VestDate", "PurchaseDate")
        if acquired:
            with contextlib.suppress(ValueProblem):
                trade_date = parse_us_date(acquired)
        if action == "lapse":
            net_shares = _detail_amount(details, columns, "NetSharesDeposited")
            if net_shares is not None:
                quantity = net_shares
    line = BrokerLine(
        line=record.line,
        trade_date=trade_date,
        action=cells.text("Action"),
        symbol=clean_symbol(cells.text("Symbol")),
        description=description,
        quantity=quantity or None,
        price=price or None,
        fees=abs(fees or ZERO),
        net=net,
        account_number=number,
        counterparty=counterparty_in_text(description),
    )
    if action in {"deposit", "lapse"}:
        mapping: ActionMapping | None = special("vest")
    elif action in SALE_ACTIONS:
        line = dataclasses.replace(line, quantity=-abs(line.quantity) if line.quantity else None)
        mapping = maps_to("SELL")
    else:
        mapping = mapping_for(line)
    if mapping is None:
        return RowError(
            record.line,
            "Action",
            f"unrecognised action '{shown(line.action)}'; enter this line by hand in a Hearth CSV",
        )
    return broker_rows(line, mapping, COLUMNS)


# Schwab Bank (checking) ---------------------------------------------------------------


def _bank_header_position(records: list[CsvRecord]) -> int | None:
    for position, record in enumerate(records[:50]):
        keys = {header_key(cell) for cell in record.cells}
        if (
            {"date", "description"} <= keys
            and keys & {"withdrawal (-)", "withdrawal"}
            and (keys & {"deposit (+)", "deposit"})
        ):
            return position
    return None


def _bank(records: list[CsvRecord], header_at: int, filename: str) -> ParseResult:
    """Read a Schwab Bank checking export: money in and out of a cash account. Pending
    lines are left for the export that has them posted."""
    columns = ColumnIndex(records[header_at], strict=False)
    number, label = _account_in_title(records[:header_at], filename)
    accounts = (
        [
            FileAccount(
                number=number, institution=INSTITUTION, label=label or "Checking", type="cash"
            )
        ]
        if number
        else []
    )
    outcomes: list = []
    pending = False
    for record in records[header_at + 1 :]:
        if record.is_blank:
            continue
        first = record.cells[0].strip()
        if not _looks_like_date(first):
            lowered = first.lower()
            if lowered.startswith("pending"):
                pending = True
            elif lowered.startswith("posted"):
                pending = False
            continue
        status = columns.get(record, "Status").lower()
        if pending or status == "pending":
            outcomes.append(SkippedRow(record.line, "pending: imported once it is posted"))
            continue
        cells = CellReader(record, columns)
        trade_date = cells.date(schwab_date, "Date")
        withdrawal = cells.amount(*WITHDRAWAL)
        deposit = cells.amount(*DEPOSIT)
        if cells.errors or trade_date is None:
            outcomes.append(cells.errors)
            continue
        net = abs(deposit or ZERO) - abs(withdrawal or ZERO)
        kind = cells.text("Type")
        description = cells.text("Description")
        line = BrokerLine(
            line=record.line,
            trade_date=trade_date,
            action=kind or ("Deposit" if net > 0 else "Withdrawal"),
            symbol=None,
            description=description,
            quantity=None,
            price=None,
            fees=ZERO,
            net=net,
            account_number=number,
            description_is_security_name=False,
        )
        found = cash_type_in_text(f"{kind} {description}", incoming=net > 0)
        if kind.upper() == "INTADJUST":
            found = "INTEREST" if net > 0 else "FEE"
        mapping = maps_to(found) if found in {"INTEREST", "FEE", "TAX_WITHHELD"} else cash_flow()
        outcomes.append(broker_rows(line, mapping, BANK_COLUMNS))
    return broker_result(outcomes, FORMAT, accounts=accounts)


BANK_COLUMNS = BrokerColumns(
    action="Type", symbol="Description", quantity="Withdrawal (-)", amount="Deposit (+)"
)
