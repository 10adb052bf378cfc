"""One recompute of a household at a time, across worker processes.

A PostgreSQL session advisory lock keyed on the household: a second chain (a retried or
redelivered task, the sweep's, a post-commit task, the alerts' freshness check) waits for
the first to finish, then reads what is still owed. Reentrant in one connection (the chain's
alerts step may call the freshness check), released with the connection if the worker dies.
SQLite serialises writers on its own, so there it is a no-op.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection

# pg_advisory_lock key space: (this constant, household id).
LOCK_NAMESPACE = 1_300_013


@contextlib.contextmanager
def household_lock(household_id: int) -> Iterator[None]:
    """Hold the household's recompute lock for the block (see the module docstring)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, household_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, household_id])
