"""`make load`: the heavy household under 20 concurrent users, through gunicorn, on loopback.

1. Generate the heavy household once (``../shared/bench/gen_household.py --scale heavy``,
   or GEN_HOUSEHOLD=path) into ``var/load/heavy``, and load it once into the load database
   (LOAD_DATABASE_URL; by default PostgreSQL as in docker-compose.yml, the ``hearth_load``
   database of the server on 127.0.0.1:5432 when one answers, else SQLite
   ``var/load/hearth-load.sqlite3``) through the same imports a household uses, then
   recompute.
2. Start gunicorn as docker-compose.yml does (``config.wsgi:application``, 3 workers,
   production settings) on a free port of 127.0.0.1.
3. Run Locust headless: LOAD_USERS (20) users, LOAD_SECONDS (60) seconds, only against that
   loopback address; sample every gunicorn worker's memory meanwhile.
4. Print p50/p95 per route and overall, the error rate, the largest worker's memory, and
   the verdict against the targets (p95 <= 300 ms, no errors, no worker above 500 MiB).
"""

from __future__ import annotations

import csv
import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
LOAD_DIR = ROOT / "var" / "load"
DATA_DIR = LOAD_DIR / "heavy"
HOUSEHOLD = "Heavy household"
USERNAME = "load"
PASSWORD = "load-pw-" + "x" * 8
READY_MARK = LOAD_DIR / "loaded.txt"
TARGET_P95_MS = 300
TARGET_RSS_MIB = 500
BIN = Path(sys.executable).parent


LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432"


def _database_url() -> str:
    """LOAD_DATABASE_URL; else, as docker-compose.yml runs it, PostgreSQL: the local server's
    ``hearth_load`` database when one answers on 127.0.0.1:5432; else a SQLite file."""
    if os.environ.get("LOAD_DATABASE_URL"):
        return os.environ["LOAD_DATABASE_URL"]
    try:
        import psycopg

        with psycopg.connect(f"{LOCAL_POSTGRES}/postgres", connect_timeout=2):
            return f"{LOCAL_POSTGRES}/hearth_load"
    except Exception:  # no server, or not this login: the embedded database
        return f"sqlite:///{LOAD_DIR / 'hearth-load.sqlite3'}"


LOCAL_REDIS = "redis://127.0.0.1:6379/12"  # a database of its own on the local server


def _redis_url() -> str:
    """LOAD_REDIS_URL; else, as docker-compose.yml, the local Redis when one answers (the
    pages' kept figures are shared by the workers there); else none (memory per worker)."""
    if os.environ.get("LOAD_REDIS_URL") is not None:
        return os.environ["LOAD_REDIS_URL"]
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return LOCAL_REDIS if sock.recv(16).startswith(b"+PONG") else ""
    except OSError:
        return ""


def _env() -> dict[str, str]:
    database = _database_url()
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("LOAD_SECRET_KEY", secrets.token_urlsafe(40)),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on the loopback (DESIGN §6)
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "DATABASE_URL": database,
        **({"REDIS_URL": redis} if (redis := _redis_url()) else {}),
        "HEARTH_VAR_DIR": str(LOAD_DIR / "var"),
        "PRICE_PROVIDER": "demo",
        "CELERY_TASK_ALWAYS_EAGER": "true",  # the load run has no worker; imports recompute here
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def _manage(*args: str, env: dict[str, str]) -> str:
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if completed.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    print(f"  manage.py {args[0]}: {time.monotonic() - started:.0f} s", flush=True)
    return completed.stdout


def _generator() -> Path:
    candidates = [os.environ.get("GEN_HOUSEHOLD", "")]
    candidates += [str(p / "shared" / "bench" / "gen_household.py") for p in ROOT.parents]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    sys.exit("gen_household.py not found: set GEN_HOUSEHOLD=/path/to/gen_household.py")


def prepare(env: dict[str, str]) -> None:
    """Generate and load the heavy household, once per load database."""
    # One line per database loaded: switching LOAD_DATABASE_URL back and forth loads each once.
    loaded = READY_MARK.read_text().splitlines() if READY_MARK.exists() else []
    if env["DATABASE_URL"] in loaded:
        print("heavy household already loaded (delete var/load/loaded.txt to reload)")
        return
    LOAD_DIR.mkdir(parents=True, exist_ok=True)
    _create_database(env["DATABASE_URL"])
    if not (DATA_DIR / "summary.json").exists():
        print("generating the heavy household (gen_household.py --scale heavy --seed 1) ...")
        subprocess.run(
            [sys.executable, str(_generator()), "--scale", "heavy", "--seed", "1", "--out",
             str(DATA_DIR)],
            check=True,
        )  # fmt: skip
    print("loading it (minutes on a 2-core machine) ...", flush=True)
    subprocess.run([sys.executable, __file__, "load-data"], cwd=ROOT, env=env, check=True)
    READY_MARK.write_text("".join(f"{url}\n" for url in [*loaded, env["DATABASE_URL"]]))


def _create_database(url: str) -> None:
    """Create LOAD_DATABASE_URL's PostgreSQL database when it does not exist (never drop)."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        return  # SQLite creates its file on first connection
    import psycopg

    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            print(f"creating the PostgreSQL database {name!r}")
            connection.execute(f'CREATE DATABASE "{name}"')


def load_data() -> None:
    """Load ``var/load/heavy`` into the configured database, in this process, as generated,
    through the commands a household uses (the price import streams a file of any size).
    """
    import django

    django.setup()
    from django.core.management import call_command

    def step(name, *args):
        started = time.monotonic()
        call_command(name, *args, verbosity=0)
        print(f"  {name}: {time.monotonic() - started:.0f} s", flush=True)

    step("migrate", "--noinput")
    step("create_household", HOUSEHOLD, "--owner", USERNAME, "--password", PASSWORD)
    with (DATA_DIR / "accounts.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            args = ["--household", HOUSEHOLD, "--name", row["name"], "--type", row["type"]]
            if row.get("lot_method"):
                args += ["--lot-method", row["lot_method"]]
            call_command("create_account", *args)
    step("import_prices", str(DATA_DIR / "prices.csv"))
    step("import_dividends", str(DATA_DIR / "dividends.csv"))
    step("import_transactions", "--household", HOUSEHOLD, str(DATA_DIR / "transactions.csv"))
    step("recompute", "--household", HOUSEHOLD)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class MemorySampler(threading.Thread):
    """Record the largest resident memory of each gunicorn worker, once a second."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master = master
        self.peak: dict[int, float] = {}
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(1.0):
            for pid in _children(self.master):
                self.peak[pid] = max(self.peak.get(pid, 0.0), _rss_mib(pid))


def _wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"gunicorn did not answer {url} within {timeout} s")


def _token(env: dict[str, str]) -> str:
    return _manage("create_api_token", USERNAME, "--scope", "read", env=env).split()[-1]


def _database_kind() -> str:
    parsed = urlparse(_database_url())
    if parsed.scheme.startswith("postgres"):
        return f"PostgreSQL {parsed.hostname}:{parsed.port or 5432}/{parsed.path.lstrip('/')}"
    return f"SQLite {parsed.path}"


def run_locust(host: str, env: dict[str, str], *, users: int, seconds: int) -> Path:
    if not ipaddress.ip_address(urlparse(host).hostname).is_loopback:
        sys.exit(f"refusing to load {host}: only loopback addresses")
    prefix = LOAD_DIR / "locust"
    subprocess.run(
        [str(BIN / "locust"), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
         "--users", str(users), "--spawn-rate", str(max(1, users // 5)), "--run-time",
         f"{seconds}s", "--stop-timeout", "10", "--host", host, "--csv", str(prefix),
         "--only-summary", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, check=False, timeout=seconds + 120,
    )  # fmt: skip
    return Path(f"{prefix}_stats.csv")


def report(stats: Path, peak: dict[int, float], *, users: int, seconds: int) -> int:
    rows = list(csv.DictReader(stats.open(newline="")))
    print()
    print(f"Load: {users} users for {seconds} s, gunicorn 3 workers, heavy household")
    print(f"database: {_database_kind()}; cache: {_redis_url() or 'memory of each worker'}")
    print(f"{'route':<32} {'requests':>9} {'errors':>7} {'p50 ms':>7} {'p95 ms':>7}")
    total = None
    for row in rows:
        line = (
            f"{row['Name'][:32]:<32} {row['Request Count']:>9} {row['Failure Count']:>7} "
            f"{row['50%']:>7} {row['95%']:>7}"
        )
        if row["Name"] == "Aggregated":
            total = row
            print("-" * 66)
        print(line)
    requests = int(total["Request Count"])
    failures = int(total["Failure Count"])
    error_rate = failures / requests if requests else 1.0
    p50, p95 = float(total["50%"]), float(total["95%"])
    largest = max(peak.values(), default=0.0)
    load1, load5, _ = os.getloadavg()
    print()
    print(
        f"p50 {p50:.0f} ms   p95 {p95:.0f} ms   "
        f"error rate {error_rate:.2%} ({failures} of {requests})"
    )
    print(f"largest gunicorn worker: {largest:.0f} MiB (workers: "
          f"{', '.join(f'{v:.0f}' for v in sorted(peak.values()))} MiB)")  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, load average {load1:.1f} / {load5:.1f} (1 / 5 min)")
    verdicts = [
        ("p95 <= 300 ms", p95 <= TARGET_P95_MS),
        ("0 errors", failures == 0),
        ("no worker above 500 MiB", largest <= TARGET_RSS_MIB),
    ]
    print("targets: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in verdicts))
    if load5 > (os.cpu_count() or 1):
        print("caveat: the machine was busy with other work during the run; rerun when quiet.")
    return 0 if all(ok for _, ok in verdicts) else 1


def main() -> int:
    users = int(os.environ.get("LOAD_USERS", "20"))
    seconds = int(os.environ.get("LOAD_SECONDS", "60"))
    env = _env()
    prepare(env)
    _manage("migrate", "--noinput", env=env)  # as docker-compose.yml does before gunicorn
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():
        _manage("collectstatic", "--noinput", "-v0", env=env)
    token = _token(env)
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    log = (LOAD_DIR / "gunicorn.log").open("wb")
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "3", "--access-logfile", "-"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    sampler = MemorySampler(web.pid)
    try:
        _wait_up(f"{host}/accounts/login/")
        sampler.start()
        stats = run_locust(
            host,
            {**env, "LOAD_USERNAME": USERNAME, "LOAD_PASSWORD": PASSWORD, "LOAD_TOKEN": token},
            users=users,
            seconds=seconds,
        )
    finally:
        sampler.stopped.set()
        web.terminate()
        try:
            web.wait(timeout=30)
        except subprocess.TimeoutExpired:
            web.kill()
    if not stats.exists():
        print("locust wrote no statistics", file=sys.stderr)
        return 1
    return report(stats, sampler.peak, users=users, seconds=seconds)


if __name__ == "__main__":
    if sys.argv[1:] == ["load-data"]:
        sys.path.insert(0, str(ROOT))
        load_data()
        sys.exit(0)
    if shutil.which("gunicorn", path=str(BIN)) is None:
        sys.exit("gunicorn is not installed: run make install")
    sys.exit(main())
