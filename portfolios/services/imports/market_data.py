"""Import market-data files: daily closes and dividend events (DESIGN §3), all or nothing.

Prices are ``symbol,date,close``; dividends ``symbol,ex_date,pay_date,amount`` per share
with an optional ``income_class``. Any bad row rejects the file with every bad row named. A
close or event already stored for the same day is replaced by the file's (a corrected close
is a correction, not a duplicate). Unknown symbols are created with kind and asset class
``unknown`` and flagged for review. Households holding a security whose market data changed
are marked as owing a recompute, in the same transaction.

Commands pass a ``path`` and the file is read as it goes, whatever its size: closes are
checked row by row and streamed into a temporary staging table (PostgreSQL ``COPY``, in
batches), duplicates are found there, and one ``INSERT … SELECT … ON CONFLICT`` merges them;
memory holds one batch and a symbol table, never the file. A bulk load on PostgreSQL copies
its new closes straight into the price table with the table's keys set aside and built
again once (``_PriceStage``). Browser uploads pass ``content``, which keeps the upload size
limit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from portfolios.imports import (
    ImportFileError,
    RawClose,
    RowError,
    dividend_duplicate_error,
    dividend_key,
    iter_dividend_rows,
    iter_raw_closes,
    open_text_stream,
    price_duplicate_error,
)
from portfolios.imports.decoding import decode_text
from portfolios.models import DividendEvent, Household, Price, Security, Transaction
from portfolios.services.bulk_keys import foreign_keys_set_aside
from portfolios.services.data_changes import one_note_for_bulk_write
from portfolios.services.market_data import dividends_upsert, security_get_or_create
from portfolios.services.planner_statistics import planner_statistics_refresh
from portfolios.services.recompute import recompute_mark_pending

SOURCE = "file"
STAGE_BATCH = 5_000  # closes checked, then written, at a time
IN_RANGE_BATCH = 50_000  # a bulk load's closes inside stored ranges, staged at a time
STAGE_COLUMNS = "line, security_id, date, close, new"
BULK_ROWS = (
    200_000  # from this many new closes on, the price table's keys are built once, at the end
)
DIVIDEND_BATCH = 5_000
BYTES_PER_CLOSE = 20  # about, in a prices file ("VTI,2024-01-02,231.45" and its line end)
MAX_LISTED_ERRORS = 1_000  # a file that is wrong throughout names this many rows, then counts


@dataclass
class MarketDataImportResult:
    """What a prices or dividends import wrote, or every reason it wrote nothing."""

    rows: int = 0
    added: int = 0
    updated: int = 0
    symbols: int = 0
    new_symbols: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rejected(Exception):
    """Roll the import back; carries the errors to report."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors)
        self.errors = errors


def prices_import(
    *, content: bytes | None = None, path: str | Path | None = None
) -> MarketDataImportResult:
    """Store the daily closes of a ``symbol,date,close`` file, all or nothing: from
    ``content`` (an upload, size-limited) or streamed from ``path`` (any size)."""
    try:
        size = len(content) if content is not None else _size(path)
        try:
            with _text(content, path) as text, transaction.atomic():
                result = _prices_load(text, bulk=True, expected=size // BYTES_PER_CLOSE)
        except _Repeated:
            # A bulk load met a close given twice where it keeps no line numbers (the price
            # table itself): it is rolled back whole, and the file is read again through
            # the staging table alone, which names every repeat by its line.
            with _text(content, path) as text, transaction.atomic():
                result = _prices_load(text, bulk=False)
    except ImportFileError as error:
        return MarketDataImportResult(errors=[str(error)])
    except _Rejected as rejected:
        return MarketDataImportResult(errors=rejected.errors)
    planner_statistics_refresh(Price, rows=result.added + result.updated)
    return result


def dividends_import(
    *, content: bytes | None = None, path: str | Path | None = None
) -> MarketDataImportResult:
    """Store the dividend events of a ``symbol,ex_date,pay_date,amount[,income_class]``
    file, all or nothing: from ``content`` (an upload) or streamed from ``path``."""
    try:
        with _text(content, path) as text, transaction.atomic():
            result = _dividends_load(text)
    except ImportFileError as error:
        return MarketDataImportResult(errors=[str(error)])
    except _Rejected as rejected:
        return MarketDataImportResult(errors=rejected.errors)
    planner_statistics_refresh(DividendEvent, rows=result.added + result.updated)
    return result


@contextlib.contextmanager
def _text(content: bytes | None, path: str | Path | None) -> Iterator[str | TextIO]:
    if (content is None) == (path is None):
        raise ValueError("give either content or path")
    if content is not None:
        yield decode_text(content)
        return
    with open_text_stream(path) as stream:
        yield stream


class _Symbols:
    """Security ids by symbol, creating unknown ones (inside the import's transaction).

    ``preload`` reads every security's id at once, so that only a new symbol needs a
    query, and ``before_query`` runs first (a COPY in progress ends: the connection takes
    no other statement meanwhile)."""

    def __init__(self, *, preload: bool = False, before_query=None) -> None:
        self.ids: dict[str, int] = {}
        self.symbol_of: dict[int, str] = {}
        self.new: list[str] = []
        self.known: dict[str, int] = {}
        self.before_query = before_query
        if preload:
            # As security_get_or_create picks: the first by exchange.
            for pk, symbol in Security.objects.order_by("exchange", "pk").values_list(
                "pk", "symbol"
            ):
                self.known.setdefault(symbol, pk)

    def id(self, symbol: str) -> int:
        pk = self.ids.get(symbol)
        if pk is None:
            pk = self.known.get(symbol)
            if pk is None:
                if self.before_query is not None:
                    self.before_query()
                security, created = security_get_or_create(symbol=symbol)
                pk = security.pk
                if created:
                    self.new.append(symbol)
            self.ids[symbol] = pk
            self.symbol_of[pk] = symbol
        return pk


class _Errors:
    """Every bad row's message, listing at most MAX_LISTED_ERRORS and counting the rest."""

    def __init__(self) -> None:
        self.listed: list[str] = []
        self.more = 0

    def add(self, error: RowError | str) -> None:
        if len(self.listed) < MAX_LISTED_ERRORS:
            self.listed.append(str(error))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.listed)

    def messages(self) -> list[str]:
        if self.more:
            return [*self.listed, f"… and {self.more} more bad rows"]
        return self.listed


def _size(path: str | Path | None) -> int:
    try:
        return Path(path).stat().st_size if path is not None else 0
    except OSError:
        return 0  # the reading says why


def _prices_load(text: str | TextIO, *, bulk: bool, expected: int = 0) -> MarketDataImportResult:
    """Steps, inside the import's transaction:

    1. Read the file row by row; check each close, map its symbol to a security (created
       if unknown), and write the good rows in batches (``_PriceStage``). Keep the
       earliest day per security.
    2. Any bad row: roll back and name them all.
    3. Merge what was staged into the closes; a (symbol, day) given twice makes the merge
       fail (PostgreSQL) or is looked for first (SQLite): name every repeat. With ``bulk``
       a big load writes its new closes straight into the price table and a repeat among
       them raises ``_Repeated`` (the caller loads again without ``bulk``).
    4. Mark the households holding those securities from their earliest new close.
    """
    errors = _Errors()
    first_day: dict[int, str] = {}
    with _PriceStage(bulk=bulk, expected=expected) as stage:
        symbols = _Symbols(preload=stage.postgres, before_query=stage.pause)
        for batch in _good_close_batches(iter_raw_closes(text), symbols, errors, first_day):
            stage.write(batch)
        stage.pause()
        if errors:
            raise _Rejected(errors.messages())
        added, updated = stage.merge(source=SOURCE, symbol_of=symbols.symbol_of)
    _mark_holders({pk: date.fromisoformat(day) for pk, day in first_day.items()})
    return MarketDataImportResult(
        rows=added + updated,
        added=added,
        updated=updated,
        symbols=len(symbols.ids),
        new_symbols=sorted(symbols.new),
    )


def _good_close_batches(
    items: Iterable[RawClose | RowError],
    symbols: _Symbols,
    errors: _Errors,
    first_day: dict[int, str],
) -> Iterator[list[tuple[int, int, str, str]]]:
    """Yield batches of (line, security id, day, close) of the good rows, recording the bad
    ones; once a row is bad nothing more is yielded (the file is rejected)."""
    batch: list[tuple[int, int, str, str]] = []
    append = batch.append
    ids = symbols.ids
    for item in items:
        if isinstance(item, RowError):
            errors.add(item)
            continue
        if errors:
            continue  # the file is rejected: only its remaining errors matter
        line, symbol, day, close = item
        pk = ids.get(symbol)
        if pk is None:
            pk = symbols.id(symbol)
        known = first_day.get(pk)
        if known is None or day < known:
            first_day[pk] = day  # ISO dates compare as strings
        append((line, pk, day, close))
        if len(batch) >= STAGE_BATCH:
            yield batch
            batch = []
            append = batch.append
    if batch and not errors:
        yield batch


class _Repeated(Exception):
    """A bulk load met a close given twice among the rows it wrote to the price table."""


class _PriceStage:
    """Where the file's closes go on their way to the price table.

    A temporary table of (line, security_id, date, close, new) takes the rows, and one
    ``INSERT … ON CONFLICT`` merges it at the end, naming any repeat by its line.

    A bulk load on PostgreSQL (``bulk``, once BULK_ROWS new closes or half the table's
    size have come) goes faster: the price table's foreign and unique keys and indexes
    are set aside (not the primary key: new ids only ever append to its index, which
    keeps up while the file is read), the closes of days outside their security's stored range
    (they cannot be there already) are copied straight into it, and the keys are built
    again once at the end from sorted rows, which costs a fraction of maintaining them
    row by row. Closes inside a stored range (updates, or gaps filled) still go through
    the staging table and its merge. A repeat among the rows copied straight in makes the
    unique key fail to build: ``_Repeated``. The keys come back under their own names in
    the same transaction, so nobody else ever sees the table without them (the table is
    locked meanwhile).
    """

    TABLE = "hearth_price_stage"

    def __init__(self, *, bulk: bool, expected: int = 0) -> None:
        self.bulk_allowed = bulk
        self.expected = expected  # closes the file's size suggests
        self.naming_repeats = not bulk  # the second reading of a file with a repeat
        self.bulk = False  # the keys are set aside and new closes copied straight in
        self.staged = 0  # rows in the staging table
        self.direct = 0  # rows copied straight into the price table
        self.staged_new = 0  # staged rows of days outside their security's stored range
        self.ranges: dict[int, tuple[str, str]] = {}  # stored (first, last) day by security
        self.threshold = BULK_ROWS
        self.set_aside: list[tuple[bool, str, str]] = []  # (foreign key?, drop, create)

    def __enter__(self) -> _PriceStage:
        self.postgres = connection.vendor == "postgresql"
        self.cursor = connection.cursor()
        self.copying: tuple[str, contextlib.ExitStack, object] | None = None  # table, COPY
        self.in_range: list[str] = []  # bulk: staged rows waiting for their COPY
        cursor = self.cursor
        cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
        if self.postgres:
            cursor.execute(
                f"CREATE TEMP TABLE {self.TABLE} (line integer, security_id bigint, "
                "date date, close numeric, new boolean) ON COMMIT DROP"
            )
            if self.bulk_allowed:
                self._read_ranges(cursor)
        else:
            cursor.execute(
                f"CREATE TEMP TABLE {self.TABLE} (line integer, security_id integer, "
                "date text, close text)"
            )
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            if self.copying is not None:
                _, copy_stack, _ = self.copying
                self.copying = None
                copy_stack.__exit__(*exc_info)  # a failure ends the COPY as failed
            if exc_info[0] is None and not self.postgres:
                self.cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
        finally:
            self.cursor.close()

    def _copy_into(self, table: str, columns: str):
        """Return the COPY in progress into ``table``, starting it when needed.

        A COPY stays open from batch to batch, so the server stores the rows while the
        next ones are read and checked: the file's reading and the database's writing
        overlap rather than take turns."""
        if self.copying is not None and self.copying[0] == table:
            return self.copying[2]
        self.pause()
        copy_stack = contextlib.ExitStack()
        statement = f"COPY {table} ({columns}) FROM STDIN"
        copy = copy_stack.enter_context(self.cursor.cursor.copy(statement))
        self.copying = (table, copy_stack, copy)
        return copy

    def pause(self) -> None:
        """End the COPY in progress, if any (before any other statement)."""
        if self.copying is not None:
            _, copy_stack, _ = self.copying
            self.copying = None
            with connection.wrap_database_errors:
                copy_stack.close()

    def _read_ranges(self, cursor) -> None:
        """Read each security's first and last stored day (two index probes a security)
        and how many closes the table holds (the planner's estimate is enough).

        The price table is locked against other writers first (readers go on): the ranges
        stay true until the import ends, and two bulk loads at once queue here rather than
        deadlock when each would set the keys aside."""
        price = Price._meta.db_table
        cursor.execute(f"LOCK TABLE {price} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(
            f"SELECT s.id, r.first, r.last FROM {Security._meta.db_table} s CROSS JOIN "
            f"LATERAL (SELECT min(date) AS first, max(date) AS last FROM {price} p "
            "WHERE p.security_id = s.id) r WHERE r.first IS NOT NULL"
        )
        self.ranges = {pk: (first.isoformat(), last.isoformat()) for pk, first, last in cursor}
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [price])
        stored = max(int(cursor.fetchone()[0]), 0)
        self.threshold = max(BULK_ROWS, stored // 2)

    def write(self, batch: list[tuple[int, int, str, str]]) -> None:
        """Write one batch of good rows (line, security id, day, close)."""
        if not self.postgres:
            self.staged += len(batch)
            self.cursor.executemany(
                f"INSERT INTO {self.TABLE} (line, security_id, date, close) "
                "VALUES (%s, %s, %s, %s)",
                batch,
            )
            return
        ranges = self.ranges
        if not self.bulk:
            lines = []
            new = 0
            for line, pk, day, close in batch:
                known = ranges.get(pk)
                if known is None or day < known[0] or day > known[1]:
                    new += 1
                    lines.append(f"{line}\t{pk}\t{day}\t{close}\tt\n")
                else:
                    lines.append(f"{line}\t{pk}\t{day}\t{close}\tf\n")
            self._copy_into(self.TABLE, STAGE_COLUMNS).write("".join(lines))
            self.staged += len(batch)
            self.staged_new += new
            # A file big enough to be bulk whose first closes are all new is taken as
            # bulk at once: nothing staged to move into the price table then.
            at_once = self.expected >= self.threshold and new == self.staged == len(batch)
            if self.bulk_allowed and (self.staged_new >= self.threshold or at_once):
                self.pause()
                self._go_bulk(self.cursor)
            return
        direct = []
        in_range = self.in_range
        for line, pk, day, close in batch:
            known = ranges.get(pk)
            if known is None or day < known[0] or day > known[1]:
                direct.append(f"{pk}\t{day}\t{close}\t{SOURCE}\n")
            else:
                in_range.append(f"{line}\t{pk}\t{day}\t{close}\tf\n")
        if direct:
            columns = "security_id, date, close, source"
            self._copy_into(Price._meta.db_table, columns).write("".join(direct))
            self.direct += len(direct)
        if len(in_range) >= IN_RANGE_BATCH:
            self._stage_in_range()

    def _stage_in_range(self) -> None:
        if self.in_range:
            self._copy_into(self.TABLE, STAGE_COLUMNS).write("".join(self.in_range))
            self.staged += len(self.in_range)
            self.in_range.clear()

    def _go_bulk(self, cursor) -> None:
        """Set the price table's keys and indexes aside and move the new closes staged so
        far into it; from now on new closes are copied straight in. A price table that
        another table refers to keeps its keys, and the load its staging table."""
        price = Price._meta.db_table
        cursor.execute(
            "SELECT 1 FROM pg_constraint WHERE confrelid = %s::regclass LIMIT 1", [price]
        )
        if cursor.fetchone() is not None:
            self.bulk_allowed = False
            return
        cursor.execute(
            "SELECT conname, contype = 'f', pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') "
            "ORDER BY contype = 'f'",  # built again: unique, then foreign
            [price],
        )
        for name, foreign, definition in cursor.fetchall():
            self.set_aside.append(
                (
                    foreign,
                    f'ALTER TABLE {price} DROP CONSTRAINT "{name}"',
                    f'ALTER TABLE {price} ADD CONSTRAINT "{name}" {definition}',
                )
            )
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass AND indexrelid NOT IN "
            "(SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass)",
            [price, price],
        )
        for name, definition in cursor.fetchall():
            self.set_aside.append((False, f"DROP INDEX {name}", definition))
        for foreign, drop, _ in reversed(self.set_aside):  # the foreign keys first
            if foreign:
                # Closes written earlier in the transaction (not by this import) may still
                # owe their deferred check, and a table with pending checks cannot change.
                cursor.execute(f"SET CONSTRAINTS {drop.rsplit(' ', 1)[1]} IMMEDIATE")
            cursor.execute(drop)
        cursor.execute(
            f"INSERT INTO {price} (security_id, date, close, source) "
            f"SELECT security_id, date, close, %s FROM {self.TABLE} WHERE new",
            [SOURCE],
        )
        cursor.execute(f"DELETE FROM {self.TABLE} WHERE new")
        self.direct += self.staged_new
        self.staged -= self.staged_new
        self.staged_new = 0
        self.bulk = True

    def _restore(self, cursor, *, foreign: bool) -> None:
        """Build again what was set aside: the keys and indexes (``foreign`` False) before
        the merge, which needs the unique key; the foreign keys (True) after it. A close
        copied in twice makes the unique key fail: ``_Repeated``."""
        for is_foreign, _, create in self.set_aside:
            if is_foreign != foreign:
                continue
            try:
                cursor.execute(create)
            except IntegrityError:
                raise _Repeated from None

    def merge(self, *, source: str, symbol_of: dict[int, str]) -> tuple[int, int]:
        """Upsert the staged closes into the price table; return (added, updated),
        counting the closes copied straight in as added."""
        if self.postgres:
            self._stage_in_range()
            self.pause()
        staged = self.staged
        with connection.cursor() as cursor:
            if self.postgres:
                if self.bulk:
                    # Sorting millions of keys in memory rather than in temporary files
                    # (the server's memory, for this transaction).
                    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                    self._restore(cursor, foreign=False)
                elif self.naming_repeats:
                    repeats = self._repeats(cursor, symbol_of)
                    if repeats:
                        raise _Rejected(repeats)
                added = 0
                if staged:
                    try:
                        with transaction.atomic():
                            foreign_once = not self.bulk and staged >= BULK_ROWS
                            added = self._postgres_upsert(cursor, source, bulk=foreign_once)
                    except DatabaseError:
                        # "ON CONFLICT DO UPDATE command cannot affect row a second time"
                        repeats = self._repeats(cursor, symbol_of)
                        if repeats:
                            raise _Rejected(repeats) from None
                        raise
                if self.bulk:
                    self._restore(cursor, foreign=True)
                return self.direct + added, staged - added
            repeats = self._repeats(cursor, symbol_of)
            if repeats:
                raise _Rejected(repeats)
            price = Price._meta.db_table
            cursor.execute(
                f"SELECT count(*) FROM {self.TABLE} s JOIN {price} p "
                "ON p.security_id = s.security_id AND p.date = s.date"
            )
            updated = cursor.fetchone()[0]
            with one_note_for_bulk_write(price):
                cursor.execute(
                    f"INSERT INTO {price} (security_id, date, close, source) "
                    f"SELECT security_id, date, close, %s FROM {self.TABLE} WHERE true "
                    "ON CONFLICT (security_id, date) DO UPDATE "
                    "SET close = excluded.close, source = excluded.source",
                    [source],
                )
            return staged - updated, updated

    def _postgres_upsert(self, cursor, source: str, *, bulk: bool) -> int:
        """Merge in one statement; return how many rows were new.

        A bulk load drops the price table's foreign key for the statement and adds it back
        after, in the same transaction (``portfolios.services.bulk_keys``): adding it checks
        every row in one join, where the deferred per-row checks at commit cost about as
        much as the insert itself. Every staged security id was read or created in this
        transaction, so it always holds.
        """
        price = Price._meta.db_table
        keys_aside = (
            foreign_keys_set_aside(Price, checks_owed_first=True)
            if bulk
            else contextlib.nullcontext()
        )
        with keys_aside:
            cursor.execute(
                f"WITH merged AS (INSERT INTO {price} (security_id, date, close, source) "
                f"SELECT security_id, date, close, %s FROM {self.TABLE} "
                "ORDER BY security_id, date "
                "ON CONFLICT (security_id, date) DO UPDATE "
                "SET close = EXCLUDED.close, source = EXCLUDED.source "
                "RETURNING (xmax = 0) AS inserted) "
                "SELECT count(*) FILTER (WHERE inserted) FROM merged",
                [source],
            )
            return cursor.fetchone()[0]

    def _repeats(self, cursor, symbol_of: dict[int, str]) -> list[str]:
        cursor.execute(
            f"SELECT s.line, s.security_id, s.date, f.first FROM {self.TABLE} s JOIN "
            f"(SELECT security_id, date, MIN(line) AS first FROM {self.TABLE} "
            "GROUP BY security_id, date HAVING COUNT(*) > 1) f "
            "ON f.security_id = s.security_id AND f.date = s.date "
            "WHERE s.line <> f.first ORDER BY s.line LIMIT %s",
            [MAX_LISTED_ERRORS],
        )
        return [
            str(price_duplicate_error(line, symbol_of[pk], str(day), first))
            for line, pk, day, first in cursor.fetchall()
        ]


def _dividends_load(text: str | TextIO) -> MarketDataImportResult:
    """Check every event, then upsert them in batches; any bad row rolls all back.

    Repeats are found with a set of the events' keys: a dividends file holds thousands of
    events where a prices file holds millions of closes.
    """
    symbols = _Symbols()
    errors = _Errors()
    first_line: dict[tuple, int] = {}
    written = updated = 0
    batch: list = []

    def flush() -> None:
        nonlocal written, updated
        updated += _stored_events(batch)
        written += dividends_upsert(
            events=(
                (Security(pk=pk), row.ex_date, row.pay_date, row.amount, row.income_class)
                for pk, row in batch
            ),
            source=SOURCE,
        )
        batch.clear()

    for item in iter_dividend_rows(text):
        if isinstance(item, RowError):
            errors.add(item)
            continue
        key = dividend_key(item)
        if key in first_line:
            errors.add(dividend_duplicate_error(item, first_line[key]))
            continue
        first_line[key] = item.line
        if errors:
            continue
        batch.append((symbols.id(item.symbol), item))
        if len(batch) >= DIVIDEND_BATCH:
            flush()
    if errors:
        raise _Rejected(errors.messages())
    if batch:
        flush()
    _mark_holders(dict.fromkeys(symbols.symbol_of, timezone.localdate()))
    return MarketDataImportResult(
        rows=written,
        added=written - updated,
        updated=updated,
        symbols=len(symbols.ids),
        new_symbols=sorted(symbols.new),
    )


def _stored_events(batch: list) -> int:
    """Return how many of the batch's events are stored already (they are updated)."""
    if not batch:
        return 0
    keys = {(pk, row.ex_date, row.pay_date, row.income_class) for pk, row in batch}
    ex_dates = [row.ex_date for _, row in batch]
    stored = DividendEvent.objects.filter(
        security_id__in={pk for pk, _ in batch}, ex_date__range=(min(ex_dates), max(ex_dates))
    ).values_list("security_id", "ex_date", "pay_date", "income_class")
    return sum(1 for key in stored if key in keys)


def _mark_holders(first_day: dict[int, date]) -> None:
    """Mark every household with transactions in these securities as owing a recompute
    from the earliest changed day among its securities."""
    if not first_day:
        return
    since: dict[int, date] = {}
    held = (
        Transaction.objects.filter(security_id__in=list(first_day))
        .values_list("account__household_id", "security_id")
        .distinct()
    )
    for household_id, security_id in held:
        day = first_day[security_id]
        if household_id not in since or day < since[household_id]:
            since[household_id] = day
    for household in Household.objects.filter(pk__in=list(since)):
        recompute_mark_pending(household=household, from_date=since[household.pk])
