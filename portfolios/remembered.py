"""Page figures kept until the household data changes.

The dashboard, holdings, allocation, income and performance figures of the heavy household
cost tens of milliseconds of Python each, and they are a function of the data and the day only.
So a page asks ``remembered(name, *key, compute=…)``: the figures come from the cache when
nothing was written since they were computed, and are computed (and kept) otherwise.

"Nothing was written" is the database's own account (``portfolios.services.data_changes``): a
trigger notes every writing transaction on Hearth's tables, visible exactly when it commits, so
no write path can forget to say so. The version is read first, then the figures: a commit in
between gives figures newer than their key, never older, and the next reader has a new key.
Inside a transaction that wrote, the version includes the transaction's own note, so what it
computes is never served to anyone else (its key is its own).

The key also holds the database's name (test databases side by side share a Redis) and the
code's fingerprint (figures pickled by an older release are not read by a newer one). A cache
that fails (Redis down: ``FailSafeRedisCache``) only means computing; so does a stored value
that no longer unpickles.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

from django.core.cache import cache as default_cache
from django.db import connections

from portfolios.services.data_changes import CHANGE_TABLE, WRITES_SETTING

logger = logging.getLogger(__name__)
T = TypeVar("T")
# An hour: figures of an older version of the data are never read again, and in production
# the cache shares Redis with the broker (no eviction), so what is no longer read must expire
# soon; a page kept an hour is recomputed at most once an hour when nothing changes.
KEPT_SECONDS = 3600
_MISSING = object()


def data_version(*, using: str = "default") -> str:
    """Return the data's version: it changes when, and only when, a write to a watched table
    commits (or within the writing transaction, to that transaction only)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT count(*), max(txid), current_setting(%s, true) FROM {CHANGE_TABLE}",
                [WRITES_SETTING],
            )
        else:
            cursor.execute(f"SELECT n, token, '' FROM {CHANGE_TABLE}")
        count, last, own_writes = cursor.fetchone()
    return f"{count}.{last}.{own_writes or 0}"


@cache
def _code_fingerprint() -> str:
    """Hash of the apps' source and template files (path, size, mtime): a new release keeps
    nothing."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.blake2b(digest_size=8)
    sources = [
        path
        for folder in ("portfolios", "income", "reporting", "alerts", "templates")
        for pattern in ("*.py", "*.html")
        for path in (root / folder).rglob(pattern)
    ]
    for path in sorted(sources):
        stat = path.stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _cache_key(name: str, key: tuple, version: str, using: str) -> str:
    database = connections[using].settings_dict["NAME"]
    parts = [str(database), _code_fingerprint(), version, name, *map(str, key)]
    return "figures:" + hashlib.blake2b("|".join(parts).encode(), digest_size=16).hexdigest()


def figures_key(name: str, *key: object, version: str | None = None, using: str = "default") -> str:
    """Return the key of (``name``, ``key``) on this version of the data: a page's rendered
    figures are kept under it (``{% figures %}``) until the data changes. ``version``: the
    one the page has read already (after its own refreshes), not read again."""
    return _cache_key(name, key, version or data_version(using=using), using)


def remembered(
    name: str,
    *key: object,
    compute: Callable[[], T],
    keep: Callable[[T], bool] | None = None,
    version: str | None = None,
    using: str = "default",
) -> T:
    """Return ``compute()``, kept under (``name``, ``key``) until the data changes.

    ``key`` must hold everything else the figures depend on: the household, the day, the
    page's options. ``keep(value)`` false: the value is returned but not kept (figures that
    depend on something outside the database this time, such as a provider's answer).
    ``version``: as for ``figures_key``."""
    cache_key = _cache_key(name, key, version or data_version(using=using), using)
    try:
        kept = default_cache.get(cache_key, _MISSING)
    except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError):
        logger.warning("Kept figures %s no longer read; computing them again.", name)
        kept = _MISSING
    if kept is not _MISSING:
        return kept
    value = compute()
    if keep is None or keep(value):
        default_cache.set(cache_key, value, KEPT_SECONDS)
    return value


def unless_unchanged(
    name: str, *key: object, check: Callable[[], object], using: str = "default"
) -> str:
    """Run ``check`` (a freshness check that writes only when something is stale) unless it
    already ran, writing nothing, on this version of the data (and this ``key``); return the
    version after it, for the page's kept figures."""
    before = data_version(using=using)
    cache_key = _cache_key(name, key, before, using)
    if default_cache.get(cache_key):
        return before
    check()
    # Kept only if the check wrote nothing: a write (its own or another's) is a new version.
    after = data_version(using=using)
    if after == before:
        default_cache.set(cache_key, True, KEPT_SECONDS)
    return after
