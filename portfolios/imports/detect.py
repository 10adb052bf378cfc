"""Pick the parser for an uploaded file and run it."""

from __future__ import annotations

from collections.abc import Callable

from portfolios.imports.csv_records import header_key, read_csv_records
from portfolios.imports.decoding import check_size, decode_text
from portfolios.imports.fidelity import parse_fidelity_csv
from portfolios.imports.hearth_csv import REQUIRED_COLUMNS, parse_hearth_csv
from portfolios.imports.ibkr import parse_ibkr_flex_csv
from portfolios.imports.ofx import parse_ofx
from portfolios.imports.rows import ImportFileError, ParseResult
from portfolios.imports.schwab import parse_schwab_csv
from portfolios.imports.vanguard import parse_vanguard_csv

FORMATS = ("hearth", "ofx", "fidelity", "schwab", "vanguard", "ibkr")
CSV_PARSERS: dict[str, Callable[[str], ParseResult]] = {
    "hearth": parse_hearth_csv,
    "fidelity": parse_fidelity_csv,
    "schwab": parse_schwab_csv,
    "vanguard": parse_vanguard_csv,
    "ibkr": parse_ibkr_flex_csv,
}
OFX_SUFFIXES = (".ofx", ".qfx")
# Header rows are near the top; a Vanguard holdings section can push its transactions
# header down, so look a fair way in before giving up.
_DETECTION_RECORDS = 500


def parse_file(content: bytes, *, filename: str, format: str | None = None) -> ParseResult:
    """Return the rows of an uploaded transactions file.

    ``format`` is one of FORMATS; without it the format is recognised from the content
    (and, for OFX, the file name). Raises ImportFileError for files over 20 MB, files
    that are not text, unknown formats and layouts that do not match the format.
    """
    check_size(content)
    text = decode_text(content)
    chosen = format.strip().lower() if format else detect_format(text, filename=filename)
    if chosen not in FORMATS:
        raise ImportFileError(f"unknown format '{format}'; use one of {', '.join(FORMATS)}")
    if chosen == "ofx":
        return parse_ofx(content)
    return CSV_PARSERS[chosen](text)


def detect_format(text: str, *, filename: str = "") -> str:
    """Return the format of a file's text, or raise ImportFileError naming the choices.

    1. OFX: an ``OFXHEADER`` or ``<OFX>`` near the start, or a .ofx/.qfx name with an
       ``<?xml`` start.
    2. Hearth CSV: the first non-blank record has date, account and type columns.
    3. Otherwise the first record that looks like a broker header decides: Fidelity
       ("Run Date", "Action"), Vanguard ("Trade Date", "Transaction Type"), Schwab
       ("Date", "Action", "Fees & Comm"), IBKR Flex (BOF/BOS records, "ClientAccountID"
       or "CurrencyPrimary" columns, or "Buy/Sell" with "TradePrice").
    """
    if not text.strip():
        raise ImportFileError("the file is empty")
    head = text.lstrip()[:4096].upper()
    if head.startswith("OFXHEADER") or "<OFX>" in head:
        return "ofx"
    if filename.lower().endswith(OFX_SUFFIXES) and head.startswith("<?XML"):
        return "ofx"

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
        broker = _broker_of_header(keys, first_cell=record.cells[0].strip().upper())
        if broker:
            return broker
    raise ImportFileError(
        "the file's format was not recognised; choose one of " + ", ".join(FORMATS)
    )


def _broker_of_header(keys: set[str], *, first_cell: str) -> str | None:
    if {"run date", "action"} <= keys:
        return "fidelity"
    if {"trade date", "transaction type"} <= keys:
        return "vanguard"
    if {"date", "action", "fees & comm"} <= keys:
        return "schwab"
    if " ".join(first_cell.split()).startswith("TRANSACTIONS FOR ACCOUNT"):
        return "schwab"
    if first_cell in {"BOF", "BOS"} or keys & {"clientaccountid", "currencyprimary"}:
        return "ibkr"
    if {"buy/sell", "tradeprice"} <= keys:
        return "ibkr"
    return None
