"""Back up and restore the whole database: every household's ledger, settings, series and tokens.

- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore`` (the client tools must be on PATH,
  of the server's major version or newer).
- SQLite (the demo): SQLite's online backup API, which copies a consistent snapshot while
  the web app and the worker keep using the file.

A backup is written under a temporary name and then linked into place, so a file named
``hearth-*`` is always complete, and two runs for the same night never write two copies.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import connection

logger = logging.getLogger(__name__)

PREFIX = "hearth-"
SUFFIX = {"postgresql": ".dump", "sqlite": ".sqlite3"}
MAGIC = {"postgresql": b"PGDMP", "sqlite": b"SQLite format 3\x00"}
PG_TIMEOUT_SECONDS = 6 * 3600


class BackupError(Exception):
    """A backup or restore could not be made; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    created: bool  # False: this night's copy already existed, nothing was written
    pruned: tuple[Path, ...] = ()


def backup_file_name(*, vendor: str, at: datetime, nightly: bool = False) -> str:
    """Return the file name of a backup taken at ``at``: one per night for the beat job,
    one per second for a manual backup."""
    stamp = at.strftime("%Y-%m-%d") if nightly else at.strftime("%Y-%m-%d-%H%M%S")
    kind = "nightly" if nightly else "manual"
    return f"{PREFIX}{kind}-{stamp}{_suffix(vendor)}"


def database_backup(*, path: Path) -> BackupResult:
    """Write a backup of the configured database to ``path``; refuse to overwrite a file.

    1. Dump to ``path`` + ``.partial`` in the same folder (pg_dump, or SQLite's backup API).
    2. Hard-link the finished file to ``path``: atomic, and it fails if ``path`` exists, so a
       concurrent run of the same backup keeps the first copy and writes no second one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        if connection.vendor == "postgresql":
            _pg_dump(partial)
        elif connection.vendor == "sqlite":
            _sqlite_backup(partial)
        else:
            raise BackupError(f"backups of {connection.vendor} databases are not supported")
        try:
            os.link(partial, path)
        except FileExistsError:
            return BackupResult(path=path, size=path.stat().st_size, created=False)
    finally:
        partial.unlink(missing_ok=True)
    size = path.stat().st_size
    logger.info("database backed up to %s (%s bytes)", path, size)
    return BackupResult(path=path, size=size, created=True)


def database_backup_nightly(*, folder: Path, keep: int, now: datetime) -> BackupResult:
    """Take this night's backup into ``folder`` (once per night), then keep the newest
    ``keep`` nightly copies and delete older ones."""
    name = backup_file_name(vendor=connection.vendor, at=now, nightly=True)
    result = database_backup(path=Path(folder) / name)
    pruned = backups_prune(folder=Path(folder), keep=keep)
    return BackupResult(result.path, result.size, result.created, tuple(pruned))


def backups_prune(*, folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` nightly backups in ``folder``; return the deleted.

    Only ``hearth-nightly-*`` files are considered: manual backups are the user's to keep.
    Names carry the date, so their order is their age.
    """
    if keep < 1:
        raise BackupError("BACKUP_KEEP must be at least 1")
    nightly = sorted(
        p for p in Path(folder).glob(f"{PREFIX}nightly-*") if p.suffix in SUFFIX.values()
    )
    doomed = nightly[:-keep]
    for path in doomed:
        path.unlink(missing_ok=True)
        logger.info("old backup %s deleted (keeping %s)", path.name, keep)
    return doomed


def database_restore(*, path: Path) -> None:
    """Replace the configured database's contents with the backup at ``path``.

    The backup must come from the same kind of database (a PostgreSQL dump into PostgreSQL,
    a SQLite file into SQLite); moving between them is a dump and load (README). Stop the web
    app and the worker first: the restore replaces every table.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    vendor = connection.vendor
    with path.open("rb") as handle:
        head = handle.read(16)
    found = next((name for name, magic in MAGIC.items() if head.startswith(magic)), None)
    if found is None:
        raise BackupError(f"{path}: not a Hearth backup (neither a pg_dump archive nor SQLite)")
    if found != vendor:
        raise BackupError(
            f"{path} is a {found} backup but the database is {vendor}; "
            "restore it into the same kind of database (see README: moving to PostgreSQL)"
        )
    if vendor == "postgresql":
        _pg_restore(path)
    else:
        _sqlite_restore(path)
    logger.info("database restored from %s", path)


def _suffix(vendor: str) -> str:
    try:
        return SUFFIX[vendor]
    except KeyError:
        raise BackupError(f"backups of {vendor} databases are not supported") from None


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """Return the connection arguments and environment of the PostgreSQL client tools."""
    settings = connection.settings_dict
    args = ["--dbname", settings["NAME"]]
    if settings.get("HOST"):
        args += ["--host", str(settings["HOST"])]
    if settings.get("PORT"):
        args += ["--port", str(settings["PORT"])]
    if settings.get("USER"):
        args += ["--username", settings["USER"]]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        completed = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_SECONDS
        )
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} not found: install the PostgreSQL client tools "
            "(Debian: postgresql-client)"
        ) from None
    if completed.returncode != 0:
        raise BackupError(f"{command[0]} failed: {completed.stderr.strip()[-2000:]}")


def _pg_dump(target: Path) -> None:
    args, env = _pg_environment()
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args], env)


def _pg_restore(source: Path) -> None:
    args, env = _pg_environment()
    connection.close()
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(source),
        ],
        env,
    )


def _sqlite_backup(target: Path) -> None:
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
    finally:
        destination.close()


def _sqlite_restore(source: Path) -> None:
    connection.ensure_connection()
    origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        origin.backup(connection.connection)
    finally:
        origin.close()
