"""Python's cycle collector held off while a large import or recompute builds its objects,
and while a command starts.

An import of tens of thousands of rows, or a full ledger replay, makes several objects a row
(parsed rows, planned rows, the lot engine's transactions and lots) that all live until it
ends. The collector keeps walking them as they pile up although they form no garbage cycles:
about a third of the CPU of a 50,000-row import (10.3 s → 6.9 s on the heavy household), a
quarter of the lot engine's. Held off for the call, it runs again, as usual, after it; memory
does not grow, since no cycle is made.

Start-up is the same case: Django's setup makes about 150,000 objects (modules, classes,
fields, settings) that live as long as the process. The collector walks them again and again
while they are made, in every full collection after, and in the collections the interpreter
runs as it exits: about a quarter of a second of a ``manage.py`` command's CPU, a third of
``manage.py recompute --help``. ``manage.py`` holds the collector off while Django starts
(``start_up_collection_held``); once the apps are ready (``PortfoliosConfig.ready``) the
objects made so far are frozen, out of the collector's sight (``gc.freeze``, made for
long-lived start-up objects), and it runs again for everything made after. The few cycles
that start-up left as garbage (a few thousand objects) are frozen with the rest, never freed.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Hold off the cycle collector inside the block (or decorated call), as it was after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_held_for_start_up = False


def start_up_collection_held() -> None:
    """Hold off the cycle collector until the apps are ready (``start_up_objects_frozen``).

    Called by ``manage.py`` before Django starts; a process that never gets as far as the
    apps (``manage.py --version``) ends with the collector off, as a short one may.
    """
    global _held_for_start_up
    _held_for_start_up = gc.isenabled()
    gc.disable()


def start_up_objects_frozen() -> None:
    """Freeze the objects start-up made and run the collector again, when start-up held it
    off (``start_up_collection_held``); elsewhere (the web and task workers, the tests)
    do nothing."""
    global _held_for_start_up
    if not _held_for_start_up:
        return
    _held_for_start_up = False
    gc.freeze()
    gc.enable()
