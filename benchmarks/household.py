"""`make bench`: the generated heavy household, end to end, on PostgreSQL.

    make bench   # DATABASE_URL=postgres://…/hearth_bench .venv/bin/python benchmarks/household.py

1. Generate the household with ``../shared/bench/gen_household.py`` (cached in ``var/gen``).
2. Drop and create the bench database (its name must contain "bench"), migrate.
3. Load it the way a user would, with the documented commands, each in its own process:
   create_household, create_account, import_securities (when the command exists),
   import_prices, import_dividends, import_transactions, recompute.
4. Check the end cash and quantities against the generator's ``summary.json``, exactly.
5. Time recompute again with nothing changed, and after one new transaction.
6. Time the pages and API rows (Django's test client, in one process): the median of
   ``--repeat`` runs after one warm-up. Pages keep their figures until the data changes
   (``portfolios.remembered``), so the warm-up is the first read's cost, printed beside.

Prints one table: each step's wall time beside its target, the CPU time of the process that
ran it (steadier than wall time on a busy machine; the database server's is not in it), and
its peak memory (maximum resident set). Exits 1 when a check fails or a target is missed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_household.py"
HOUSEHOLD = "Heavy household"
OWNER = "bench"
MEMORY_TARGET_MIB = 500


@dataclass
class Step:
    name: str
    seconds: float
    target: float | None
    peak_mib: float | None = None
    memory_target: float | None = MEMORY_TARGET_MIB
    note: str = ""
    cpu: float | None = None  # seconds of CPU in this process (not the database server's)
    # A page's first read, before its figures are kept (the time is the median of later reads)
    first_read: float | None = None

    @property
    def ok(self) -> bool:
        fast = self.target is None or self.seconds <= self.target
        small = self.memory_target is None or self.peak_mib is None
        return fast and (small or self.peak_mib <= self.memory_target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="heavy", choices=["typical", "heavy"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="generated files (default var/gen/SCALE-sSEED)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each page (median)")
    parser.add_argument("--pages-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hearth_bench")
    env = _environment(url)
    if args.pages_only:
        return _pages(args.repeat, args.scale)

    files = Path(args.out or ROOT / "var" / "gen" / f"{args.scale}-s{args.seed}")
    _generate(files, args.scale, args.seed)
    summary = json.loads((files / "summary.json").read_text())
    _recreate_database(url)
    steps: list[Step] = []
    problems_before: list[str] = []
    run = _Runner(env, steps)

    run("migrate", ["migrate", "--noinput"], None, memory=None)
    # As a deployment does: the pages' static files are served from the collected manifest.
    run("collectstatic", ["collectstatic", "--noinput", "-v", "0"], None, memory=None)
    run(
        "create_household",
        ["create_household", HOUSEHOLD, "--owner", OWNER, "--password", "bench"],
        None,
    )
    started = time.perf_counter()
    with (files / "accounts.csv").open() as handle:
        accounts = list(csv.DictReader(handle))
    peak = 0.0
    for row in accounts:
        argv = ["create_account", "--household", HOUSEHOLD, "--name", row["name"]]
        argv += ["--type", row["type"], "--lot-method", row["lot_method"]]
        peak = max(peak, run.command(argv)[1])
    steps.append(
        Step(f"create_account x{len(accounts)}", time.perf_counter() - started, None, peak)
    )
    if _has_command(env, "import_securities"):
        # The household's classification; it changes no cash or quantity, so a refusal is
        # reported and the load goes on (the imports create unknown symbols for review).
        refused = run.attempt(
            "import_securities",
            ["import_securities", "--household", HOUSEHOLD, str(files / "securities.csv")],
        )
        if refused:
            problems_before.append(f"import_securities refused the generated file: {refused}")
    rows = summary["rows"]
    run(
        f"import_prices ({rows['prices.csv']:,} closes)",
        ["import_prices", str(files / "prices.csv")],
        60,
    )
    run(
        f"import_dividends ({rows['dividends.csv']:,} events)",
        ["import_dividends", str(files / "dividends.csv")],
        None,
    )
    run(
        f"import_transactions ({rows['transactions.csv']:,} rows)",
        ["import_transactions", "--household", HOUSEHOLD, str(files / "transactions.csv")],
        15,
    )
    run("recompute (first, all pending)", ["recompute", "--household", HOUSEHOLD], 5)
    run("recompute --full", ["recompute", "--household", HOUSEHOLD, "--full"], 5)

    differences = _check(env, summary)
    problems = problems_before + differences
    steps.append(
        Step(
            "end cash and quantities = summary.json",
            0,
            None,
            note="equal" if not differences else f"FAILED: {len(differences)} differences",
        )
    )
    run("recompute, nothing changed", ["recompute", "--household", HOUSEHOLD], 1.5)
    one_row = _one_new_transaction(files, summary)
    run(
        "import_transactions (1 new row)",
        ["import_transactions", "--household", HOUSEHOLD, one_row],
        None,
    )
    run("recompute after one new transaction", ["recompute", "--household", HOUSEHOLD], 1.5)

    started = time.perf_counter()
    pages, peak, _ = _child(
        env,
        [
            sys.executable,
            __file__,
            "--pages-only",
            "--repeat",
            str(args.repeat),
            "--scale",
            args.scale,
        ],
    )
    for name, seconds, target, cpu, first in json.loads(pages.strip().splitlines()[-1]):
        steps.append(Step(name, seconds, target, None, None, cpu=cpu, first_read=first))
    steps.append(
        Step("pages and API process (all of the above)", time.perf_counter() - started, None, peak)
    )

    _print(steps, problems)
    return 0 if not problems and all(step.ok for step in steps) else 1


class _Runner:
    def __init__(self, env: dict, steps: list[Step]) -> None:
        self.env = env
        self.steps = steps

    def command(self, argv: list[str]) -> tuple[float, float, float]:
        started = time.perf_counter()
        _output, peak, cpu = _child(self.env, [sys.executable, str(ROOT / "manage.py"), *argv])
        return time.perf_counter() - started, peak, cpu

    def attempt(self, name: str, argv: list[str]) -> str:
        """Run a command that may refuse; return its last output line when it does."""
        started = time.perf_counter()
        argv = [sys.executable, str(ROOT / "manage.py"), *argv]
        output, peak, cpu = _child(self.env, argv, check=False)
        note = "" if output is None else "REFUSED"
        self.steps.append(Step(name, time.perf_counter() - started, None, peak, note=note, cpu=cpu))
        return "" if output is None else output.strip().splitlines()[-1]

    def __call__(
        self, name: str, argv: list[str], target: float | None, *, memory=MEMORY_TARGET_MIB
    ):
        seconds, peak, cpu = self.command(argv)
        self.steps.append(Step(name, seconds, target, peak, memory, cpu=cpu))
        print(f"  {name}: {seconds:.2f} s, {peak:.0f} MiB", file=sys.stderr, flush=True)


def _child(env: dict, argv: list[str], *, check: bool = True) -> tuple:
    """Run a process; return its output, its peak resident memory in MiB and its CPU
    seconds (user + system). A failure stops the bench, or with ``check=False`` gives
    the output of the failure in place of None as the first value."""
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode(errors="replace")
    peak, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime  # maxrss: KiB
    if process.returncode != 0:
        if not check:
            return output, peak, cpu
        sys.exit(f"{' '.join(argv[1:])} failed ({process.returncode}):\n{output[-4000:]}")
    return (output if check else None), peak, cpu


def _environment(url: str) -> dict:
    if urlparse(url).scheme not in {"postgres", "postgresql"}:
        sys.exit(f"make bench runs on PostgreSQL; DATABASE_URL is {url!r}")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DEBUG="false",
        ALLOWED_HOSTS="testserver,localhost",
        SECRET_KEY=env.get("SECRET_KEY", "bench-secret-key-long-enough-0123456789-abcdef"),
        HEARTH_VAR_DIR=env.get("HEARTH_VAR_DIR", str(ROOT / "var" / "bench")),
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
    )
    os.environ.update(env)
    return env


def _generate(files: Path, scale: str, seed: int) -> None:
    if (files / "summary.json").exists():
        return
    print(f"generating the {scale} household into {files} (a few minutes)", file=sys.stderr)
    subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            "--scale",
            scale,
            "--seed",
            str(seed),
            "--out",
            str(files),
        ],
        check=True,
    )


def _recreate_database(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"the bench drops its database; use one whose name contains 'bench', not {name!r}")
    admin = urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _has_command(env: dict, name: str) -> bool:
    output, _, _ = _child(env, [sys.executable, str(ROOT / "manage.py"), "help", "--commands"])
    return name in output.split()


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _check(env: dict, summary: dict) -> list[str]:
    _django()
    from benchmarks.household_check import household_differences
    from portfolios.models import Household

    household = Household.objects.get(name=HOUSEHOLD)
    problems = household_differences(household=household, summary=summary)
    for problem in problems[:20]:
        print(f"  differs: {problem}", file=sys.stderr)
    return problems


def _one_new_transaction(files: Path, summary: dict) -> str:
    """Write a one-row Hearth CSV: today's buy of one share of a held security, at its last
    close (a trade entered the day it is made)."""
    name, account = next(
        (name, account)
        for name, account in summary["accounts"].items()
        if account["positions"] and float(account["cash"]) > 1000
    )
    symbol, position = next(iter(account["positions"].items()))
    price = round(float(position["market_value"]) / float(position["quantity"]), 2)
    path = ROOT / "var" / "bench" / "one-new-transaction.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "id,date,account,type,symbol,quantity,price,amount,fees\n"
        f"BENCH-1,{date.today().isoformat()},{name},BUY,{symbol},1,{price:.2f},{price:.2f},0\n"
    )
    return str(path)


# Pages and API rows: (name, path, target seconds)
PAGES = [
    ("dashboard page", "/", 0.15),
    ("dashboard, retirement accounts", "/?show=retirement", 0.15),
    ("account page (largest account)", "/portfolio/accounts/{account}/", 0.3),
    ("holdings page", "/portfolio/holdings/", 0.3),
    ("allocation page", "/portfolio/allocation/", 0.3),
    ("performance page", "/performance/", 0.3),
    ("income page", "/income/", 0.3),
    ("holdings CSV", "/api/v1/holdings/?format=csv", 0.2),
    ("lots CSV", "/api/v1/lots/?format=csv", 0.5),
    ("transactions CSV (all)", "/api/v1/transactions/?format=csv", 1.5),
    ("realized gains CSV (all years)", "/api/v1/realized-gains/?format=csv", 1.0),
    ("performance, 30 years", "/api/v1/performance/?start={start}&end={end}", 0.15),
    ("income by month", "/api/v1/income/?group_by=month", 0.3),
    ("income projection", "/api/v1/income/projection/", 0.3),
    ("rebalance", "/api/v1/rebalance/", 0.3),
    ("harvest", "/api/v1/harvest/", 0.3),
]


def _pages(repeat: int, scale: str) -> int:
    _django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from portfolios.models import Transaction

    first = Transaction.objects.order_by("trade_date").values_list("trade_date", flat=True).first()
    last = Transaction.objects.order_by("-trade_date").values_list("trade_date", flat=True).first()
    client = Client()
    client.force_login(get_user_model().objects.get(username=OWNER))
    results = []
    for name, path, target in PAGES:
        path = path.format(start=first, end=last, account=_largest_account())
        timings, cpu = [], []
        for _ in range(repeat + 1):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(path)
            if response.streaming:
                for _chunk in response.streaming_content:
                    pass
            else:
                _ = response.content
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            if response.status_code != 200:
                sys.exit(f"{path} answered {response.status_code}")
        results.append(
            (name, statistics.median(timings[1:]), target, statistics.median(cpu[1:]), timings[0])
        )
        print(f"  {name}: {statistics.median(timings[1:]) * 1000:.0f} ms", file=sys.stderr)
    print(json.dumps(results))
    return 0


def _largest_account() -> int:
    """Return the id of the account with the most transactions (the account page's worst)."""
    from django.db.models import Count

    from portfolios.models import Account

    return Account.objects.annotate(n=Count("transactions")).order_by("-n").first().pk


def _print(steps: list[Step], problems: list[str]) -> None:
    width = max(len(step.name) for step in steps)
    print()
    header = f"{'step':<{width}}  {'time':>9}  {'target':>8}  {'cpu':>8}  {'peak MiB':>8}"
    header += f"  {'mem target':>10}"
    print(f"{header}  result")
    print("-" * (width + 66))
    for step in steps:
        seconds = _duration(step.seconds)
        if step.target is None:
            target = "-"
        elif step.target < 1:
            target = f"{step.target * 1000:.0f} ms"
        else:
            target = f"{step.target:g} s"
        peak = f"{step.peak_mib:.0f}" if step.peak_mib is not None else "-"
        memory = f"{step.memory_target:g}" if step.memory_target and step.peak_mib else "-"
        result = step.note or ("ok" if step.ok else "MISSED")
        if step.first_read is not None:
            result += f" (first read {_duration(step.first_read)})"
        cpu = "-" if step.cpu is None else _duration(step.cpu)
        print(
            f"{step.name:<{width}}  {seconds:>9}  {target:>8}  {cpu:>8}  {peak:>8}  {memory:>10}"
            f"  {result}"
        )
    print()
    for problem in problems[:20]:
        print(f"check: {problem}")
    print(
        "Every target met."
        if not problems and all(step.ok for step in steps)
        else "Some targets missed or checks failed."
    )


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


if __name__ == "__main__":
    sys.exit(main())
