"""Foreign keys set aside while many rows are written, then checked at once (PostgreSQL).

Row by row, each new row's foreign keys cost a lookup and a row lock (at commit: Django's
keys are ``DEFERRABLE INITIALLY DEFERRED``), about as much as the insert itself for tens of
thousands of rows. So, inside the caller's transaction, a table's foreign keys are read
(``pg_get_constraintdef``), dropped, the rows written, and each key added again as it was:
adding a key checks every row in one join of the two tables. Nothing else sees the table
meanwhile (the exclusive lock the drop takes is held until the transaction ends), and the
keys are as strict as before once it ends.

Used by the ledger's rebuild (``portfolios.services.ledger``) and the price import
(``portfolios.services.imports.market_data``). Never outside a transaction: a dropped key
must never be committed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction

logger = logging.getLogger(__name__)
# How long a bulk write waits for the tables' locks before it leaves the keys in place.
LOCK_WAIT = "2s"


@dataclass(frozen=True)
class ForeignKey:
    """One foreign key of a table, as PostgreSQL would create it again."""

    table: str
    name: str
    definition: str  # pg_get_constraintdef: "FOREIGN KEY (...) REFERENCES ... DEFERRABLE ..."


@contextlib.contextmanager
def foreign_keys_set_aside(
    *models,
    lock_wait: str | None = None,
    checks_owed_first: bool = False,
    validated_apart: bool = False,
) -> Iterator[bool]:
    """Drop the foreign keys of ``models``' tables for the block and add each back after
    it, in the caller's transaction; yield whether they were dropped.

    - ``lock_wait`` (a PostgreSQL interval, "2s"): how long to wait for the tables' locks;
      when one is not granted in time (a long transaction on a referenced table, an
      import), nothing is dropped and the block runs with the keys in place (False: its
      rows are checked one by one). None waits as any statement of the session would.
    - ``checks_owed_first``: rows written earlier in the transaction may still owe their
      deferred check, and a table with pending checks cannot change; they are made first
      (``SET CONSTRAINTS … IMMEDIATE``).
    - ``validated_apart``: add every key ``NOT VALID``, then validate each (the same join
      per key); otherwise each is added and checked in one statement.

    The keys are added back only when the block ends without an exception: after one the
    transaction rolls back, drops included.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("foreign keys may only be set aside inside a transaction")
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        keys = _foreign_keys(cursor, tables)
        dropped = _dropped(cursor, keys, lock_wait=lock_wait, checks_owed_first=checks_owed_first)
    if not dropped:
        logger.info("%s busy: the new rows' keys are checked row by row", ", ".join(tables))
    yield dropped
    if not dropped:
        return
    with connection.cursor() as cursor:
        for key in keys:
            statement = f"ALTER TABLE {_quoted(key.table)} ADD CONSTRAINT {_quoted(key.name)} "
            cursor.execute(statement + key.definition + (" NOT VALID" if validated_apart else ""))
        if validated_apart:
            for key in keys:
                cursor.execute(
                    f"ALTER TABLE {_quoted(key.table)} VALIDATE CONSTRAINT {_quoted(key.name)}"
                )


def _foreign_keys(cursor, tables: list[str]) -> list[ForeignKey]:
    keys = []
    for table in tables:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = %s::regclass ORDER BY conname",
            [table],
        )
        keys += [ForeignKey(table, name, definition) for name, definition in cursor.fetchall()]
    return keys


def _dropped(cursor, keys: list[ForeignKey], *, lock_wait: str | None, checks_owed_first: bool):
    if lock_wait is None:
        _drop(cursor, keys, checks_owed_first=checks_owed_first)
        return True
    cursor.execute("SELECT current_setting('lock_timeout')")
    (lock_timeout,) = cursor.fetchone()
    try:
        with transaction.atomic():  # a savepoint: a refused lock undoes only the drops
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_wait])
            _drop(cursor, keys, checks_owed_first=checks_owed_first)
    except OperationalError:
        dropped = False
    else:
        dropped = True
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
    return dropped


def _drop(cursor, keys: list[ForeignKey], *, checks_owed_first: bool) -> None:
    for key in keys:
        if checks_owed_first:
            cursor.execute(f"SET CONSTRAINTS {_quoted(key.name)} IMMEDIATE")
        cursor.execute(f"ALTER TABLE {_quoted(key.table)} DROP CONSTRAINT {_quoted(key.name)}")


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)
