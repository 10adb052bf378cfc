"""A bulk load refreshes PostgreSQL's planner statistics (the manual's advice after loading),
so the next queries are not planned as if the tables were still empty."""

from datetime import date, timedelta

import pytest
from django.db import connection

from portfolios.models import Price
from portfolios.services.imports.market_data import prices_import
from portfolios.services.planner_statistics import BULK_ROWS, planner_statistics_refresh

pytestmark = pytest.mark.django_db


def _analyzed_count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = %s", [table])
        row = cursor.fetchone()
    return row[0] if row else 0


def test_small_loads_and_sqlite_skip_the_analyze():
    assert planner_statistics_refresh(Price, rows=BULK_ROWS - 1) is False
    if connection.vendor != "postgresql":
        assert planner_statistics_refresh(Price, rows=BULK_ROWS) is False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL planner statistics")
def test_a_bulk_price_import_analyzes_the_price_table():
    before = _analyzed_count("portfolios_price")
    start = date(2020, 1, 1)
    lines = ["symbol,date,close"] + [
        f"AAA,{(start + timedelta(days=n)).isoformat()},{100 + n % 7}.25" for n in range(1200)
    ]
    result = prices_import(content="\n".join(lines).encode())
    assert result.ok and result.added == 1200
    # pg_stat counters are sent asynchronously; the ANALYZE itself ran in this session.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
    assert _analyzed_count("portfolios_price") >= before + 1 or _stats_lag()


def _stats_lag() -> bool:
    """PostgreSQL < 15 reports statistics with a delay; accept a fresh reltuples instead."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'portfolios_price'")
        return cursor.fetchone()[0] >= 1200
