"""Pick the parser for an uploaded file and run it."""

from __future__ import annotations

import re
from collections.abc import Callable

from portfolios.imports.csv_records import header_key, read_csv_records
from portfolios.imports.decoding import check_size, decode_text
from portfolios.imports.fidelity import parse_fidelity_csv
from portfolios.imports.hearth_csv import REQUIRED_COLUMNS, parse_hearth_csv
from portfolios.imports.ibkr import (
    is_flex_xml,
    is_sectioned_statement,
    looks_like_flex_header,
    parse_ibkr,
)
from portfolios.imports.ofx import parse_ofx
from portfolios.imports.rows import ImportFileError, ParseResult
from portfolios.imports.schwab import parse_schwab_csv
from portfolios.imports.vanguard import parse_vanguard_csv

FORMATS = ("hearth", "ofx", "fidelity", "schwab", "vanguard", "ibkr")
CSV_PARSERS: dict[str, Callable[..., ParseResult]] = {
    "fidelity": parse_fidelity_csv,
    "schwab": parse_schwab_csv,
    "vanguard": parse_vanguard_csv,
}
OFX_SUFFIXES = (".ofx", ".qfx", ".qbo")
_OFX_START = re.compile(r"<\s*OFX\s*>", re.IGNORECASE)
# Header rows are near the top; a Vanguard holdings section can push its transactions
# header down, so look a fair way in before giving up.
_DETECTION_RECORDS = 500
READS = (
    "Hearth reads Hearth CSV, OFX/QFX statements, and the CSV exports of Fidelity "
    "(account History), Schwab (Transactions, Equity Awards), Vanguard (OfxDownload.csv) "
    "and Interactive Brokers (Flex Query as CSV or XML, Activity Statement, Transaction "
    "History)"
)


def _not_text(content: bytes) -> str | None:
    """Return why a file that is clearly not an export cannot be read, or None."""
    head = content[:8]
    if head.startswith(b"%PDF"):
        return "the file is a PDF; download the account's activity as CSV or OFX (Quicken) instead"
    if head.startswith(b"PK\x03\x04"):
        return "the file is a spreadsheet or a zip archive; open it and save it as CSV"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "the file is an old Excel spreadsheet (.xls); open it and save it as CSV"
    return None


def parse_file(content: bytes, *, filename: str, format: str | None = None) -> ParseResult:
    """Return the rows of an uploaded transactions file.

    ``format`` is one of FORMATS; without it the format is recognised from the content
    (and, for OFX, the file name). Raises ImportFileError for files over 20 MB, files
    that are not text, unknown formats and layouts that do not match the format.
    """
    check_size(content)
    reason = _not_text(content)
    if reason:
        raise ImportFileError(reason)
    text = decode_text(content)
    chosen = format.strip().lower() if format else detect_format(text, filename=filename)
    if chosen not in FORMATS:
        raise ImportFileError(f"unknown format '{format}'; use one of {', '.join(FORMATS)}")
    if chosen == "ofx":
        return parse_ofx(content)
    if chosen == "ibkr":
        return parse_ibkr(content, filename=filename)
    if chosen == "hearth":
        return parse_hearth_csv(text)
    return CSV_PARSERS[chosen](text, filename=filename)


def detect_format(text: str, *, filename: str = "") -> str:
    """Return the format of a file's text, or raise ImportFileError naming the choices.

    1. OFX: an ``OFXHEADER`` or an ``<OFX>`` element near the start (with or without a
       header), or a .ofx/.qfx name with an ``<?xml`` start.
    2. Interactive Brokers: a Flex Query in XML, or an Activity Statement / Transaction
       History CSV (lines ``Statement,Header,...``).
    3. Hearth CSV: the first non-blank record has date, account and type columns.
    4. Otherwise the first record that looks like a broker header decides: Fidelity
       ("Run Date", "Action"), Vanguard ("Trade Date", "Transaction Type", or its holdings
       section first), Schwab ("Date", "Action", "Fees & Comm", or its title line), IBKR
       Flex (BOF/BOS records, "ClientAccountID" or "CurrencyPrimary" columns, or
       "Buy/Sell" with "TradePrice").
    """
    if not text.strip():
        raise ImportFileError("the file is empty")
    head = text.lstrip("\ufeff \t\r\n")[:65_536]
    if head[:9].upper().startswith("OFXHEADER") or _OFX_START.search(head[:65_536]):
        return "ofx"
    if is_flex_xml(head):
        return "ibkr"
    if head.startswith("<"):
        if filename.lower().endswith(OFX_SUFFIXES):
            return "ofx"
        raise ImportFileError(
            "an XML file that is neither an OFX statement nor an IBKR Flex Query; " + READS
        )
    if is_sectioned_statement(text):
        return "ibkr"

    seen_data = False
    for count, record in enumerate(read_csv_records(text)):
        if count >= _DETECTION_RECORDS:
            break
        if record.is_blank:
            continue
        keys = {header_key(cell) for cell in record.cells}
        if not seen_data and set(REQUIRED_COLUMNS) <= keys:
            return "hearth"
        seen_data = True
        first_cell = record.cells[0].strip().upper()
        broker = _broker_of_header(keys, first_cell=first_cell)
        if broker:
            return broker
        instead = _positions_only(keys, first_cell)
        if instead:
            raise ImportFileError(instead)
    raise ImportFileError(f"the file's format was not recognised; {READS}")


def _positions_only(keys: set[str], first_cell: str) -> str | None:
    """Return what to download instead when the file is a broker's positions (holdings)
    export, which lists what is held but no transactions."""
    if {"account number", "symbol", "quantity"} <= keys and keys & {"last price", "current value"}:
        return (
            "this is Fidelity's Positions download (holdings, no transactions); download "
            "Activity & Orders > History as CSV instead"
        )
    if " ".join(first_cell.split()).startswith("POSITIONS FOR"):
        return (
            "this is Schwab's Positions export (holdings, no transactions); export the "
            "account's History (Transactions) as CSV instead"
        )
    return None


def _broker_of_header(keys: set[str], *, first_cell: str) -> str | None:
    if {"run date", "action"} <= keys:
        return "fidelity"
    if {"trade date", "transaction type"} <= keys:
        return "vanguard"
    if {"account number", "investment name", "shares"} <= keys:
        return "vanguard"
    if {"date", "action"} <= keys and keys & {
        "fees & comm",
        "feesandcommissions",
        "fees & commissions",
    }:
        return "schwab"
    if " ".join(first_cell.split()).startswith("TRANSACTIONS FOR"):
        return "schwab"
    if {"date", "description", "runningbalance"} <= keys:
        return "schwab"  # Schwab Bank's checking export
    if first_cell in {"BOF", "BOS"} or looks_like_flex_header(keys):
        return "ibkr"
    return None
