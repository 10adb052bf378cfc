"""Read Interactive Brokers' Activity Statement and Transaction History CSVs.

Both are stacks of tables in one file: every line starts with its section's name and a
role, ``Statement,Header,Field Name,Field Value`` / ``Trades,Data,Order,Stocks,USD,...``
/ ``Dividends,Total,...``. Each section's ``Header`` line names the columns of the
``Data`` lines after it (a section may restart with a new header); totals, sub-totals and
notes are skipped.

Activity Statement sections read: Account Information (the account and its type),
Trades (``Trade`` lines; ``Order`` lines only when there are no ``Trade`` lines),
Dividends, Withholding Tax, Payment In Lieu Of Dividends, Deposits & Withdrawals,
Interest, Fees, Other Fees, Corporate Actions, Transfers, and Open Positions (to
reconcile). Transaction History: its one section, a line per transaction with its own
``Transaction Type`` and the account on every line. The meaning of each record is
``mapping``'s, shared with the Flex Query readers.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from portfolios.imports.broker_rows import broker_result
from portfolios.imports.csv_records import CsvRecord, read_csv_records
from portfolios.imports.ibkr.mapping import (
    INSTITUTION,
    IbkrRecord,
    cash_outcomes,
    corporate_outcomes,
    symbol_of,
    trade_outcomes,
    transfer_outcomes,
)
from portfolios.imports.rows import (
    FileAccount,
    ImportFileError,
    ParseResult,
    RowError,
    SkippedRow,
    StatementPosition,
)
from portfolios.imports.values import ValueProblem, parse_broker_amount
from portfolios.imports.wording import account_type_in_text, numbers_match

FORMAT = "ibkr"
ROLES = frozenset({"HEADER", "DATA", "TOTAL", "SUBTOTAL", "NOTES", "METAINFO"})
# Cash sections of an Activity Statement, and the cash transaction type of their lines.
CASH_SECTIONS = {
    "dividends": "Dividends",
    "withholding tax": "Withholding Tax",
    "payment in lieu of dividends": "Payment In Lieu Of Dividends",
    "deposits & withdrawals": "Deposits & Withdrawals",
    "deposits and withdrawals": "Deposits & Withdrawals",
    "fees": "Other Fees",
    "other fees": "Other Fees",
    "broker interest paid": "Broker Interest Paid",
    "broker interest received": "Broker Interest Received",
    "bond interest received": "Bond Interest Received",
    "bond interest paid": "Bond Interest Paid",
}
ADVICE = (
    "in Client Portal open Performance & Reports > Statements, run the Activity statement "
    "(Default) for the period and download it as CSV, or run Transaction History and "
    "download it as CSV"
)
_PERIOD_END = re.compile(r"-\s*([A-Za-z]+ \d{1,2}, \d{4})\s*$")


def is_sectioned_statement(text: str) -> bool:
    """Return True for an Activity Statement or Transaction History CSV."""
    for record in read_csv_records(text[:20_000]):
        if record.is_blank:
            continue
        cells = [cell.strip() for cell in record.cells]
        return (
            len(cells) >= 3
            and cells[1].upper() == "HEADER"
            and cells[0]
            in {
                "Statement",
                "Transaction History",
                "Account Information",
            }
        )
    return False


def parse_ibkr_statement_csv(text: str, *, filename: str = "") -> ParseResult:
    """Return the rows of an Activity Statement or Transaction History CSV."""
    sections: dict[str, list[IbkrRecord]] = {}
    headers: dict[str, tuple[str, ...]] = {}
    fields: dict[str, str] = {}
    for record in read_csv_records(text):
        if record.is_blank or len(record.cells) < 2:
            continue
        name, role = record.cells[0].strip(), record.cells[1].strip().upper()
        if role not in ROLES:
            continue
        cells = record.cells[2:]
        if role == "HEADER":
            headers[name] = cells
            continue
        if role != "DATA" or name not in headers:
            continue
        if name in {"Statement", "Account Information", "Summary"}:
            if len(cells) >= 2:
                fields.setdefault(f"{name}:{cells[0].strip()}", cells[1].strip())
            continue
        if cells and cells[0].strip().lower().startswith("total"):
            continue
        pairs = zip(headers[name], cells, strict=False)
        sections.setdefault(name, []).append(IbkrRecord.of(record.line, pairs))
    return _result(sections, fields, filename)


def _number_in(filename: str) -> str | None:
    match = re.search(r"\b(U\d{5,})\b", filename or "")
    return match.group(1) if match else None


def _result(
    sections: dict[str, list[IbkrRecord]], fields: dict[str, str], filename: str
) -> ParseResult:
    account = fields.get("Account Information:Account") or _number_in(filename)
    label = fields.get("Account Information:Account Type", "") or fields.get(
        "Account Information:Customer Type", ""
    )
    accounts: dict[str, FileAccount] = {}
    if account:
        accounts[account] = FileAccount(
            number=account,
            institution=INSTITUTION,
            label=label,
            type=account_type_in_text(label),
            currency=fields.get("Account Information:Base Currency") or None,
        )
    outcomes: list = []
    found_transactions = False
    for name, records in sections.items():
        key = name.lower()
        if key == "trades":
            found_transactions = True
            outcomes.extend(_trades(records, account))
        elif key in CASH_SECTIONS:
            found_transactions = True
            for record in records:
                record.values.setdefault("type", CASH_SECTIONS[key])
                outcomes.append(cash_outcomes(record, account))
        elif key == "interest":
            found_transactions = True
            for record in records:
                outcomes.append(_interest(record, account))
        elif key == "corporate actions":
            found_transactions = True
            outcomes.extend(corporate_outcomes(record, account) for record in records)
        elif key == "transfers":
            found_transactions = True
            outcomes.extend(transfer_outcomes(record, account) for record in records)
        elif key == "transaction history":
            found_transactions = True
            for record in records:
                number = record.get("account") or account
                if number and account and numbers_match(number, account):
                    number = account  # the file name has it unmasked
                if number and number not in accounts:
                    accounts[number] = FileAccount(number=number, institution=INSTITUTION)
                outcomes.append(cash_outcomes(record, number))
    if not found_transactions:
        if "Statement of Funds" in sections:
            raise ImportFileError(
                "the statement holds only the Statement of Funds (cash balances), whose "
                f"lines do not say what each one is; {ADVICE}"
            )
        raise ImportFileError(
            "the IBKR statement has no Trades, Dividends, Deposits & Withdrawals or "
            f"Transaction History section; {ADVICE}"
        )
    positions = _positions(sections.get("Open Positions", []), account, fields)
    return broker_result(outcomes, FORMAT, accounts=accounts.values(), positions=positions)


def _trades(records: list[IbkrRecord], account: str | None) -> list:
    levels = [record.get("level").upper() for record in records]
    wanted = "TRADE" if "TRADE" in levels else "ORDER"
    outcomes = []
    for record, level in zip(records, levels, strict=True):
        if level and level != wanted:
            outcomes.append(SkippedRow(record.line, "order, closed-lot or sub-total line"))
            continue
        outcomes.append(trade_outcomes(record, account))
    return outcomes


def _interest(record: IbkrRecord, account: str | None) -> list | RowError:
    try:
        amount = parse_broker_amount(record.get("amount"))
    except ValueProblem as problem:
        return RowError(record.line, "Amount", str(problem))
    record.values["type"] = "Credit Interest" if (amount or 0) >= 0 else "Debit Interest"
    return cash_outcomes(record, account)


def _period_end(fields: dict[str, str]) -> date | None:
    period = fields.get("Statement:Period", "")
    match = _PERIOD_END.search(period)
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1), "%B %d, %Y").date()  # noqa: DTZ007
    except ValueError:
        return None


def _positions(
    records: list[IbkrRecord], account: str | None, fields: dict[str, str]
) -> list[StatementPosition]:
    as_of = _period_end(fields)
    found = []
    for record in records:
        if record.get("level").upper() not in {"", "SUMMARY"}:
            continue
        symbol = symbol_of(record)
        try:
            quantity = parse_broker_amount(record.get("quantity"))
        except ValueProblem:
            continue
        if symbol is None or quantity is None:
            continue
        found.append(StatementPosition(account, symbol, quantity, as_of, None))
    return found


__all__ = ["CsvRecord", "is_sectioned_statement", "parse_ibkr_statement_csv"]
