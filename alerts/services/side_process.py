"""Run one step of the recompute chain in a second process, beside the ledger.

A full replay spends most of its time in Python (the lot engine, the valuation replay), so
one process uses one of the machine's cores. The valuation series depends only on the
transactions and market data, never on the lots (``reporting.services.valuations``), so a
forked child can compute it while the parent replays the ledger, each on its own database
connection.

The child computes, then waits for the parent's word before it writes anything: the parent
tells it to go on once the ledger is rebuilt (with what the ledger found), or to write
nothing when the ledger failed (the chain then leaves every later step's rows as they were,
as it did when it ran them one after the other). A parent that dies closes the pipe, which
the child takes as "write nothing".

Only on PostgreSQL outside a transaction (the child's connection could not see what the
caller has not committed), where ``os.fork`` exists; the caller runs the step itself
otherwise, or when the child fails.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable

from django.db import connection, connections

# The connections a child inherited: never closed nor collected in the child (their
# sockets are the parent's), kept here until the child exits with ``os._exit``.
_INHERITED: list[object] = []


def side_process_possible() -> bool:
    """Return whether a step can run in a forked child here (see the module docstring)."""
    return (
        hasattr(os, "fork") and connection.vendor == "postgresql" and not connection.in_atomic_block
    )


class SideProcess:
    """A forked child running ``work(word)``, which returns a JSON-ready value.

    ``work`` calls ``word()`` when it is ready to write: it returns what the parent passed
    to ``tell`` (a JSON-ready dict: go on and store), or None when the parent dropped the
    work (``tell(None)``) or died. ``result`` waits for the child and returns what ``work``
    returned, or raises ``SideProcessError`` when the child failed.
    """

    def __init__(self, work: Callable[[Callable[[], dict | None]], object]) -> None:
        word_read, self._word = os.pipe()
        self._result, result_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            os.close(self._word)
            os.close(self._result)
            _child(work, word_read, result_write)
        os.close(word_read)
        os.close(result_write)

    def tell(self, word: dict | None) -> None:
        """Give the child the word it waits for before it writes (None: write nothing)."""
        if self._word < 0:
            return
        try:
            os.write(self._word, json.dumps(word).encode())
        except BrokenPipeError:
            pass  # the child failed before it asked; its error is in the result pipe
        finally:
            os.close(self._word)
            self._word = -1

    def result(self) -> object:
        """Wait for the child (dropping its work if not told yet); return its result."""
        self.tell(None)
        chunks = []
        with os.fdopen(self._result, "rb") as result:
            while chunk := result.read(1 << 16):
                chunks.append(chunk)
        outcome = json.loads(b"".join(chunks) or b"{}")
        try:
            _, status = os.waitpid(self.pid, 0)
            code = os.waitstatus_to_exitcode(status)
        except ChildProcessError:  # reaped already (SIGCHLD ignored): its output tells
            code = 0 if "result" in outcome else 1
        if code != 0 or "result" not in outcome:
            raise SideProcessError(outcome.get("error") or f"child exited with {code}")
        return outcome["result"]


class SideProcessError(RuntimeError):
    """The child failed; the message is its traceback."""


def _child(work, word_read: int, result_write: int) -> None:
    code = 1
    try:
        _detach_connections()

        def word() -> dict | None:
            with os.fdopen(word_read, "rb") as told:
                return json.loads(told.read() or b"null")

        outcome = {"result": work(word)}
        code = 0
    except BaseException:
        outcome = {"error": traceback.format_exc()}
    try:
        payload = json.dumps(outcome).encode()
        while payload:
            payload = payload[os.write(result_write, payload) :]
        for wrapper in connections.all(initialized_only=True):
            wrapper.close()  # the child's own connections
    finally:
        os._exit(code)


def _detach_connections() -> None:
    """Forget the parent's database connections without closing them (closing would end
    the parent's sessions): the child opens its own on first use."""
    for wrapper in connections.all(initialized_only=True):
        if wrapper.connection is not None:
            _INHERITED.append(wrapper.connection)
            wrapper.connection = None
