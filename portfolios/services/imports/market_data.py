"""Import market-data files: daily closes and dividend events (DESIGN §3), all or nothing.

Prices are ``symbol,date,close``; dividends ``symbol,ex_date,pay_date,amount`` per share.
Any bad row rejects the file with every bad row named. A close or event already stored for
the same day is replaced by the file's (a corrected close is a correction, not a
duplicate). Unknown symbols are created with kind and asset class ``unknown`` and flagged
for review.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from portfolios.imports import (
    ImportFileError,
    RowError,
    parse_dividends_csv,
    parse_prices_csv,
)
from portfolios.models import DividendEvent, Price, Security
from portfolios.services.market_data import (
    dividends_upsert,
    security_get_or_create,
)
from portfolios.services.price_loading import prices_bulk_load

SOURCE = "file"


@dataclass
class MarketDataImportResult:
    """What a prices or dividends import wrote, or every reason it wrote nothing."""

    rows: int = 0
    added: int = 0
    updated: int = 0
    symbols: int = 0
    new_symbols: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def prices_import(*, content: bytes) -> MarketDataImportResult:
    """Store the daily closes of a ``symbol,date,close`` file, all or nothing."""
    return _import(
        content,
        parse=parse_prices_csv,
        model=Price,
        date_field="date",
        key=lambda row: (row.symbol, row.date),
        # COPY on PostgreSQL: decades of closes for hundreds of symbols load in seconds.
        write=lambda rows, securities: prices_bulk_load(
            rows=((securities[row.symbol].pk, row.date, row.close) for row in rows),
            source=SOURCE,
        ),
    )


def dividends_import(*, content: bytes) -> MarketDataImportResult:
    """Store the dividend events of a ``symbol,ex_date,pay_date,amount`` file, all or
    nothing."""
    return _import(
        content,
        parse=parse_dividends_csv,
        model=DividendEvent,
        date_field="ex_date",
        key=lambda row: (row.symbol, row.ex_date),
        write=lambda rows, securities: dividends_upsert(
            events=(
                (securities[row.symbol], row.ex_date, row.pay_date, row.amount) for row in rows
            ),
            source=SOURCE,
        ),
    )


def _import(
    content: bytes,
    *,
    parse: Callable[[bytes], tuple[Sequence, list[RowError]]],
    model: type[Price] | type[DividendEvent],
    date_field: str,
    key: Callable,
    write: Callable,
) -> MarketDataImportResult:
    """Parse, reject on any bad row, else create unknown symbols and upsert every row.

    1. Parse the file; a file-level problem or any bad row writes nothing.
    2. In one transaction: find or create each symbol's security, count which (symbol,
       day) pairs are stored already (those are updated), and upsert the rows.
    """
    try:
        rows, errors = parse(content)
    except ImportFileError as error:
        return MarketDataImportResult(errors=[str(error)])
    if errors:
        return MarketDataImportResult(errors=[str(error) for error in errors])
    symbols = sorted({row.symbol for row in rows})
    with transaction.atomic():
        securities: dict[str, Security] = {}
        new_symbols = []
        for symbol in symbols:
            securities[symbol], created = security_get_or_create(symbol=symbol)
            if created:
                new_symbols.append(symbol)
        stored = _stored_keys(model, date_field, securities, [key(row)[1] for row in rows])
        updated = sum(1 for row in rows if key(row) in stored)
        written = write(rows, securities)
    return MarketDataImportResult(
        rows=written,
        added=written - updated,
        updated=updated,
        symbols=len(symbols),
        new_symbols=new_symbols,
    )


def _stored_keys(
    model: type[Price] | type[DividendEvent],
    date_field: str,
    securities: dict[str, Security],
    days: list[date],
) -> set[tuple[str, date]]:
    if not days:
        return set()
    symbol_of = {security.pk: symbol for symbol, security in securities.items()}
    stored = model.objects.filter(
        security_id__in=list(symbol_of),
        **{f"{date_field}__range": (min(days), max(days))},
    ).values_list("security_id", date_field)
    return {(symbol_of[security_id], day) for security_id, day in stored}
