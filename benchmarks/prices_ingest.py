"""Benchmark the bulk price load: 3.8 million closes into an empty table and over it again.

500 securities x 7,600 sessions (30 years). Prints the time of `prices_bulk_load` from rows
in memory, from a `symbol,date,close` file (parsing included), and of re-loading the same
closes over the stored ones (every row an update). Target: 3.8M rows in <= 60 s.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/prices_ingest.py   # COPY path
    .venv/bin/python benchmarks/prices_ingest.py                               # SQLite
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HEARTH_VAR_DIR", "/tmp/hearth-bench-ingest")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

SECURITIES = 500
SESSIONS = 7_600


def main() -> None:
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from django.db import connection

    from portfolios.models import Price, Security
    from portfolios.services.price_loading import prices_bulk_load

    call_command("migrate", verbosity=0, interactive=False)
    securities = [
        Security.objects.get_or_create(symbol=f"ING{n:03d}")[0] for n in range(SECURITIES)
    ]
    Price.objects.filter(security__in=securities).delete()
    days = []
    day = date(1995, 1, 2)
    while len(days) < SESSIONS:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    rng = np.random.default_rng(7)
    closes = np.round(
        50 * np.exp(np.cumsum(rng.normal(0, 0.01, (SECURITIES, SESSIONS)), axis=1)), 4
    )
    total = SECURITIES * SESSIONS
    print(f"{connection.vendor}: {total:,} closes of {SECURITIES} securities")

    def rows():
        for n, security in enumerate(securities):
            values = closes[n].tolist()
            for i, session in enumerate(days):
                yield security.pk, session, values[i]

    started = time.perf_counter()
    loaded = prices_bulk_load(rows=rows(), source="bench")
    into_empty = time.perf_counter() - started
    rate = loaded / into_empty
    print(f"prices_bulk_load into an empty table:   {into_empty:6.1f} s ({rate:,.0f} rows/s)")

    started = time.perf_counter()
    prices_bulk_load(rows=rows(), source="bench2")
    over = time.perf_counter() - started
    print(f"prices_bulk_load over stored closes:    {over:6.1f} s (every row an update)")

    Price.objects.filter(security__in=securities).delete()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "prices.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["symbol", "date", "close"])
            for n, security in enumerate(securities):
                values = closes[n].tolist()
                writer.writerows(
                    (security.symbol, d.isoformat(), v) for d, v in zip(days, values, strict=True)
                )
        ids = {security.symbol: security.pk for security in securities}
        started = time.perf_counter()
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            parsed = (
                (ids[symbol], date.fromisoformat(day_text), Decimal(close))
                for symbol, day_text, close in reader
            )
            loaded = prices_bulk_load(rows=parsed, source="file")
        from_file = time.perf_counter() - started
    print(f"file -> database (parse + load):        {from_file:6.1f} s for {loaded:,} rows")
    assert Price.objects.filter(security__in=securities).count() == total
    Price.objects.filter(security__in=securities).delete()
    verdict = "ok" if max(into_empty, from_file) <= 60 else "SLOWER THAN 60 s"
    print(f"target 3.8M rows <= 60 s: {verdict}")


if __name__ == "__main__":
    main()
