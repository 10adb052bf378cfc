"""Pure parsers for the files users import (DESIGN §3); no Django here.

``parse_file`` reads a transactions file of any supported format into ``ParsedRow``
records and ``RowError`` findings; the import service stores them. Market-data files have
their own parsers.
"""

from portfolios.imports.detect import FORMATS, detect_format, parse_file
from portfolios.imports.external_ids import assign_external_ids, content_hash
from portfolios.imports.fidelity import parse_fidelity_csv
from portfolios.imports.hearth_csv import parse_hearth_csv
from portfolios.imports.ibkr import parse_ibkr, parse_ibkr_flex_csv, parse_ibkr_flex_xml
from portfolios.imports.market_data import (
    DividendRow,
    PriceRow,
    parse_dividends_csv,
    parse_prices_csv,
)
from portfolios.imports.ofx import parse_ofx
from portfolios.imports.rows import (
    INCOME_CLASSES,
    MAX_FILE_BYTES,
    TRANSACTION_TYPES,
    FileAccount,
    ImportFileError,
    ParsedRow,
    ParseResult,
    RowError,
    SkippedRow,
    StatementPosition,
)
from portfolios.imports.schwab import parse_schwab_csv
from portfolios.imports.vanguard import parse_vanguard_csv

__all__ = [
    "FORMATS",
    "INCOME_CLASSES",
    "MAX_FILE_BYTES",
    "TRANSACTION_TYPES",
    "DividendRow",
    "FileAccount",
    "ImportFileError",
    "ParseResult",
    "ParsedRow",
    "PriceRow",
    "RowError",
    "SkippedRow",
    "StatementPosition",
    "assign_external_ids",
    "content_hash",
    "detect_format",
    "parse_dividends_csv",
    "parse_fidelity_csv",
    "parse_file",
    "parse_hearth_csv",
    "parse_ibkr",
    "parse_ibkr_flex_csv",
    "parse_ibkr_flex_xml",
    "parse_ofx",
    "parse_prices_csv",
    "parse_schwab_csv",
    "parse_vanguard_csv",
]
