"""The database's own record that the household data changed, for the pages' figure cache.

A page's figures (holdings, allocation, the dashboard's glance …) are a function of the data
and the day, so they can be kept until the data changes (``portfolios.remembered``). Rather than
trust every write path in the code to say so, the database says it: a trigger on every table
of Hearth's apps notes each writing transaction in ``hearth_data_change``, and that note
becomes visible exactly when the transaction commits, with its rows. The version the pages read
is derived from that table (``portfolios.remembered.data_version``).

* PostgreSQL: one row per writing transaction (its 64-bit ``txid``), noted by a statement
  trigger at the transaction's first write; every writing statement also counts itself in a
  transaction-local setting. The version is (count, max txid, that count): a commit adds a
  row, so the count grows; the compaction below replaces every row by its own, whose txid no
  earlier version had; within a transaction each of its writes is a new version for it alone
  (and a rolled-back savepoint takes its rows and its count back together).
* SQLite (the demo): one counter row, bumped with a fresh random token by row triggers; SQLite
  has one writer at a time, so there is no contention to avoid.

Tables written on reads (API tokens' "last used", the audit log of sign-ins) are left out, or
every API call would throw the figures away. The tables and triggers are (re)installed after
every ``migrate`` (``PortfoliosConfig.ready``), so a new table is watched as soon as it exists.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connections, transaction

WATCHED_APPS = ("portfolios", "income", "reporting", "alerts")
# Written while data is only read: not a change of any figure.
UNWATCHED_TABLES = frozenset({"portfolios_apitoken", "portfolios_auditevent"})
CHANGE_TABLE = "hearth_data_change"
TRIGGER = "hearth_note_change"
# The transaction's own count of writing statements (a transaction-local setting): a write
# changes the version the writing transaction itself reads, and only its own.
WRITES_SETTING = "hearth.writes"

_POSTGRES_FUNCTION_BODY = f"""
DECLARE
    written integer :=
        coalesce(nullif(current_setting('{WRITES_SETTING}', true), ''), '0')::integer;
BEGIN
    IF written = 0 THEN
        INSERT INTO {CHANGE_TABLE} (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
    PERFORM set_config('{WRITES_SETTING}', (written + 1)::text, true);
    RETURN NULL;
END
"""

_SQLITE_SETUP = [
    f"CREATE TABLE IF NOT EXISTS {CHANGE_TABLE} "
    "(id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL, token TEXT NOT NULL)",
    f"INSERT OR IGNORE INTO {CHANGE_TABLE} (id, n, token) VALUES (1, 0, lower(hex(randomblob(8))))",
]
_SQLITE_BUMP = f"UPDATE {CHANGE_TABLE} SET n = n + 1, token = lower(hex(randomblob(8)))"


def _user_columns() -> tuple[str, ...]:
    """The users' columns the pages show (owners' and members' names): a sign-in stamps
    ``last_login``, which changes no figure (20 sign-ins would throw every page's away)."""
    fields = {field.name: field for field in get_user_model()._meta.concrete_fields}
    shown = ("username", "first_name", "last_name", "email", "is_active")
    return tuple(fields[name].column for name in shown if name in fields)


def _updates_watched(table: str) -> str:
    """The UPDATE event of a table's trigger: every column, or for the users' table the
    columns the pages show."""
    if table == get_user_model()._meta.db_table:
        return "UPDATE OF " + ", ".join(f'"{column}"' for column in _user_columns())
    return "UPDATE"


def watched_tables() -> list[str]:
    """Return the tables whose writes change a page's figures: every table of Hearth's apps
    (many-to-many tables included) but those written on reads, and the users' (the pages
    name account owners and members; only the columns shown, see ``_user_columns``)."""
    tables = {get_user_model()._meta.db_table}
    for label in WATCHED_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            meta = model._meta
            if meta.managed and not meta.proxy and meta.db_table not in UNWATCHED_TABLES:
                tables.add(meta.db_table)
    return sorted(tables)


def change_log_install(*, using: str = "default") -> int:
    """Create the change table and a trigger on each watched table that lacks one; return how
    many triggers were added. Idempotent: after the first run, one query finds nothing to do."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return 0
    with transaction.atomic(using=using), connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        tables = [t for t in watched_tables() if t in existing]
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = %s AND c.relnamespace = 'public'::regnamespace",
                [TRIGGER],
            )
            missing = sorted(set(tables) - {name for (name,) in cursor.fetchall()})
            cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [TRIGGER])
            if cursor.fetchall() != [(_POSTGRES_FUNCTION_BODY,)]:
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql "
                    f"AS $${_POSTGRES_FUNCTION_BODY}$$"
                )
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {CHANGE_TABLE} (txid bigint PRIMARY KEY)")
            for table in missing:
                cursor.execute(
                    f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR {_updates_watched(table)} OR "
                    f'DELETE OR TRUNCATE ON "{table}" FOR EACH STATEMENT '
                    f"EXECUTE FUNCTION {TRIGGER}()"
                )
            return len(missing)
        cursor.execute(
            "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            [f"{TRIGGER}_%"],
        )
        watched = {name for (name,) in cursor.fetchall()}
        missing = sorted(set(tables) - watched)
        if CHANGE_TABLE not in existing:
            for statement in _SQLITE_SETUP:
                cursor.execute(statement)
        for table in missing:
            for event in ("insert", "update", "delete"):
                cursor.execute(_sqlite_trigger(table, event))
        return len(missing)


@contextlib.contextmanager
def one_note_for_bulk_write(table: str, *, using: str = "default") -> Iterator[None]:
    """Note a bulk write into ``table`` once, not once a row, inside the caller's transaction.

    SQLite's triggers fire for each row (a 3.5M-close price import spent 37 s in them): its
    triggers on the table are dropped for the block, the counter bumped once and the
    triggers created again, all in the writer's transaction (SQLite has one writer; others
    see the schema before or after). PostgreSQL's trigger is per statement already."""
    connection = connections[using]
    if connection.vendor != "sqlite" or not connection.in_atomic_block:
        yield
        return
    events = ("insert", "update", "delete")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
            "AND name LIKE %s",
            [table, f"{TRIGGER}_%"],
        )
        watched = bool(cursor.fetchall())
        for event in events if watched else ():
            cursor.execute(f'DROP TRIGGER IF EXISTS "{TRIGGER}_{event}_{table}"')
    yield
    if not watched:
        return
    with connection.cursor() as cursor:
        cursor.execute(_SQLITE_BUMP)
        for event in events:
            cursor.execute(_sqlite_trigger(table, event))


def _sqlite_trigger(table: str, event: str) -> str:
    return (
        f'CREATE TRIGGER IF NOT EXISTS "{TRIGGER}_{event}_{table}" '
        f'AFTER {_updates_watched(table) if event == "update" else event.upper()} ON "{table}" '
        f"BEGIN {_SQLITE_BUMP}; END"
    )


def change_log_compact(*, using: str = "default") -> int:
    """Replace PostgreSQL's per-transaction notes by one (this transaction's) so the version
    read stays a one-row-per-day count; return how many were removed. The version changes,
    so the kept figures are recomputed once: the nightly job runs it."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CHANGE_TABLE}")
        removed = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {CHANGE_TABLE} (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING"
        )
    return removed
