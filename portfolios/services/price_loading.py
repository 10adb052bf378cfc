"""Load millions of daily closes quickly: PostgreSQL COPY, or batched upserts elsewhere.

`prices_upsert` builds a model instance per close, which is fine for a refresh but slow for a
30-year history of hundreds of symbols. `prices_bulk_load` streams the rows instead:

- PostgreSQL: COPY them into a temporary table (psycopg's `cursor.copy`), then one
  `INSERT ... SELECT ... ON CONFLICT (security_id, date) DO UPDATE` into the price table.
- SQLite: `executemany` of the same upsert in batches.
- Any other database: `bulk_create(update_conflicts=True)` in batches.

Every path replaces a stored close of the same day (a corrected close is a correction) and
runs in one transaction, so a failed load leaves nothing behind.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import connection, transaction

from portfolios.models import Price

COPY_CHUNK_ROWS = 50_000
UPSERT_BATCH = 20_000

Row = tuple[int, date, Decimal | str | float]


@transaction.atomic
def prices_bulk_load(*, rows: Iterable[Row], source: str = "file") -> int:
    """Store (security id, day, close) rows, replacing closes of the same day; return the count."""
    if connection.vendor == "postgresql":
        return _copy_load(rows, source)
    if connection.vendor == "sqlite":
        return _executemany_load(rows, source)
    return _bulk_create_load(rows, source)


def _copy_load(rows: Iterable[Row], source: str) -> int:
    table = Price._meta.db_table
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE hearth_price_load "
            "(security_id bigint, date date, close numeric(24, 8)) ON COMMIT DROP"
        )
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy("COPY hearth_price_load (security_id, date, close) FROM STDIN") as copy:
            iterator = iter(rows)
            while chunk := list(itertools.islice(iterator, COPY_CHUNK_ROWS)):
                copy.write(
                    "".join(
                        f"{security}\t{day.isoformat()}\t{close}\n"
                        for security, day, close in chunk
                    )
                )
                count += len(chunk)
        cursor.execute(
            f"INSERT INTO {table} (security_id, date, close, source) "
            "SELECT security_id, date, close, %s FROM hearth_price_load "
            "ON CONFLICT (security_id, date) DO UPDATE "
            "SET close = EXCLUDED.close, source = EXCLUDED.source",
            [source],
        )
        cursor.execute("DROP TABLE hearth_price_load")
    return count


def _executemany_load(rows: Iterable[Row], source: str) -> int:
    table = Price._meta.db_table
    sql = (
        f"INSERT INTO {table} (security_id, date, close, source) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (security_id, date) DO UPDATE "
        "SET close = excluded.close, source = excluded.source"
    )
    count = 0
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(itertools.islice(iterator, UPSERT_BATCH)):
            cursor.executemany(
                sql,
                [(security, day.isoformat(), str(close), source) for security, day, close in chunk],
            )
            count += len(chunk)
    return count


def _bulk_create_load(rows: Iterable[Row], source: str) -> int:
    count = 0
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, UPSERT_BATCH)):
        Price.objects.bulk_create(
            [Price(security_id=s, date=d, close=c, source=source) for s, d, c in chunk],
            update_conflicts=True,
            unique_fields=["security", "date"],
            update_fields=["close", "source"],
        )
        count += len(chunk)
    return count
