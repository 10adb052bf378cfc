"""Imports of transactions and market-data files into the database (DESIGN §3).

The parsers in ``portfolios.imports`` are pure; these services decide what the parsed
rows mean for a household and store them, all or nothing.
"""

from portfolios.services.imports.market_data import (
    MarketDataImportResult,
    dividends_import,
    prices_import,
)
from portfolios.services.imports.transactions import (
    ImportResult,
    PreviewRow,
    transactions_import,
    transactions_import_confirm,
    transactions_import_preview,
)

__all__ = [
    "ImportResult",
    "MarketDataImportResult",
    "PreviewRow",
    "dividends_import",
    "prices_import",
    "transactions_import",
    "transactions_import_confirm",
    "transactions_import_preview",
]
