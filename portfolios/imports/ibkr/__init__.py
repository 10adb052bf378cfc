"""Interactive Brokers' exports: Flex Queries (CSV and XML), Activity Statements and the
Transaction History report, all mapped by the same rules (``mapping``)."""

import re

from portfolios.imports.decoding import decode_text
from portfolios.imports.ibkr.flex import (
    looks_like_flex_header,
    parse_ibkr_flex_csv,
    parse_ibkr_flex_xml,
)
from portfolios.imports.ibkr.statements import is_sectioned_statement, parse_ibkr_statement_csv
from portfolios.imports.rows import ParseResult

XML_MARKERS = ("<FlexQueryResponse", "<FlexStatements", "<FlexStatement ")


def is_flex_xml(text: str) -> bool:
    """Return True when the text is a Flex Query in XML."""
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    return head.startswith("<") and any(marker in head for marker in XML_MARKERS)


def parse_ibkr(content: bytes, *, filename: str = "") -> ParseResult:
    """Return the rows of any Interactive Brokers export Hearth reads."""
    text = decode_text(content)
    if is_flex_xml(text):
        # Decoded already: drop the declaration so the XML parser reads UTF-8 as it is.
        body = re.sub(r"^\s*<\?xml[^>]*\?>", "", text.lstrip("\ufeff"))
        return parse_ibkr_flex_xml(body.encode("utf-8"))
    if is_sectioned_statement(text):
        return parse_ibkr_statement_csv(text, filename=filename)
    return parse_ibkr_flex_csv(text, filename=filename)


__all__ = [
    "is_flex_xml",
    "is_sectioned_statement",
    "looks_like_flex_header",
    "parse_ibkr",
    "parse_ibkr_flex_csv",
    "parse_ibkr_flex_xml",
    "parse_ibkr_statement_csv",
]
