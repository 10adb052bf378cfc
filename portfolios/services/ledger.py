"""Writes of the derived ledger: a household's tax lots and lot reliefs, rebuilt from its
transactions by the pure lot engine (``portfolios.calculations.lots``).

Why an incremental rebuild can replay only part of the history
    Every lot and relief belongs to one security, and what happens to a security's lots
    depends only on the transactions of its identity group (the securities treated as
    substantially identical for wash sales: a security alone, if in no group) and on the
    accounts' lot methods and tax treatments. Cash never feeds back into lots. So the ledger
    splits into independent groups, and replaying just the groups whose transactions changed,
    each from its first transaction, gives exactly the rows a full replay gives.

How a rebuild finds what changed
    The state row keeps a digest of every (group, year) bucket of transactions as of the
    last rebuild, and one digest of the accounts and identity groups (``LedgerState``).
    ``from_date`` promises that nothing before it changed, so only the buckets from its
    year on are read and compared. Rows without a security ("cash") touch no lot; they are
    replayed only to surface their own errors (an unknown type, a transfer to a foreign
    account), which depend on nothing but the row.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import pickle
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from portfolios.calculations.lots import LedgerError, LedgerResult, build_ledger
from portfolios.errors import ApplicationError
from portfolios.fields import quantize_money, quantize_quantity
from portfolios.models import Household, LedgerState, LotRelief, TaxLot, Transaction
from portfolios.selectors.accounts import account_cash_balances_summed
from portfolios.selectors.ledger_inputs import (
    LOT_SELECTION,
    SECURITY,
    TRADE_DATE,
    LedgerInputs,
    TransactionRow,
    ledger_inputs,
    ledger_txns,
    lot_selection_targets,
    resolved_selection,
    transaction_ref_by_id,
    transaction_rows,
)
from portfolios.services.bulk_keys import LOCK_WAIT as KEYS_LOCK_WAIT
from portfolios.services.bulk_keys import foreign_keys_set_aside
from portfolios.services.planner_statistics import planner_statistics_refresh

logger = logging.getLogger(__name__)
BATCH = 2000
CASH = "cash"

Digests = dict[str, dict[str, str]]  # group key -> {year: digest}


class LedgerRebuildError(ApplicationError):
    """The household's transactions cannot be replayed; the message names the transaction."""


@dataclass(frozen=True)
class LedgerRebuildResult:
    """What a rebuild did: the household's totals after it, and how much it replayed."""

    household_id: int
    full: bool
    transactions: int
    replayed: int  # transactions run through the engine
    groups_replayed: int
    open_lots: int
    reliefs: int
    seconds: float
    # The first day whose lots may differ from before the rebuild (None: nothing changed).
    changed_from: date | None = None
    written: int = 0  # lot and relief rows deleted or inserted (unchanged rows stay)

    def as_dict(self) -> dict:
        return {
            "full": self.full,
            "changed_from": self.changed_from.isoformat() if self.changed_from else None,
            "transactions": self.transactions,
            "replayed": self.replayed,
            "groups_replayed": self.groups_replayed,
            "open_lots": self.open_lots,
            "reliefs": self.reliefs,
            "written": self.written,
            "seconds": round(self.seconds, 3),
        }


def ledger_rebuild(
    *, household: Household, from_date: date | None = None, full: bool = False
) -> LedgerRebuildResult:
    """Rebuild the household's tax lots and reliefs; return what was done.

    Only the identity groups whose transactions changed are replayed and rewritten; the
    rows are the same as a full rebuild's. ``from_date`` (the earliest trade date added,
    edited or deleted) narrows the search to the years from its own; without it every
    year's digest is checked, so an unchanged ledger costs one read of its transactions.
    Every transaction is replayed and every row rewritten with ``full``, or when there is
    no trustworthy state: the first rebuild, a failed last one, or changed accounts or
    identity groups.

    A transaction the engine cannot apply stores the message on ``LedgerState.error`` (and
    clears ``dirty_from``: the next rebuild is a full one anyway), leaves the previous rows
    in place and raises ``LedgerRebuildError``.
    """
    started = time.perf_counter()
    try:
        with transaction.atomic():
            state = _locked_state(household)
            result = _rebuild(household, state, from_date, started, force_full=full)
    except LedgerError as exc:
        message = _described(household, exc)
        LedgerState.objects.update_or_create(
            household=household, defaults={"error": message, "dirty_from": None, "cash": None}
        )
        raise LedgerRebuildError(message, errors={"transactions": [message]}) from exc
    # Many rows written (a first rebuild, most often): the tables' plans may change.
    planner_statistics_refresh(TaxLot, LotRelief, rows=result.written)
    return result


def ledger_refresh_if_stale(*, household: Household) -> None:
    """Rebuild the ledger now if a change is still waiting for the worker, so pages and API
    calls never show lots and gains older than the transactions (no worker running, or the
    worker behind). A rebuild that fails keeps its error for the pages; the stored rows stay.

    Stale means: a change marked by ``ledger_mark_changed`` and not yet rebuilt, or
    transactions but no rebuild at all. Costs one query when the ledger is current.
    """
    state = LedgerState.objects.filter(household=household).values_list("dirty_from").first()
    dirty_from = state[0] if state else None
    if dirty_from is None:
        # A state row without a pending change is current, or holds the last failure
        # (which clears ``dirty_from``, so a bad row is not replayed on every request).
        if state is not None:
            return
        if not Transaction.objects.filter(account__household=household).exists():
            return
    try:
        ledger_rebuild(household=household, from_date=dirty_from)
    except LedgerRebuildError:
        logger.warning("ledger of household %s is stale: rebuild failed", household.pk)


def _locked_state(household: Household) -> LedgerState:
    LedgerState.objects.get_or_create(household=household)
    # One rebuild per household at a time (PostgreSQL row lock; SQLite's IMMEDIATE
    # transactions already serialise writers).
    return LedgerState.objects.select_for_update().get(household=household)


def _rebuild(
    household: Household,
    state: LedgerState,
    from_date: date | None,
    started: float,
    *,
    force_full: bool = False,
) -> LedgerRebuildResult:
    """Steps, inside the caller's transaction and lock:

    1. Read the accounts and identity groups; decide between a full and an incremental run.
    2. Read the transactions of the years that may have changed and digest each (group,
       year) bucket; compare with the stored digests to find the changed groups.
    3. Replay the changed groups, each from its first transaction, with the cash rows of
       the changed years.
    4. Replace the changed groups' lots and reliefs, and store the new digests.
    """
    inputs = ledger_inputs(household=household)
    if from_date is None:
        from_date = state.dirty_from
    elif state.dirty_from is not None:
        from_date = min(from_date, state.dirty_from)
    full = (
        force_full
        or bool(state.error)
        or not state.digests
        or state.inputs_digest != inputs.fingerprint
    )
    table = _transactions_digest(household)
    if not full and from_date is None and table == state.transactions_digest:
        # No mark, and not a row added, deleted or saved since the last rebuild.
        if state.cash is None:
            state.cash = _cash_text(household)
            state.save(update_fields=["cash"])
        return LedgerRebuildResult(
            household_id=household.pk,
            full=False,
            transactions=int(table.split("|", 1)[0]),
            replayed=0,
            groups_replayed=0,
            open_lots=TaxLot.objects.filter(household=household).count(),
            reliefs=LotRelief.objects.filter(household=household).count(),
            seconds=time.perf_counter() - started,
        )
    since = None if full or from_date is None else date(from_date.year, 1, 1)
    rows = transaction_rows(household=household, since=since)
    targets = lot_selection_targets(household=household, rows=rows)
    fresh = _bucket_digests(rows, inputs, targets)

    if full:
        changed = set(fresh)
        replay_rows = rows
        digests = fresh
        changed_from = min((_as_date(row[TRADE_DATE]) for row in rows), default=None)
    else:
        changed, digests, first_changed = _changes(state.digests, fresh, since.year if since else 0)
        changed_from = date(first_changed, 1, 1) if first_changed is not None else None
        securities = {s for key in changed for s in inputs.securities_of(key)}
        replay_rows = (
            transaction_rows(household=household, security_ids=securities) if securities else []
        )
        targets.update(lot_selection_targets(household=household, rows=replay_rows))
        changed_cash_years = {
            int(year)
            for year, digest in fresh.get(CASH, {}).items()
            if state.digests.get(CASH, {}).get(year) != digest
        }
        replay_rows += [
            row
            for row in rows
            if row[SECURITY] is None and _year(row[TRADE_DATE]) in changed_cash_years
        ]

    txns = ledger_txns(rows=replay_rows, inputs=inputs, targets=targets)
    result = build_ledger(txns, inputs.accounts, inputs.identity_groups)
    securities = None if full else {s for key in changed for s in inputs.securities_of(key)}
    written = _replace_rows(household, result, securities=securities)

    state.digests = digests
    state.inputs_digest = inputs.fingerprint
    state.transactions_digest = table
    state.error = ""
    state.dirty_from = None
    state.rebuilt_at = timezone.now()
    state.cash = _cash_text(household)
    state.save(
        update_fields=[
            "digests",
            "inputs_digest",
            "transactions_digest",
            "error",
            "dirty_from",
            "rebuilt_at",
            "cash",
        ]
    )

    if full:
        counts = (len(rows), len(result.lots), len(result.reliefs))
    else:
        counts = (
            # The count the digest above read (one scan of the transactions, not two).
            int(table.split("|", 1)[0]),
            TaxLot.objects.filter(household=household).count(),
            LotRelief.objects.filter(household=household).count(),
        )
    return LedgerRebuildResult(
        household_id=household.pk,
        full=full,
        transactions=counts[0],
        replayed=len(txns),
        groups_replayed=len(changed - {CASH}),
        open_lots=counts[1],
        reliefs=counts[2],
        seconds=time.perf_counter() - started,
        changed_from=changed_from,
        written=written,
    )


def _cash_text(household: Household) -> dict[str, str]:
    """Return each account's cash balance summed from every transaction, as the state row
    stores it: {account id: Decimal text}. Summed inside the rebuild's transaction, under
    its lock on the state row: a write that commits after it marks the row again
    (``dirty_from``), which sets the stored balances aside until the next rebuild."""
    balances = account_cash_balances_summed(household=household)
    return {str(pk): str(balance) for pk, balance in balances.items()}


def _transactions_digest(household: Household) -> str:
    """Return "count|highest id|latest change" of the household's transactions (one query).

    Every write of a transaction goes through the ORM, which sets ``updated_at``; a delete
    lowers the count. Equal digests mean the rows are the ones last rebuilt from.
    """
    row = Transaction.objects.filter(account__household=household).aggregate(
        count=Count("pk"), last_id=Max("pk"), latest=Max("updated_at")
    )
    latest = row["latest"].isoformat() if row["latest"] else ""
    return f"{row['count']}|{row['last_id'] or 0}|{latest}"


def _bucket_digests(rows: Iterable[TransactionRow], inputs: LedgerInputs, targets: dict) -> Digests:
    """Return a digest of each (group, year) bucket of rows. A row with a lot selection
    also carries the transactions its ids resolve to, so re-pointing an id is a change."""
    buckets: dict[tuple[str, int], list] = {}
    key_of: dict[int | None, str] = {}
    for row in rows:
        security = row[SECURITY]
        group = key_of.get(security)
        if group is None:
            group = key_of[security] = inputs.group_key(security)
        if row[LOT_SELECTION]:
            row = (*row, resolved_selection(row, targets))
        bucket = (group, _year(row[TRADE_DATE]))
        if bucket in buckets:
            buckets[bucket].append(row)
        else:
            buckets[bucket] = [row]
    digests: Digests = {}
    for (group, year), items in buckets.items():
        digests.setdefault(group, {})[str(year)] = _digest(items)
    return digests


def _digest(items: list) -> str:
    """Return a short digest of rows of plain values (int, str, date, Decimal, float, None).

    Pickle in fast mode writes no memo references, so equal values always give equal
    bytes, whichever objects hold them; it is several times faster than ``repr``.
    """
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    pickler.dump(items)
    return hashlib.blake2b(buffer.getbuffer(), digest_size=8).hexdigest()


def _changes(
    stored: Digests, fresh: Digests, first_year: int
) -> tuple[set[str], Digests, int | None]:
    """Return the groups whose buckets from ``first_year`` on differ, the digests to
    store (the stored buckets before ``first_year`` with the fresh ones after it), and the
    first year whose bucket differs in any group (None: no change)."""
    changed: set[str] = set()
    merged: Digests = {}
    first_changed: int | None = None
    for group in stored.keys() | fresh.keys():
        kept = {y: d for y, d in stored.get(group, {}).items() if int(y) < first_year}
        recent = {y: d for y, d in stored.get(group, {}).items() if int(y) >= first_year}
        now = fresh.get(group, {})
        if recent != now:
            changed.add(group)
            differing = [int(y) for y in recent.keys() | now.keys() if recent.get(y) != now.get(y)]
            year = min(differing)
            first_changed = year if first_changed is None else min(first_changed, year)
        if kept or now:
            merged[group] = kept | now
    return changed, merged, first_changed


LOT_COLUMNS = (
    "household_id",
    "account_id",
    "security_id",
    "lot_key",
    "opening_transaction_id",
    "acquired",
    "holding_period_start",
    "quantity_original",
    "quantity",
    "cost_original",
    "cost_basis",
    "wash_sale_adjustment",
    "basis_unknown",
)
RELIEF_COLUMNS = (
    "household_id",
    "account_id",
    "security_id",
    "lot_key",
    "opening_transaction_id",
    "sale_transaction_id",
    "sequence",
    "acquired",
    "holding_period_start",
    "sold",
    "quantity",
    "proceeds",
    "cost_basis",
    "gain",
    "wash_sale_disallowed",
    "term",
    "code",
    "basis_unknown",
)


def _replace_rows(
    household: Household, result: LedgerResult, *, securities: set[int] | None
) -> int:
    """Make the household's lots and reliefs (only those of ``securities`` if given) the
    result's; return how many rows were deleted or inserted.

    Rows a rebuild leaves as they were are not rewritten: the stored rows are compared with
    the new ones, value for value, and only those that differ are deleted or inserted. A
    full rebuild of an unchanged ledger (``recompute --full``) then writes nothing, where a
    delete and a reinsert of every row cost seconds (the inserts' foreign keys are checked
    at commit). The rows left are the same either way: a row's values are all it holds.
    """
    lots = TaxLot.objects.filter(household=household)
    reliefs = LotRelief.objects.filter(household=household)
    if securities is not None:
        lots = lots.filter(security_id__in=securities)
        reliefs = reliefs.filter(security_id__in=securities)
    hh = household.pk
    lot_rows = [
        (
            hh,
            lot.account_id,
            lot.security_id,
            lot.lot_id,
            lot.opening_txn_id,
            lot.acquired,
            lot.holding_period_start,
            quantize_quantity(lot.quantity_original),
            quantize_quantity(lot.quantity_open),
            quantize_money(lot.cost_original),
            quantize_money(lot.cost_open),
            quantize_money(lot.wash_sale_adjustment),
            not lot.basis_known,
        )
        for lot in result.lots
    ]
    position_in_sale: dict[int, int] = {}
    relief_rows = []
    for relief in result.reliefs:
        sequence = position_in_sale.get(relief.sale_txn_id, 0)
        position_in_sale[relief.sale_txn_id] = sequence + 1
        relief_rows.append(
            (
                hh,
                relief.account_id,
                relief.security_id,
                relief.lot_id,
                relief.opening_txn_id,
                relief.sale_txn_id,
                sequence,
                relief.acquired,
                relief.holding_period_start,
                relief.sold,
                quantize_quantity(relief.quantity),
                quantize_money(relief.proceeds),
                quantize_money(relief.cost_basis),
                quantize_money(relief.gain),
                quantize_money(relief.wash_sale_disallowed),
                relief.term,
                relief.code,
                relief.basis_unknown,
            )
        )
    lot_changes = _row_changes(lots, LOT_COLUMNS, lot_rows)
    relief_changes = _row_changes(reliefs, RELIEF_COLUMNS, relief_rows)
    inserted = len(lot_changes[1]) + len(relief_changes[1])
    with _foreign_keys_checked_at_once(TaxLot, LotRelief, rows=inserted):
        # Lots first: a lot whose values changed keeps its key (unique per household), so
        # its old row is deleted before the new one is inserted.
        for model, columns, (unwanted, missing) in (
            (TaxLot, LOT_COLUMNS, lot_changes),
            (LotRelief, RELIEF_COLUMNS, relief_changes),
        ):
            _delete(model, unwanted)
            if missing:
                _insert(model, columns, missing)
    return sum(len(unwanted) + len(missing) for unwanted, missing in (lot_changes, relief_changes))


def _row_changes(
    stored, columns: tuple[str, ...], rows: list[tuple]
) -> tuple[list[int], list[tuple]]:
    """Return what makes the ``stored`` rows equal to ``rows`` (a multiset of column
    values): the ids of the stored rows that are not wanted, and the wanted rows that are
    not stored."""
    # One fetch (not a server-side cursor's round trips): a heavy household's 20,000 rows.
    found = list(stored.values_list("pk", *columns))
    if not found:
        # Nothing stored (a first rebuild): every row is missing, in the result's order (a
        # lot's key, and a relief's sale and sequence, make each row unique).
        return [], rows
    wanted = Counter(rows)
    unwanted: list[int] = []
    for pk, *values in found:
        key = tuple(values)
        if wanted.get(key, 0) > 0:
            wanted[key] -= 1
        else:
            unwanted.append(pk)
    return unwanted, [row for row, count in wanted.items() for _ in range(count)]


# From this many rows inserted, PostgreSQL checks the foreign keys of the new lots and
# reliefs with one join per key, not one lookup (and row lock) per row and key at commit.
BULK_CHECK_ROWS = 2000
# How long the rebuild waits for the tables' locks before it checks row by row instead.
LOCK_WAIT = KEYS_LOCK_WAIT


@contextlib.contextmanager
def _foreign_keys_checked_at_once(*models, rows: int) -> Iterator[None]:
    """Insert many rows into ``models``' tables with their foreign keys checked once, as a
    whole, rather than row by row (on PostgreSQL, from ``BULK_CHECK_ROWS`` rows).

    Row by row, each new row's keys cost a lookup and a row lock at commit: seconds for the
    20,000 lots and reliefs of a heavy household's first rebuild. So the keys are set aside
    for the writes and added back ``NOT VALID``, then validated: one join of the table with
    the table it refers to (``portfolios.services.bulk_keys``). When a lock is not granted
    within ``LOCK_WAIT`` (a long transaction on a referenced table, an import), the rows
    are checked one by one.
    """
    if (
        connection.vendor != "postgresql"
        or not connection.in_atomic_block  # a dropped key must never be committed
        or rows < BULK_CHECK_ROWS
    ):
        yield
        return
    with foreign_keys_set_aside(*models, lock_wait=LOCK_WAIT, validated_apart=True):
        yield


def _delete(model: type[TaxLot] | type[LotRelief], ids: list[int]) -> None:
    """Delete rows by primary key: one statement on PostgreSQL (an array parameter, not a
    parameter per id), batches elsewhere. Nothing refers to lots or reliefs."""
    if not ids:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [ids])
        return
    for start in range(0, len(ids), 500):
        model.objects.filter(pk__in=ids[start : start + 500]).delete()


def _insert(
    model: type[TaxLot] | type[LotRelief], columns: tuple[str, ...], rows: Iterable
) -> None:
    """Insert rows the fastest way the database offers: the hot path of a full rebuild.

    ``bulk_create`` would build a model instance per row, and SQLite's 999-parameter limit
    would cut it into hundreds of statements. PostgreSQL takes the rows through ``COPY``;
    other databases through one prepared statement run per row (``executemany``, a loop in
    C for SQLite). Values are already what the drivers take (int, str, date, Decimal at the
    stored precision).
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        for batch in _batches(rows, BATCH):
            cursor.executemany(sql, batch)


def _batches(rows: Iterable[tuple], size: int) -> Iterable[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _described(household: Household, exc: LedgerError) -> str:
    """Return the error's message with the transaction named by its external id, date,
    type, symbol and account instead of the engine's bare "transaction <id>"."""
    pk = exc.ref.removeprefix("transaction ")
    if pk.isascii() and pk.isdigit():
        ref = transaction_ref_by_id(household=household, pk=int(pk))
        if ref is not None:
            return f"{ref}: {exc.message}"
    return str(exc)


def _as_date(value: date | str) -> date:
    return value if type(value) is date else date.fromisoformat(str(value)[:10])


def _year(value: date | str) -> int:
    return value.year if type(value) is date else int(str(value)[:4])
