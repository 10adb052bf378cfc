"""A Hearth of a fault test's own: a scratch database, its own Redis, real worker processes.

The scratch database is a copy of a database migrated once per session: a SQLite file, or,
when the suite runs on PostgreSQL (DATABASE_URL, as in CI), a database created on that
server from a migrated template and dropped afterwards. Workers and commands run as the
production settings module with the environment a deployment gives them, so what the test
sees is what a household would see.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from tests.reliability.processes import PYTHON, ROOT, hearth_env, manage, stop_process, wait_for

SECRET = "fault-tests-secret-key-0123456789abcdefghijklmnop"
TASK_ID = re.compile(r"\[([0-9a-f]{8}-[0-9a-f-]{27})\]")
FINISHED = re.compile(
    r"\] (succeeded|raised|retry|ignored)|Task handler raised error|"
    r"cannot be acknowledged after a connection loss"
)
LAUNCHER = str(Path(__file__).with_name("launch.py"))


def suite_database_url() -> str:
    """Return the DATABASE_URL the suite was started with ('' for SQLite)."""
    return os.environ.get("DATABASE_URL", "")


def _pg_admin(url: str):
    import psycopg

    parsed = urlparse(url)
    return psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True)


def _pg_url(url: str, name: str) -> str:
    return urlparse(url)._replace(path=f"/{name}").geturl()


@dataclass
class ScratchDatabases:
    """Copies of one migrated database, for the fault tests of a session."""

    folder: Path
    server_url: str = field(default_factory=suite_database_url)
    made: list[str] = field(default_factory=list)

    @property
    def postgres(self) -> bool:
        return self.server_url.startswith("postgres")

    def template_name(self) -> str:
        base = urlparse(self.server_url).path.lstrip("/") or "hearth"
        return f"{base}_faults_{os.getpid()}"

    def template_url(self) -> str:
        if self.postgres:
            return _pg_url(self.server_url, self.template_name())
        return f"sqlite:///{self.folder / 'template.sqlite3'}"

    def prepare(self) -> None:
        """Migrate the template once."""
        if self.postgres:
            name = self.template_name()
            with _pg_admin(self.server_url) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
                admin.execute(f'CREATE DATABASE "{name}"')
            self.made.append(name)
            url = _pg_url(self.server_url, name)
        else:
            url = f"sqlite:///{self.folder / 'template.sqlite3'}"
        manage("migrate", "--noinput", "-v0", env=hearth_env(DATABASE_URL=url), timeout=300)

    def copy(self, label: str) -> str:
        """Return the DATABASE_URL of a fresh copy of the migrated template."""
        if self.postgres:
            name = f"{self.template_name()}_{label}"
            with _pg_admin(self.server_url) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name()}"')
            self.made.append(name)
            return _pg_url(self.server_url, name)
        target = self.folder / f"{label}.sqlite3"
        for suffix in ("", "-wal"):  # a write-ahead log not yet checkpointed goes along
            source = self.folder / f"template.sqlite3{suffix}"
            if source.exists():
                shutil.copyfile(source, f"{target}{suffix}")
        return f"sqlite:///{target}"

    def drop_all(self) -> None:
        if not self.postgres:
            return
        with _pg_admin(self.server_url) as admin:
            for name in reversed(self.made):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Probe:
    """A probe running in its own process."""

    process: subprocess.Popen

    def result(self, *, timeout: float = 300) -> dict:
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        assert self.process.returncode == 0, err[-4000:]
        return json.loads(out.strip().splitlines()[-1])


@dataclass
class Stack:
    """One Hearth: a database URL, a Redis URL, a folder for mail, logs and backups."""

    folder: Path
    database_url: str
    redis_url: str = ""
    fake_now: str = ""  # ISO instant the worker processes believe it is (time-machine)
    workers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def mail_dir(self) -> Path:
        return self.folder / "mail"

    def env(self, **overrides: str) -> dict[str, str]:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        env = hearth_env(
            DJANGO_SETTINGS_MODULE="config.settings.base",
            DEBUG="false",
            SECRET_KEY=SECRET,
            ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
            DATABASE_URL=self.database_url,
            EMAIL_URL=f"file:///{self.mail_dir}",
            HEARTH_VAR_DIR=str(self.folder / "var"),
            BACKUP_DIR=str(self.folder / "backups"),
            PRICE_PROVIDER="demo",
            LOG_LEVEL="INFO",
            # production settings over plain HTTP on the loopback (the documented switch)
            SECURE_SSL_REDIRECT="false",
        )
        env.pop("REDIS_URL", None)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        if self.fake_now:
            env["HEARTH_FAKE_NOW"] = self.fake_now
        env.update(overrides)
        return env

    def manage(self, *args: str, timeout: float = 300, **overrides: str):
        return manage(*args, env=self.env(**overrides), timeout=timeout)

    def run(self, module: str, *args: str, timeout: float = 300, **overrides: str) -> dict:
        """Run ``python tests/reliability/launch.py module args`` and return its JSON."""
        return self.start(module, *args, **overrides).result(timeout=timeout)

    def run_tasks(self, phases: list[list[tuple[str, list]]]) -> list[dict]:
        """Run the phases' tasks eagerly in one process (the clean run); return the states."""
        return self.run("run_tasks", json.dumps(phases), CELERY_TASK_ALWAYS_EAGER="true")

    def send(self, tasks: list[tuple[str, list]]) -> None:
        """Send tasks through this stack's broker, as beat or a web request would."""
        from celery import Celery

        sender = Celery(broker=self.redis_url)
        try:
            for name, args in tasks:
                sender.send_task(name, args=args)
        finally:
            sender.close()

    def start(self, module: str, *args: str, **overrides: str) -> Probe:
        """Start ``launch.py module args`` in the background; ``.result()`` waits for it."""
        process = subprocess.Popen(
            [PYTHON, LAUNCHER, module, *args],
            cwd=ROOT,
            env=self.env(**overrides),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return Probe(process)

    def start_worker(
        self,
        name: str,
        *,
        concurrency: int = 2,
        pool: str = "prefork",
        wait: bool = True,
        **overrides: str,
    ) -> subprocess.Popen:
        """Start a Celery worker process (as docker-compose runs it); return it once it is
        ready (``wait=False``: at once; ``wait_ready`` then waits, so workers of several
        stacks start side by side)."""
        log = (self.folder / f"worker-{name}.log").open("ab")
        process = subprocess.Popen(
            [
                PYTHON,
                LAUNCHER,
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                f"--hostname={name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--prefetch-multiplier=1",
            ],
            cwd=ROOT,
            env=self.env(**overrides),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(process)
        if wait:
            self.wait_ready(name, process)
        return process

    def wait_ready(self, name: str, process: subprocess.Popen) -> None:
        wait_for(
            lambda: "ready." in self.worker_log(name) or process.poll() is not None,
            timeout=60,
            interval=0.1,
            what=f"worker {name} to be ready",
        )
        assert process.poll() is None, self.worker_log(name)[-3000:]

    def task_counts(self) -> tuple[int, int]:
        """Return (tasks received, tasks finished), by task id, over this stack's worker logs.

        By id: a message a worker dropped when its connection was lost (reserved, not yet
        started) is received again after the reconnection and finishes once.
        """
        received: set[str] = set()
        finished: set[str] = set()
        for path in self.folder.glob("worker-*.log"):
            for line in path.read_text(errors="replace").splitlines():
                found = TASK_ID.search(line)
                if found is None:
                    continue
                if "] received" in line:
                    received.add(found.group(1))
                elif FINISHED.search(line):
                    finished.add(found.group(1))
        return len(received), len(received & finished)

    def wait_until_idle(self, *, timeout: float = 120) -> dict:
        """Wait until the queue is empty and every task received has finished; return the
        state probe."""
        import redis

        client = redis.Redis.from_url(self.redis_url)

        def idle() -> bool:
            if client.llen("celery") or client.hlen("unacked"):
                return False
            received, finished = self.task_counts()
            if received == 0 or received != finished:
                return False
            time.sleep(1)  # a chained task may be on its way to the queue
            return not client.llen("celery") and self.task_counts() == (received, finished)

        try:
            wait_for(idle, timeout=timeout, interval=0.3, what="the workers to be idle")
        finally:
            client.close()
        return self.run("state")

    def worker_log(self, name: str) -> str:
        path = self.folder / f"worker-{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_workers(self) -> None:
        for process in self.workers:  # all at once, cold: the test is over
            if process.poll() is None:
                process.send_signal(signal.SIGQUIT)
        for process in self.workers:
            stop_process(process, timeout=30)
        self.workers.clear()

    def emails(self) -> list[str]:
        """Return the subject of every message the file mail backend wrote."""
        subjects = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("Subject: "):
                    subjects.append(line.removeprefix("Subject: "))
        return subjects


def differing(found: dict, expected: dict) -> dict:
    """Return {figure: (found, expected)} for the state figures that differ; the digests of
    what the API serves are compared route by route."""
    flat_found = {**found, **found.get("served", {})}
    flat_expected = {**expected, **expected.get("served", {})}
    flat_found.pop("served", None)
    flat_expected.pop("served", None)
    return {k: (flat_found.get(k), v) for k, v in flat_expected.items() if flat_found.get(k) != v}
