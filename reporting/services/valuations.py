"""Rebuild and store a household's daily valuation series, in full or from a changed date.

`valuations_rebuild` is what the worker (and `manage.py recompute`) runs after a new
transaction, price or split; pages and the API only read what it stores.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from portfolios.models import Household
from portfolios.selectors.accounts import account_cash_balances
from portfolios.selectors.as_of import household_today
from reporting.calculations.daily_series import (
    MONEY_SCALE,
    DailySeries,
    decode_series,
    encode_series,
    stored_split,
)
from reporting.calculations.replay import ReplayState, replay_ledger
from reporting.models import ValuationCheckpoint, ValuationSeries
from reporting.services.scope_series import AccountValuer, ScopeDef, scope_series
from reporting.services.valuation_inputs import (
    PAR_KINDS,
    AccountInfo,
    ClosesWindow,
    PriceBook,
    SecurityInfo,
    add_trade_prices,
    full_rebuild_window,
    fx_book,
    household_accounts,
    ledger_rows,
    price_book,
    security_infos,
)

logger = logging.getLogger(__name__)
Scope = ValuationSeries.Scope
CENT = MONEY_SCALE // 100  # one cent in ten-thousandths
# The next checkpoint is kept at the first of the month this many days before the end, so
# the nightly refresh and recently dated transactions replay only a few weeks.
CHECKPOINT_LAG_DAYS = 45


@dataclass
class RebuildResult:
    household_id: int
    incremental: bool = False
    start: date | None = None
    end: date | None = None
    recomputed_from: date | None = None
    scopes: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds: read, compute, store

    def as_dict(self) -> dict:
        """Return the result as JSON-ready values (a task result, a command's output)."""
        return {
            "household": self.household_id,
            "incremental": self.incremental,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "recomputed_from": self.recomputed_from.isoformat() if self.recomputed_from else None,
            "scopes": self.scopes,
            "seconds": round(self.seconds, 3),
            "problems": self.problems,
            "timings": {name: round(value, 3) for name, value in self.timings.items()},
        }


def scope_definitions(accounts: Mapping[int, AccountInfo]) -> list[ScopeDef]:
    """Return the household, every account, and every sleeve that has accounts."""
    scopes = [ScopeDef(Scope.HOUSEHOLD, "", "Household", frozenset(accounts))]
    sleeves: dict[int, tuple[str, set[int]]] = {}
    for account in sorted(accounts.values(), key=lambda a: a.name):
        scopes.append(
            ScopeDef(Scope.ACCOUNT, str(account.id), account.name, frozenset([account.id]))
        )
        if account.sleeve_id is not None:
            sleeves.setdefault(account.sleeve_id, (account.sleeve_name or "", set()))[1].add(
                account.id
            )
    for sleeve_id, (name, members) in sorted(sleeves.items(), key=lambda item: item[1][0]):
        scopes.append(ScopeDef(Scope.SLEEVE, str(sleeve_id), name, frozenset(members)))
    return scopes


@dataclass
class _Plan:
    """Where this rebuild starts: everything, or the stored checkpoint with stored series."""

    state: ReplayState | None = None
    stored: dict[tuple[str, str], DailySeries] = field(default_factory=dict)
    history: dict[tuple[str, str], bytes] = field(default_factory=dict)  # packed, if reusable
    first: int | None = None  # the axis's first day when incremental
    checkpoint: ValuationCheckpoint | None = None  # the stored row of ``state``


def valuations_rebuild(
    *,
    household: Household,
    from_date: date | None = None,
    today: date | None = None,
    may_store: Callable[[], bool] | None = None,
) -> RebuildResult:
    """Recompute and store the household's daily series; return what was done.

    1. Decide where to start. With ``from_date`` (the earliest changed day: a transaction,
       a close, a split) on or after the stored checkpoint, and stored series of the same
       shape (scopes, accounts, currency, first day), start at the checkpoint: read only the
       transactions from its day and the closes from there, keep every stored day before
       it. Otherwise start from the first transaction (the day before it is the axis' first
       day, value 0).
    2. Replay the ledger per account (quantities incl. splits, cash, flows, the gain
       breakdown's buckets), keeping a new checkpoint about six weeks before the end.
    3. Value each account's positions with ``daily_valuation_columns`` (closes carried
       forward, FX into the household's currency) plus cash; sum accounts into sleeves and the
       household, with the flows that cross each scope's edge, and chain the TWR index.
    4. Check the gain breakdown on every day of every scope (and, on a full run, each
       account's cash against the ledger's sums), then store one row per scope and the
       checkpoint, in one transaction.

    ``may_store``, when given, is asked before anything is written (the recompute chain's
    side process waits there for the ledger): False leaves the stored rows as they are.
    """
    started = time.perf_counter()
    result = RebuildResult(household_id=household.pk)
    accounts = household_accounts(household=household)
    scopes = scope_definitions(accounts)
    today = today or household_today(household)
    plan = _plan(household, scopes, from_date)
    # A full rebuild's closes (the longest read) start at once, from the transactions'
    # window read in one aggregate, while the ledger rows are read here.
    early = _EarlyCloses(household, today) if plan.state is None else None
    rows = ledger_rows(household=household, from_day=plan.state.day if plan.state else None)
    if plan.state is None and not rows:
        if early is not None:
            early.drop()
        if may_store is not None and not may_store():
            return result
        ValuationSeries.objects.filter(household=household).delete()
        ValuationCheckpoint.objects.filter(household=household).delete()
        return result
    first = plan.first if plan.state else min(row.day for row in rows) - 1
    last = max([today.toordinal(), *(row.day for row in rows)])
    begin = plan.state.day if plan.state else first
    result.incremental = plan.state is not None

    held_before = {sid for (_, sid) in plan.state.positions} if plan.state else set()
    security_ids = sorted(held_before | {r.security_id for r in rows if r.security_id is not None})
    infos = security_infos(security_ids=security_ids, household=household)
    currencies = [a.currency for a in accounts.values()] + [i.currency for i in infos.values()]
    fx = fx_book(base=household.base_currency, currencies=currencies)
    # The closes (millions on a full run: about a second of the database's time) are read
    # while this process replays the ledger, which does not need them.
    window = ClosesWindow(security_ids, begin, last, _first_days(rows, held_before))
    book_read = early.book_read(window) if early is not None else None
    if book_read is None:  # not started early, or for another window (rows written since)
        book_read = _price_book_meanwhile(
            security_ids=window.security_ids,
            first_day=window.first_day,
            last_day=window.last_day,
            needed_from=window.needed_from,
        )

    checkpoint_day = max(_checkpoint_day(last), begin)
    # Starting at the checkpoint that would be kept again: it stands as stored.
    keep_checkpoint = plan.state is not None and checkpoint_day == plan.state.day
    replay = replay_ledger(
        rows,
        {pk: a.for_replay() for pk, a in accounts.items()},
        fx.rate,
        state=plan.state,
        checkpoint_day=None if keep_checkpoint else checkpoint_day,
    )
    # The ledger's own sums cover every transaction: worth their 50 ms on a full run. Read
    # now, with the other reads: a full recompute's ledger, rebuilt meanwhile in another
    # process, may hold the tables for a moment at its end (its foreign keys).
    cash_problems = (
        _cash_mismatches(household, accounts, replay.accounts) if plan.state is None else []
    )
    book = book_read()
    unpriced = _complete_prices(book, household, infos, first=first)
    result.timings["read"] = time.perf_counter() - started
    checkpoint = plan.state if keep_checkpoint else replay.checkpoint
    replays = replay.accounts
    valuer = AccountValuer(book, infos, fx, first=first, last=last, begin=begin)
    market = {pk: valuer.market_value(pk, replays[pk], plan.state) for pk in accounts}
    opening_cash = plan.state.cash if plan.state else {}
    cash = {
        pk: valuer.cash_value(replays[pk], opening_cash.get(pk, 0), accounts[pk].currency)
        for pk in accounts
    }
    series = {}
    for scope in scopes:
        stored = plan.stored.get((scope.scope, scope.key))
        series[scope] = built = scope_series(scope, replays, market, cash, valuer, stored)
        mismatch = _breakdown_mismatch(built)
        if mismatch:
            result.problems.append(f"{scope.scope} {scope.label}: {mismatch}")
    if unpriced:
        result.problems.append(f"no price for {', '.join(sorted(unpriced))}; valued at 0")
    if fx.missing:
        result.problems.append(f"no FX rate into {fx.base} for {', '.join(sorted(fx.missing))}")
    result.problems += cash_problems
    for problem in result.problems:
        logger.error("valuation of household %s: %s", household.pk, problem)
    held = sorted({sid for account in replays.values() for sid in account.positions})

    split = checkpoint.day - first
    reuse = plan.history if keep_checkpoint else {}
    blobs = {
        scope: encode_series(built, split=split, history=reuse.get((scope.scope, scope.key)))
        for scope, built in series.items()
    }
    history_kept = bool(reuse) and len(reuse) == len(scopes)
    result.timings["compute"] = time.perf_counter() - started - result.timings["read"]
    if may_store is not None:
        waited = time.perf_counter()
        if not may_store():
            return result
        result.timings["waited"] = time.perf_counter() - waited
    _store(
        household,
        scopes,
        series,
        blobs,
        checkpoint,
        held=held,
        problems=result.problems,
        kept=plan.checkpoint if keep_checkpoint else None,
        history_kept=history_kept,
    )
    result.start, result.end = date.fromordinal(first), date.fromordinal(last)
    result.recomputed_from = date.fromordinal(begin)
    result.scopes = len(scopes)
    result.seconds = time.perf_counter() - started
    result.timings["store"] = result.seconds - sum(result.timings.values())
    logger.info(
        "valued household %s: %s scopes, %s..%s, from %s (%s) in %.3f s",
        household.pk,
        result.scopes,
        result.start,
        result.end,
        result.recomputed_from,
        "incremental" if result.incremental else "full",
        result.seconds,
    )
    return result


class _EarlyCloses:
    """A full rebuild's closes, read before its ledger rows are: in a thread on its own
    connection (PostgreSQL, outside a transaction), which first reads the window the rows
    will give (one aggregate of the transactions), then the closes.

    ``book_read(window)`` returns the function that waits for the book when the window read
    is the rows' window, else None (a transaction written between the two reads: the caller
    reads again). Elsewhere nothing is read early (``book_read`` returns None).
    """

    def __init__(self, household: Household, today: date) -> None:
        self.window: ClosesWindow | None = None
        self.outcome: dict[str, object] = {}
        self.known = threading.Event()  # the window is read (or failed)
        self.reader: threading.Thread | None = None
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return

        def read() -> None:
            try:
                self.window = full_rebuild_window(household=household, today=today)
                self.known.set()
                if self.window is not None:
                    self.outcome["book"] = price_book(
                        security_ids=self.window.security_ids,
                        first_day=self.window.first_day,
                        last_day=self.window.last_day,
                        needed_from=self.window.needed_from,
                    )
            except BaseException as exc:  # raised again in the caller's thread
                self.outcome["error"] = exc
            finally:
                self.known.set()
                connection.close()  # this thread's own connection

        self.reader = threading.Thread(target=read, name="price-book", daemon=True)
        self.reader.start()

    def book_read(self, window: ClosesWindow) -> Callable[[], PriceBook] | None:
        if self.reader is None:
            return None
        self.known.wait()
        if self.window != window:
            self.drop()
            return None
        return self._wait

    def drop(self) -> None:
        """Wait for the read and forget it."""
        if self.reader is not None:
            self.reader.join()

    def _wait(self) -> PriceBook:
        self.reader.join()
        if "error" in self.outcome:
            raise self.outcome["error"]
        return self.outcome["book"]


def _first_days(rows: list, held_before: set[int]) -> dict[int, int]:
    """Return the day of each security's first row, for the securities not held at the
    start: no day before it holds any of it, so its closes are needed from that day on."""
    first_days: dict[int, int] = {}
    for row in rows:
        security_id = row.security_id
        if security_id is None or security_id in held_before:
            continue
        known = first_days.get(security_id)
        if known is None or row.day < known:
            first_days[security_id] = row.day
    return first_days


def _price_book_meanwhile(
    *,
    security_ids: list[int],
    first_day: int,
    last_day: int,
    needed_from: dict[int, int] | None = None,
) -> Callable[[], PriceBook]:
    """Start reading ``price_book`` and return the function that waits for it.

    On PostgreSQL outside a transaction the read runs in a thread on its own connection
    (closed when done), so the database aggregates the closes while the caller's thread
    computes; the caller's connection could not see anything the other cannot (it has
    nothing uncommitted). Elsewhere, or inside a transaction (whose uncommitted rows a
    second connection would not see), it is read here and now.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block or not security_ids:
        book = price_book(
            security_ids=security_ids,
            first_day=first_day,
            last_day=last_day,
            needed_from=needed_from,
        )
        return lambda: book
    outcome: dict[str, object] = {}

    def read() -> None:
        try:
            outcome["book"] = price_book(
                security_ids=security_ids,
                first_day=first_day,
                last_day=last_day,
                needed_from=needed_from,
            )
        except BaseException as exc:  # raised again in the caller's thread
            outcome["error"] = exc
        finally:
            connection.close()  # this thread's own connection

    reader = threading.Thread(target=read, name="price-book", daemon=True)
    reader.start()

    def wait() -> PriceBook:
        reader.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["book"]

    return wait


def _checkpoint_day(last: int) -> int:
    """Return the first of the month ``CHECKPOINT_LAG_DAYS`` before ``last``."""
    day = date.fromordinal(last - CHECKPOINT_LAG_DAYS)
    return day.replace(day=1).toordinal()


def _plan(household: Household, scopes: list[ScopeDef], from_date: date | None) -> _Plan:
    """Return the stored checkpoint and series to start from, or an empty plan (full)."""
    if from_date is None:
        return _Plan()
    checkpoint = ValuationCheckpoint.objects.filter(household=household).first()
    if checkpoint is None or checkpoint.day > from_date:
        return _Plan()
    rows = {
        (row.scope, row.scope_key): row
        for row in ValuationSeries.objects.filter(household=household)
    }
    if len(rows) != len(scopes):
        return _Plan()
    household_row = rows.get((Scope.HOUSEHOLD, ""))
    if household_row is None or household_row.meta.get("checkpoint") != _token(checkpoint):
        return _Plan()  # not written together (a concurrent rebuild): start over
    first = household_row.start_date
    for scope in scopes:
        row = rows.get((scope.scope, scope.key))
        if (
            row is None
            or row.start_date != first
            or row.end_date < checkpoint.day - timedelta(days=1)
            or sorted(row.meta.get("accounts", [])) != sorted(scope.accounts)
            or row.meta.get("currency") != household.base_currency
        ):
            return _Plan()
    if checkpoint.day <= first + timedelta(days=1):
        return _Plan()
    try:
        stored = {
            key: decode_series(row.values, row.history, row.start_date) for key, row in rows.items()
        }
    except ValueError:  # packed by an older format
        return _Plan()
    return _Plan(
        state=ReplayState.unpack(checkpoint.state),
        stored=stored,
        history={
            key: bytes(row.history)
            for key, row in rows.items()
            if stored_split(row.values) == checkpoint.day.toordinal() - first.toordinal()
        },
        first=first.toordinal(),
        checkpoint=checkpoint,
    )


def _complete_prices(book: PriceBook, household, infos: Mapping[int, SecurityInfo], *, first):
    """Price securities that have no close: trade prices, par for cash-like kinds, else 0."""
    missing = {sid for sid in infos if sid not in book.days}
    if not missing:
        return set()
    add_trade_prices(book, household=household, security_ids=missing)
    unpriced = set()
    for sid in missing - set(book.days):
        par = infos[sid].kind in PAR_KINDS
        book.add(sid, np.array([first]), np.array([1.0 if par else 0.0]))
        if not par:
            unpriced.add(infos[sid].symbol)
    return unpriced


def _breakdown_mismatch(series: DailySeries) -> str | None:
    """Return where cost != net flows - carried + realized + income - fees - taxes, if anywhere.

    Equivalently: start value + net flows + realized + unrealized + income - fees - taxes
    = end value, for every period, with unrealized = (value - cost - carried) at its end
    less the same at its start (see reporting.calculations.replay).
    """
    money = series.money
    net_flows = np.cumsum(money["inflow"] - money["outflow"])
    expected = (
        net_flows
        - money["carried"]
        + money["realized"]
        + money["income"]
        - money["fees"]
        - money["taxes"]
    )
    difference = money["cost"] - expected
    bad = np.flatnonzero(np.abs(difference) > CENT)
    if len(bad) == 0:
        return None
    day = series.start + timedelta(days=int(bad[0]))
    return f"gain breakdown off by {difference[bad[0]] / MONEY_SCALE:.4f} on {day}"


def _cash_mismatches(household, accounts, replays) -> list[str]:
    """Compare each account's replayed cash with the ledger's (Decimal, grouped in SQL)."""
    balances = account_cash_balances(household=household)
    problems = []
    for account_id, replay in replays.items():
        expected = balances.get(account_id, Decimal(0))
        replayed = Decimal(replay.cash_units) / MONEY_SCALE
        if abs(replayed - expected) > Decimal("0.01"):
            problems.append(
                f"account {accounts[account_id].name}: cash {replayed} != ledger {expected}"
            )
    return problems


@transaction.atomic
def _store(
    household,
    scopes,
    series,
    blobs,
    checkpoint,
    *,
    held: list[int],
    problems: list[str],
    kept: ValuationCheckpoint | None,
    history_kept: bool,
) -> None:
    """Keep the checkpoint, upsert one row per scope, delete rows of scopes that are gone.

    The household row names the checkpoint it was built with (its day and write time), so a
    later rebuild only starts from a checkpoint and series written together.
    """
    now = timezone.now()
    stored = kept
    if stored is None:
        stored, _ = ValuationCheckpoint.objects.update_or_create(
            household=household,
            defaults={"day": date.fromordinal(checkpoint.day), "state": checkpoint.pack()},
        )
    rows = []
    for scope in scopes:
        built = series[scope]
        money = built.money
        active = np.flatnonzero(
            (money["value"] != 0) | (money["inflow"] != 0) | (money["outflow"] != 0)
        )
        first_active = max(int(active[0]) - 1, 0) if len(active) else 0
        meta = {"accounts": sorted(scope.accounts), "currency": household.base_currency}
        if scope.scope == Scope.HOUSEHOLD:
            meta |= {"held": held, "problems": problems}
            meta["checkpoint"] = _token(stored)
        rows.append(
            ValuationSeries(
                household=household,
                scope=scope.scope,
                scope_key=scope.key,
                label=scope.label,
                start_date=built.start,
                end_date=built.end,
                first_date=built.start + timedelta(days=first_active),
                values=blobs[scope].recent,
                history=blobs[scope].history,
                meta=meta,
                computed_at=now,
            )
        )
    ValuationSeries.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["household", "scope", "scope_key"],
        # The history column is left alone when it is the stored one: no rewrite of years.
        update_fields=[
            "label",
            "start_date",
            "end_date",
            "first_date",
            "values",
            *([] if history_kept else ["history"]),
            "meta",
            "computed_at",
            "updated_at",
        ],
    )
    keep = {(scope.scope, scope.key) for scope in scopes}
    gone = [
        pk
        for pk, scope, key in ValuationSeries.objects.filter(household=household).values_list(
            "pk", "scope", "scope_key"
        )
        if (scope, key) not in keep
    ]
    if gone:
        ValuationSeries.objects.filter(pk__in=gone).delete()


def _token(checkpoint: ValuationCheckpoint) -> str:
    return f"{checkpoint.day.isoformat()}@{checkpoint.updated_at.isoformat()}"
