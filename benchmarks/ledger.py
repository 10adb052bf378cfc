"""Ledger benchmark: 50,000 transactions over 30 years in 15 accounts and 500 securities.

Run with ``.venv/bin/python benchmarks/ledger.py``. It sets Django up itself with
``config.settings.local`` on a throwaway SQLite file under /tmp (or on ``DATABASE_URL`` when
that is set, in a household of its own that is deleted afterwards) and prints:

1. import time: the import service when it exists, else a bulk insert through the ORM;
2. full rebuild time (``ledger_rebuild`` from scratch), best and median of ``--repeat`` runs;
3. incremental rebuild time after editing one transaction in the middle of the history
   (``--repeat`` different ones), and that it left the same rows as a full rebuild;
4. peak memory of the process (``resource.getrusage``), the generated history included.

Targets (issue 3): import ≤ 20 s, full ≤ 3 s, incremental ≤ 300 ms, peak memory ≤ 400 MB.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT_TYPES = [
    ("taxable", "fifo"),
    ("taxable", "lifo"),
    ("taxable", "hifo"),
    ("taxable", "fifo"),
    ("taxable", "fifo"),
    ("taxable", "hifo"),
    ("trust", "fifo"),
    ("taxable", "fifo"),
    ("traditional_ira", "fifo"),
    ("traditional_ira", "fifo"),
    ("401k", "fifo"),
    ("roth_ira", "fifo"),
    ("roth_ira", "fifo"),
    ("hsa", "fifo"),
    ("cash", "fifo"),
]
CENT = Decimal("0.01")


def setup_django() -> str:
    """Point Django at a throwaway SQLite file (unless DATABASE_URL is set) and migrate."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    # DEBUG off: Django would otherwise keep every query's SQL in memory.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-0123456789-abcdefghijklmnop")
    where = os.environ.get("DATABASE_URL", "")
    if not where:
        var_dir = tempfile.mkdtemp(prefix="hearth-bench-", dir="/tmp")
        os.environ["HEARTH_VAR_DIR"] = var_dir
        where = f"{var_dir}/hearth.sqlite3"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return where


def generate_rows(*, transactions: int, accounts: int, securities: int, years: int, seed: int):
    """Return (account index, dict of Transaction fields) rows: a valid 30-year history.

    Each account trades its own slice of the securities (with overlaps, so wash sales cross
    accounts), never sells more than it holds, and moves some shares in kind.
    """
    rng = random.Random(seed)
    first = date(2024 - years + 1, 1, 2)
    span = years * 365
    days = sorted(first + timedelta(days=rng.randrange(span)) for _ in range(transactions))
    universe = {
        a: rng.sample(range(securities), k=min(securities, 80 + rng.randrange(40)))
        for a in range(accounts)
    }
    base_price = [Decimal(rng.randrange(1000, 20000)) / 100 for _ in range(securities)]
    held: dict[tuple[int, int], Decimal] = {}
    rows = []
    for number, day in enumerate(days):
        account = rng.randrange(accounts)
        security = rng.choice(universe[account])
        years_in = (day - first).days / 365
        drift = Decimal(str(round((1.06**years_in) * rng.uniform(0.8, 1.2), 4)))
        price = (base_price[security] * drift).quantize(CENT)
        owned = held.get((account, security), Decimal(0))
        pick = rng.random()
        row: dict = {"trade_date": day, "external_id": f"b{number}", "fees": Decimal(0)}
        if pick < 0.08 or (pick < 0.12 and owned == 0):
            row.update(type="DEPOSIT", amount=Decimal(rng.randrange(1000, 20000)))
        elif pick < 0.50 or owned == 0:
            quantity = Decimal(rng.randrange(1, 100))
            row.update(
                type="BUY",
                security=security,
                quantity=quantity,
                price=price,
                amount=quantity * price,
                fees=Decimal("4.95") if rng.random() < 0.3 else Decimal(0),
            )
            held[(account, security)] = owned + quantity
        elif pick < 0.70:
            quantity = min(owned, Decimal(rng.randrange(1, 120)))
            row.update(
                type="SELL",
                security=security,
                quantity=quantity,
                price=price,
                amount=quantity * price,
            )
            held[(account, security)] = owned - quantity
        elif pick < 0.84:
            dividend = (owned * CENT * 12).quantize(CENT)
            row.update(
                type="DIVIDEND", security=security, amount=dividend, income_class="qualified"
            )
        elif pick < 0.88:
            quantity = Decimal("0.5") + Decimal(rng.randrange(0, 50)) / 10
            row.update(
                type="REINVEST",
                security=security,
                quantity=quantity,
                price=price,
                amount=(quantity * price).quantize(CENT),
            )
            held[(account, security)] = owned + quantity
        elif pick < 0.90:
            target = (account + 1 + rng.randrange(accounts - 1)) % accounts
            quantity = min(owned, Decimal(rng.randrange(1, 50)))
            row.update(type="TRANSFER", security=security, quantity=quantity, to_account=target)
            held[(account, security)] = owned - quantity
            held[(target, security)] = held.get((target, security), Decimal(0)) + quantity
        elif pick < 0.902:
            row.update(type="SPLIT", security=security, split_new=Decimal(2), split_old=Decimal(1))
            held[(account, security)] = owned * 2
        elif pick < 0.91:
            row.update(type="RETURN_OF_CAPITAL", security=security, amount=Decimal("15.00"))
        elif pick < 0.94:
            row.update(type="INTEREST", amount=Decimal(rng.randrange(1, 300)))
        elif pick < 0.97:
            row.update(type="FEE", amount=Decimal(rng.randrange(1, 50)))
        else:
            row.update(type="WITHDRAWAL", amount=Decimal(rng.randrange(100, 2000)))
        rows.append((account, row))
    return rows


def import_rows(household, rows, securities: int) -> tuple[float, str]:
    """Store the generated rows; return the seconds it took and how they were stored.

    Through the import service (a Hearth CSV file) when ``transactions_import`` exists and
    accepts the file; otherwise (or if it rejects the file) a bulk insert through the ORM.
    """
    from portfolios.models import IdentityGroup, Security
    from portfolios.services.households import account_create

    accounts = [
        account_create(household=household, name=f"Account {n:02d}", type=kind, lot_method=method)
        for n, (kind, method) in enumerate(ACCOUNT_TYPES[: 1 + max(a for a, _ in rows)])
    ]
    Security.objects.bulk_create(
        [
            Security(symbol=f"BENCH{n:03d}", kind="etf", asset_class="us_equity")
            for n in range(securities)
        ],
        ignore_conflicts=True,
    )
    by_index = dict(
        enumerate(
            Security.objects.filter(symbol__startswith="BENCH").order_by("symbol")[:securities]
        )
    )
    for n in range(0, 40, 2):
        group = IdentityGroup.objects.create(household=household, name=f"pair {n}")
        group.securities.set([by_index[n], by_index[n + 1]])

    try:
        from portfolios.services.imports.transactions import transactions_import
    except ImportError:
        transactions_import = None
    if transactions_import is not None:
        content = hearth_csv(rows, accounts, by_index)
        started = time.perf_counter()
        result = transactions_import(
            household=household, content=content, filename="benchmark.csv", format="hearth"
        )
        seconds = time.perf_counter() - started
        if result.ok:
            return seconds, f"import service, {len(content) / 2**20:.1f} MB Hearth CSV"
        print("import service rejected the file:", *result.errors[:5], sep="\n  ")
    return bulk_insert(rows, accounts, by_index), "ORM bulk insert"


def hearth_csv(rows, accounts, securities) -> bytes:
    """Return the rows as a Hearth CSV file (DESIGN §3)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = ["date", "account", "type", "symbol", "quantity", "price", "amount", "fees"]
    writer.writerow([*columns, "ratio", "to_account", "income_class", "id"])
    for account, row in rows:
        security = securities[row["security"]].symbol if "security" in row else ""
        ratio = f"{row['split_new']}:{row['split_old']}" if row["type"] == "SPLIT" else ""
        writer.writerow(
            [
                row["trade_date"].isoformat(),
                accounts[account].name,
                row["type"],
                security,
                row.get("quantity", ""),
                row.get("price", ""),
                row.get("amount", ""),
                row.get("fees") or "",
                ratio,
                accounts[row["to_account"]].name if "to_account" in row else "",
                row.get("income_class", ""),
                row["external_id"],
            ]
        )
    return buffer.getvalue().encode()


def bulk_insert(rows, accounts, securities) -> float:
    """Insert the rows with ``bulk_create``; return the seconds it took."""
    from portfolios.models import Transaction

    started = time.perf_counter()
    Transaction.objects.bulk_create(
        [
            Transaction(
                account=accounts[account],
                security=securities.get(row.get("security")),
                to_account=accounts[row["to_account"]] if "to_account" in row else None,
                **{k: v for k, v in row.items() if k not in ("security", "to_account")},
            )
            for account, row in rows
        ],
        batch_size=2000,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=50_000)
    parser.add_argument("--accounts", type=int, default=15)
    parser.add_argument("--securities", type=int, default=500)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each rebuild timing")
    args = parser.parse_args()

    where = setup_django()
    from portfolios.models import LotRelief, TaxLot, Transaction
    from portfolios.services.households import household_create
    from portfolios.services.ledger import ledger_rebuild

    rows = generate_rows(
        transactions=args.transactions,
        accounts=args.accounts,
        securities=args.securities,
        years=args.years,
        seed=args.seed,
    )
    name = f"Benchmark {os.getpid()}"
    household = household_create(name=name, owner_username=f"bench{os.getpid()}")
    try:
        imported, how = import_rows(household, rows, args.securities)
        print(f"database            {where}")
        count = Transaction.objects.filter(account__household=household).count()
        print(f"transactions        {count:,}")
        print(f"import              {imported:8.2f} s   ({how})")

        # Each timing is repeated: the machine is shared, so the best run is the one least
        # disturbed by others, and the median shows the spread.
        full_times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            full = ledger_rebuild(household=household)
            full_times.append(time.perf_counter() - started)
        print(
            f"full rebuild        {min(full_times):8.2f} s   best of {args.repeat}, "
            f"median {statistics.median(full_times):.2f} s "
            f"({full.open_lots:,} open lots, {full.reliefs:,} reliefs)"
        )

        buys = Transaction.objects.filter(account__household=household, type="BUY").order_by(
            "trade_date", "id"
        )
        middle = buys.count() // 2
        incremental_times = []
        for edited in buys[middle : middle + args.repeat]:
            Transaction.objects.filter(pk=edited.pk).update(
                price=edited.price + 1, amount=edited.amount + edited.quantity
            )
            started = time.perf_counter()
            result = ledger_rebuild(household=household, from_date=edited.trade_date)
            incremental_times.append(time.perf_counter() - started)
            assert not result.full
        print(
            f"incremental rebuild {min(incremental_times) * 1000:8.0f} ms  best of {args.repeat}, "
            f"median {statistics.median(incremental_times) * 1000:.0f} ms "
            f"(edited a BUY on {edited.trade_date}, {result.replayed} rows replayed)"
        )

        def snapshot():
            lots = sorted(
                TaxLot.objects.filter(household=household).values_list(
                    "lot_key", "quantity", "cost_basis", "holding_period_start"
                )
            )
            reliefs = sorted(
                LotRelief.objects.filter(household=household).values_list(
                    "lot_key",
                    "sale_transaction_id",
                    "sequence",
                    "quantity",
                    "gain",
                    "wash_sale_disallowed",
                )
            )
            return lots, reliefs

        after_incremental = snapshot()
        ledger_rebuild(household=household)
        same = after_incremental == snapshot()
        print(f"incremental = full  {same}")

        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory         {peak_rss:8.0f} MB  (process peak RSS, generator included)")
    finally:
        if os.environ.get("DATABASE_URL"):
            # Transfers protect their target account: delete the transactions first.
            Transaction.objects.filter(account__household=household).delete()
            household.delete()
        else:
            shutil.rmtree(os.environ["HEARTH_VAR_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
