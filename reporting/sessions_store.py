"""The XNYS sessions, kept in a small file under ``VAR_DIR``.

Building exchange_calendars' XNYS calendar costs about a second of a process's CPU (its
import and its holiday rules), and every short-lived process that counts sessions paid it:
``manage.py recompute`` with its alert rules, each worker process. The sessions change only
with the library's version and the calendar's range (``key``; a fixed range, never "a year
after today"), so the first process stores them and the others read a 100 KB file.

Any failure to read or write the file falls back to building the calendar.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np
from django.conf import settings

PREFIX = "xnys-sessions-"


def session_days(build: Callable[[], np.ndarray], *, key: str) -> np.ndarray:
    """Return the stored session days (``datetime64[D]``, ascending) for ``key`` (what the
    build depends on besides the library's version), else ``build()``'s, which are stored
    for the next process."""
    version = metadata.version("exchange_calendars")
    directory = Path(settings.VAR_DIR) / "cache"
    path = directory / f"{PREFIX}{version}-{key}.npy"
    try:
        days = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        days = None
    if days is not None and days.dtype == np.dtype("datetime64[D]") and days.ndim == 1:
        return days
    days = build()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        with partial.open("wb") as handle:
            np.save(handle, days, allow_pickle=False)
        os.replace(partial, path)  # readers see the whole file or none
        for old in directory.glob(f"{PREFIX}*.npy"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass
    return days
