"""Run Hearth's own commands in other processes, and services the fault tests start themselves.

Every service here is started on a free loopback port in a temporary folder and stopped by
the test that started it; the machine's shared PostgreSQL and Redis are never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hearth_env(**overrides: str) -> dict[str, str]:
    """Return the environment of a Hearth process under the test settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test", PYTHONPATH=str(ROOT))
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 180, check: bool = True):
    """Run ``manage.py`` with args; return the completed process (text output)."""
    completed = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} exited {completed.returncode}:\n"
            f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        )
    return completed


def checksums_in(env: dict[str, str], timeout: float = 120) -> dict:
    """Return ``tests.reliability.checksums.database_checksums()`` of env's database."""
    completed = subprocess.run(
        [PYTHON, "-m", "tests.reliability.checksums"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll predicate until it returns a truthy value; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def stop_process(process: subprocess.Popen, *, sig: int = signal.SIGTERM, timeout: float = 20):
    """Stop a process this test started (by its own id), killing it if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# --- Redis -----------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A redis-server of the test's own, with append-only persistence in ``folder``."""

    folder: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--maxmemory-policy",
                "noeviction",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=15, what=f"redis on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def restart(self, *, down_seconds: float = 1.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


@contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    """Yield a running Redis of this test's own; stop it afterwards."""
    if shutil.which("redis-server") is None:
        raise AssertionError("redis-server is not installed (Debian: redis-server)")
    server = RedisServer(folder=folder, port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- PostgreSQL ------------------------------------------------------------------------------


def pg_bin(name: str) -> str:
    """Return the path of a PostgreSQL server program (initdb, pg_ctl)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not candidates:
        raise AssertionError(f"{name} not found: install the PostgreSQL server (postgresql)")
    return str(candidates[-1])


def _as_postgres_user() -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() != 0:
        return []
    return [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]


@dataclass
class PostgresServer:
    """A PostgreSQL cluster of the test's own (initdb in ``folder``), trust auth on loopback."""

    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run(
            [
                *_as_postgres_user(),
                pg_bin("initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        subprocess.run(
            [
                *_as_postgres_user(),
                pg_bin("pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.folder / "server.log"),
                "-o",
                f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off",
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            capture_output=True,
            timeout=90,
        )

    def stop(self, *, mode: str = "fast") -> None:
        subprocess.run(
            [
                *_as_postgres_user(),
                pg_bin("pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                mode,
                "-w",
                "stop",
            ],
            capture_output=True,
            timeout=90,
        )

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Yield a running PostgreSQL of this test's own; stop it and delete it afterwards.

    Its folder is a fresh one under the system's temporary folder (not pytest's, which only
    root may enter when the tests run as root and the server as postgres).
    """
    folder = Path(tempfile.mkdtemp(prefix="hearth-fault-pg-"))
    server = PostgresServer(folder=folder, port=free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop(mode="immediate")
        shutil.rmtree(folder, ignore_errors=True)
