"""Benchmark the performance engine on a heavy household (issue 4).

50,000 transactions, 500 securities, 30 years of daily closes (about 3.9 million), 15
accounts in 3 sleeves. Prints: full valuation + performance recompute (with and without the
database read), incremental recompute after one new transaction, the performance page's
server time and query count, `performance/?format=csv` time, and peak memory.

    .venv/bin/python benchmarks/performance.py                # SQLite in /tmp/hearth-bench
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/performance.py

The data is generated once per database (`--regenerate` to start over); the measurements
run in a fresh process so generation does not count towards peak memory.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HEARTH_VAR_DIR", "/tmp/hearth-bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

HOUSEHOLD = "Heavy"
SECURITIES = 500
ACCOUNTS = 15
TRANSACTIONS = 50_000
YEARS = 30
TODAY = date(2025, 6, 30)
FIRST_DAY = date(TODAY.year - YEARS, TODAY.month, TODAY.day)
SPLIT_SYMBOLS = 12


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# --- Data generation -------------------------------------------------------------------------


def _price_paths(rng, weekdays: int):
    import numpy as np

    drift = rng.uniform(0.02, 0.10, SECURITIES) / 252
    vol = rng.uniform(0.10, 0.35, SECURITIES) / np.sqrt(252)
    shocks = rng.standard_normal((SECURITIES, weekdays)) * vol[:, None] + drift[:, None]
    start = rng.uniform(10, 200, SECURITIES)
    return start[:, None] * np.exp(np.cumsum(shocks, axis=1))


def generate() -> None:
    import numpy as np

    from portfolios.models import Account, Household, Security, Transaction
    from portfolios.services.households import household_create
    from portfolios.services.price_loading import prices_bulk_load
    from reporting.models import Benchmark

    if Household.objects.filter(name=HOUSEHOLD).exists():
        print("data already generated")
        return
    started = time.perf_counter()
    rng = np.random.default_rng(4)
    household = household_create(name=HOUSEHOLD, owner_username="heavy", password="heavy-pw-1")
    sleeves = list(household.sleeves.order_by("name"))
    securities = Security.objects.bulk_create(
        Security(symbol=f"S{n:03d}", name=f"Security {n}", kind="etf", asset_class="us_equity")
        for n in range(SECURITIES)
    )
    days = [FIRST_DAY + timedelta(d) for d in range((TODAY - FIRST_DAY).days + 1)]
    weekdays = [d for d in days if d.weekday() < 5]
    paths = _price_paths(rng, len(weekdays))
    split_at = {n: int(rng.integers(1000, len(weekdays) - 1000)) for n in range(SPLIT_SYMBOLS)}
    for n, position in split_at.items():
        paths[n, position:] /= 2  # a 2:1 split: closes as traded halve
    paths = np.round(paths, 4)
    day_index = {d: i for i, d in enumerate(weekdays)}

    def rows():
        for n, security in enumerate(securities):
            closes = paths[n].tolist()
            for i, day in enumerate(weekdays):
                yield security.pk, day, closes[i]

    loaded = prices_bulk_load(rows=rows(), source="bench")
    print(f"generated {loaded:,} closes in {time.perf_counter() - started:.1f} s")

    accounts = Account.objects.bulk_create(
        Account(
            household=household,
            name=f"Account {n:02d}",
            currency="USD",
            default_sleeve=sleeves[n % len(sleeves)],
        )
        for n in range(ACCOUNTS)
    )
    txns: list[Transaction] = []
    per_account = TRANSACTIONS // ACCOUNTS
    random.seed(4)
    for a, account in enumerate(accounts):
        universe = [(a * 33 + k) % SECURITIES for k in range(60)]
        held: dict[int, Decimal] = {}
        months = YEARS * 12
        events = []
        for m in range(months):
            events.append((weekdays[min(m * 21, len(weekdays) - 1)], "DEPOSIT"))
        kinds = ["BUY"] * 55 + ["SELL"] * 14 + ["DIVIDEND"] * 14 + ["FEE"] * 2 + ["TRANSFER"] * 1
        for _ in range(per_account - months - 40):
            events.append((weekdays[random.randrange(20, len(weekdays))], random.choice(kinds)))
        for n, position in split_at.items():
            events.append((weekdays[position], f"SPLIT:{n}"))
        events.sort(key=lambda e: e[0])
        for seq, (day, kind) in enumerate(events):
            i = day_index[day]
            common = {"account": account, "trade_date": day, "external_id": f"{a}-{seq}"}
            if kind == "DEPOSIT":
                txns.append(Transaction(type=kind, amount=Decimal(3000), **common))
            elif kind.startswith("SPLIT:"):
                n = int(kind.split(":")[1])
                if held.get(n, 0) > 0:
                    held[n] *= 2
                    txns.append(
                        Transaction(
                            type="SPLIT", security=securities[n], split_new=2, split_old=1, **common
                        )
                    )
            elif kind == "BUY":
                n = random.choice(universe)
                quantity = Decimal(random.randint(1, 20))
                price = Decimal(str(paths[n, i]))
                held[n] = held.get(n, 0) + quantity
                txns.append(
                    Transaction(
                        type=kind,
                        security=securities[n],
                        quantity=quantity,
                        price=price,
                        amount=quantity * price,
                        fees=Decimal(1),
                        **common,
                    )
                )
            elif kind in ("SELL", "TRANSFER", "DIVIDEND"):
                owned = [n for n, q in held.items() if q > 0]
                if not owned:
                    continue
                n = random.choice(owned)
                if kind == "DIVIDEND":
                    amount = (held[n] * Decimal(str(paths[n, i])) * Decimal("0.005")).quantize(
                        Decimal("0.01")
                    )
                    txns.append(
                        Transaction(type=kind, security=securities[n], amount=amount, **common)
                    )
                    continue
                quantity = min(held[n], Decimal(random.randint(1, 10)))
                held[n] -= quantity
                if kind == "SELL":
                    price = Decimal(str(paths[n, i]))
                    txns.append(
                        Transaction(
                            type=kind,
                            security=securities[n],
                            quantity=quantity,
                            price=price,
                            amount=quantity * price,
                            fees=Decimal(1),
                            **common,
                        )
                    )
                else:
                    target = accounts[(a + 1) % ACCOUNTS]
                    txns.append(
                        Transaction(
                            type=kind,
                            security=securities[n],
                            quantity=quantity,
                            to_account=target,
                            **common,
                        )
                    )
            elif kind == "FEE":
                txns.append(Transaction(type=kind, amount=Decimal(15), **common))
    Transaction.objects.bulk_create(txns, batch_size=5000)
    Benchmark.objects.create(
        household=household,
        name="60/40",
        components=[{"symbol": "S000", "weight": "0.6"}, {"symbol": "S001", "weight": "0.4"}],
        is_default=True,
    )
    print(f"generated {len(txns):,} transactions in {time.perf_counter() - started:.1f} s")


# --- Measurements ----------------------------------------------------------------------------


def _best(runs: int, action):
    """Return the fastest of ``runs`` calls and that call's result."""
    best = None
    for _ in range(runs):
        started = time.perf_counter()
        value = action()
        elapsed = time.perf_counter() - started
        if best is None or elapsed < best[0]:
            best = (elapsed, value)
    return best


def measure() -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from portfolios.models import Household, Transaction
    from reporting.selectors.performance import performance_summary
    from reporting.services.valuations import valuations_rebuild

    household = Household.objects.get(name=HOUSEHOLD)
    rows = Transaction.objects.filter(account__household=household).count()
    from portfolios.models import Price

    print(
        f"household: {rows:,} transactions, {Price.objects.count():,} closes, "
        f"{household.accounts.count()} accounts"
    )

    # Full rebuild: first untraced (its process peak is the memory figure), then traced.
    baseline_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    first = valuations_rebuild(household=household, today=TODAY)
    rebuild_peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    valuations_rebuild(household=household, today=TODAY)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    full_seconds, full = _best(2, lambda: valuations_rebuild(household=household, today=TODAY))
    assert not full.problems, full.problems
    perf_seconds, _ = _best(
        3,
        lambda: [
            performance_summary(household=household, period=code, benchmark="60/40")
            for code in ("1M", "3M", "YTD", "1Y", "3Y", "5Y", "MAX")
        ],
    )
    compute = full.timings["compute"]
    print(
        f"full valuation (first run):            {first.seconds:7.3f} s "
        f"(read {first.timings['read']:.3f}, compute {first.timings['compute']:.3f}, "
        f"store {first.timings['store']:.3f})"
    )
    print(
        f"full valuation incl. DB read:           {full_seconds:7.3f} s "
        f"(read {full.timings['read']:.3f}, compute {compute:.3f}, "
        f"store {full.timings['store']:.3f})"
    )
    print(f"full valuation after load (compute+store): {compute + full.timings['store']:7.3f} s")
    print(f"performance figures, 7 periods + bench: {perf_seconds:7.3f} s")

    # Incremental after one new transaction three days before the end.
    account = household.accounts.order_by("name").first()
    day = TODAY - timedelta(days=3)
    new = Transaction.objects.create(
        account=account,
        trade_date=day,
        type="DEPOSIT",
        amount=Decimal(100),
        external_id="bench-new",
    )
    incremental_seconds, incremental = _best(
        3, lambda: valuations_rebuild(household=household, from_date=day, today=TODAY)
    )
    assert incremental.incremental
    print(
        f"incremental after one transaction:      {incremental_seconds:7.3f} s "
        f"(read {incremental.timings['read']:.3f}, compute "
        f"{incremental.timings['compute']:.3f}, store {incremental.timings['store']:.3f})"
    )
    new.delete()
    valuations_rebuild(household=household, today=TODAY)

    client = Client()
    client.force_login(household.memberships.get().user)
    client.get("/performance/")  # warm caches (sessions, calendars)
    with CaptureQueriesContext(connection) as queries:
        page_seconds, response = _best(5, lambda: client.get("/performance/"))
    assert response.status_code == 200, response.status_code
    page_queries = len(queries) // 5
    print(
        f"performance page (1Y, 60/40 benchmark): {page_seconds * 1000:7.1f} ms, "
        f"{page_queries} queries, {len(response.content) / 1024:.0f} KiB"
    )
    csv_seconds, response = _best(5, lambda: client.get("/api/v1/performance/?format=csv"))
    assert response.status_code == 200
    print(f"API performance/?format=csv (MAX):      {csv_seconds * 1000:7.1f} ms")
    series_seconds, response = _best(
        3, lambda: client.get("/api/v1/performance/series/?format=csv")
    )
    print(
        f"API performance/series/?format=csv:     {series_seconds * 1000:7.1f} ms "
        f"({len(response.content.splitlines()) - 1:,} rows)"
    )
    reset_queries()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak memory: full rebuild {rebuild_peak_mib:.0f} MiB process RSS (Django loaded: "
        f"{baseline_mib:.0f} MiB; allocations traced in a rebuild: {traced_peak / 2**20:.0f} "
        f"MiB); whole benchmark {peak_mib:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regenerate", action="store_true", help="drop and regenerate data")
    parser.add_argument("--phase", choices=["generate", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        setup_django()
        generate() if args.phase == "generate" else measure()
        return
    if args.regenerate and not os.environ.get("DATABASE_URL"):
        database = Path(os.environ["HEARTH_VAR_DIR"]) / "hearth.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    for phase in ("generate", "measure"):
        subprocess.run([sys.executable, __file__, "--phase", phase], check=True)


if __name__ == "__main__":
    main()
