"""Python's cycle collector held off while a large import or recompute builds its objects.

An import of tens of thousands of rows, or a full ledger replay, makes several objects a row
(parsed rows, planned rows, the lot engine's transactions and lots) that all live until it
ends. The collector keeps walking them as they pile up although they form no garbage cycles:
about a third of the CPU of a 50,000-row import (10.3 s → 6.9 s on the heavy household), a
quarter of the lot engine's. Held off for the call, it runs again, as usual, after it; memory
does not grow, since no cycle is made.
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
