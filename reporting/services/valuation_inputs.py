"""Read what a valuation needs: ledger rows, closes and FX rates, fast enough for 30 years.

The ORM would turn every amount into a ``Decimal`` and every close into a model-free tuple
of Decimals; for 50,000 transactions and 3.8 million closes that alone takes seconds. These
readers ask the database for floats and day numbers instead (SQL ``CAST``), page through big
answers, and build numpy arrays, so memory stays near the size of the arrays themselves.
Amounts are stored with 4 decimal places, which a float64 holds exactly below 10^11.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
from django.db import connection
from django.db.models import OuterRef, Subquery

from portfolios.calculations.valuation import DayValues
from portfolios.models import Account, FxRate, Household, Price, Security, Transaction
from portfolios.selectors.securities import security_profiles
from reporting.calculations.replay import LedgerRow, ReplayAccount

if TYPE_CHECKING:
    import pandas as pd

FETCH_ROWS = 100_000
UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# Securities worth one unit of their currency when no close is known.
PAR_KINDS = (Security.Kind.CASH, Security.Kind.MONEY_MARKET)


@dataclass(frozen=True)
class AccountInfo:
    """An account with the scopes it belongs to."""

    id: int
    name: str
    currency: str
    lot_method: str
    sleeve_id: int | None
    sleeve_name: str | None

    def for_replay(self) -> ReplayAccount:
        return ReplayAccount(id=self.id, currency=self.currency, lot_method=self.lot_method)


def _day_sql(column: str) -> str:
    """Return SQL for a date column as days since 1970-01-01 (an integer)."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    if connection.vendor == "sqlite":
        return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"
    return f"DATEDIFF({column}, '1970-01-01')"


def _float_sql(column: str) -> str:
    return f"CAST({column} AS DOUBLE PRECISION)"


def household_accounts(*, household) -> dict[int, AccountInfo]:
    """Return the household's accounts by id, with their sleeves."""
    rows = Account.objects.filter(household=household).values_list(
        "id", "name", "currency", "lot_method", "default_sleeve_id", "default_sleeve__name"
    )
    return {row[0]: AccountInfo(*row) for row in rows}


def ledger_rows(*, household, from_day: int | None = None) -> list[LedgerRow]:
    """Return the household's transactions (from ``from_day`` on, an ordinal) as replay rows."""
    txn, account = Transaction._meta.db_table, Account._meta.db_table
    sql = (
        f"SELECT t.id, t.account_id, {_day_sql('t.trade_date')}, t.type, t.security_id, "
        f"{_float_sql('t.quantity')}, {_float_sql('t.price')}, {_float_sql('t.amount')}, "
        f"{_float_sql('t.fees')}, {_float_sql('t.split_new')}, {_float_sql('t.split_old')}, "
        f"t.to_account_id FROM {txn} t JOIN {account} a ON a.id = t.account_id "
        "WHERE a.household_id = %s"
    )
    params: list = [household.pk]
    if from_day is not None:
        sql += " AND t.trade_date >= %s"
        params.append(date.fromordinal(from_day))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    epoch = UNIX_EPOCH_ORDINAL
    return [
        LedgerRow(
            pk,
            account_id,
            epoch + day,
            kind,
            security_id,
            quantity or 0.0,
            price or 0.0,
            amount or 0.0,
            fees or 0.0,
            split_new or 0.0,
            split_old or 0.0,
            to_account_id,
        )
        for (
            pk,
            account_id,
            day,
            kind,
            security_id,
            quantity,
            price,
            amount,
            fees,
            split_new,
            split_old,
            to_account_id,
        ) in raw
    ]


@dataclass(frozen=True)
class ClosesWindow:
    """What a valuation reads closes for: its securities, days and each one's first day
    (``price_book``'s arguments)."""

    security_ids: list[int]
    first_day: int
    last_day: int
    needed_from: dict[int, int]


def full_rebuild_window(*, household, today: date) -> ClosesWindow | None:
    """Return the window a full rebuild's ledger rows give (``valuations_rebuild``), read
    in one aggregate of the transactions: the securities, the day before the first
    transaction, today or the last transaction's day if later, and each security's first
    day. None without transactions."""
    txn, account = Transaction._meta.db_table, Account._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.security_id, min(t.trade_date), max(t.trade_date) "
            f"FROM {txn} t JOIN {account} a ON a.id = t.account_id "
            "WHERE a.household_id = %s GROUP BY t.security_id",
            [household.pk],
        )
        groups = cursor.fetchall()
    if not groups:
        return None
    needed_from = {sid: first.toordinal() for sid, first, _ in groups if sid is not None}
    return ClosesWindow(
        security_ids=sorted(needed_from),
        first_day=min(first.toordinal() for _, first, _ in groups) - 1,
        last_day=max([today.toordinal(), *(last.toordinal() for _, _, last in groups)]),
        needed_from=needed_from,
    )


@dataclass
class PriceBook:
    """Closes per security as sorted arrays of day ordinals and floats."""

    days: dict[int, np.ndarray] = field(default_factory=dict)
    closes: dict[int, np.ndarray] = field(default_factory=dict)

    def add(self, security_id: int, days: np.ndarray, closes: np.ndarray) -> None:
        if security_id in self.days:
            days = np.concatenate([self.days[security_id], days])
            closes = np.concatenate([self.closes[security_id], closes])
        order = np.argsort(days, kind="stable")
        self.days[security_id], self.closes[security_id] = days[order], closes[order]

    def day_values(self, security_id: int) -> DayValues | None:
        """Return the closes as arrays (daily_valuation_columns' fast input, no pandas)."""
        days = self.days.get(security_id)
        if days is None or len(days) == 0:
            return None
        return DayValues(days, self.closes[security_id])

    def series(self, security_id: int) -> pd.Series | None:
        """Return the closes as a float Series by date (imports pandas)."""
        import pandas as pd

        days = self.days.get(security_id)
        if days is None or len(days) == 0:
            return None
        index = pd.DatetimeIndex((days - UNIX_EPOCH_ORDINAL).astype("datetime64[D]"))
        return pd.Series(self.closes[security_id], index=index)

    def at(self, security_id: int, day: int) -> float | None:
        """Return the close on ``day``, carried forward, or the first close before any."""
        days = self.days.get(security_id)
        if days is None or len(days) == 0:
            return None
        position = max(int(np.searchsorted(days, day, side="right")) - 1, 0)
        return float(self.closes[security_id][position])


def price_book(
    *,
    security_ids: Sequence[int],
    first_day: int,
    last_day: int,
    needed_from: Mapping[int, int] | None = None,
) -> PriceBook:
    """Return the closes of the securities from ``first_day`` to ``last_day`` (ordinals).

    A security without a close in that window gets its last close before it, so every held
    security carries its price into the window (DESIGN §7).

    ``needed_from`` (security id -> ordinal, optional) is the first day a security's closes
    are used: a valuation holds none of it before its first transaction. PostgreSQL then
    reads a security's closes from its last close on or before that day (within the
    window) on, so every day from it carries the close a read of the whole window carries;
    the days before it hold no quantity, whatever their price. A full read of a heavy
    household skips a quarter of its closes. Other databases read the whole window.
    """
    book = PriceBook()
    if not security_ids:
        return book
    window = (date.fromordinal(first_day), date.fromordinal(last_day))
    if connection.vendor == "postgresql":
        reader = functools.partial(_closes_postgresql, needed_from=needed_from)
    elif connection.vendor == "sqlite":
        reader = _closes_sqlite
    else:
        reader = _closes_rows
    for security_id, days, closes in reader(security_ids, *window):
        if len(days) > 1 and not (np.diff(days) > 0).all():
            order = np.argsort(days, kind="stable")
            days, closes = days[order], closes[order]
        book.days[security_id], book.closes[security_id] = days, closes
    missing = [sid for sid in security_ids if sid not in book.days]
    if missing:
        _add_last_closes_before(book, missing, window[0])
    return book


# Three ways to read millions of closes; each yields (security id, day ordinals, closes)
# per security, as arrays.


def _closes_postgresql(
    security_ids, first: date, last: date, *, needed_from: Mapping[int, int] | None = None
):
    """One row per security with its days and closes packed by PostgreSQL as big-endian
    binary (``int4send``/``float8send`` concatenated), read by numpy without a Python object
    per close. Both aggregates see a group's rows in the same order, so they stay aligned;
    the caller sorts by day.

    With ``needed_from``, each security's closes start at its last close on or before its
    day (one index seek), not at ``first`` (see ``price_book``); a security left out of it
    reads the whole window."""
    table = Price._meta.db_table
    day = "int4send((p.date - DATE '1970-01-01')::int4)"
    aggregates = (
        f"string_agg({day}, ''::bytea) AS days, "
        "string_agg(float8send(p.close::float8), ''::bytea) AS closes"
    )
    if needed_from is None:
        statement = (
            f"SELECT p.security_id, {aggregates} FROM {table} p "
            "WHERE p.security_id = ANY(%s) AND p.date >= %s AND p.date <= %s "
            "GROUP BY p.security_id"
        )
        params = [list(security_ids), first, last]
    else:
        # One aggregate per security over an index range (no hash table of every close).
        statement = (
            "SELECT w.security_id, a.days, a.closes "
            "FROM unnest(%s::bigint[], %s::date[]) AS w(security_id, needed) "
            f"CROSS JOIN LATERAL (SELECT {aggregates} FROM {table} p "
            "WHERE p.security_id = w.security_id "
            "AND p.date <= %s AND p.date >= COALESCE(("
            f"SELECT max(q.date) FROM {table} q WHERE q.security_id = w.security_id "
            "AND q.date >= %s AND q.date <= w.needed), w.needed)) a "
            "WHERE a.days IS NOT NULL"
        )
        lower = [
            max(first, date.fromordinal(needed_from[sid])) if sid in needed_from else first
            for sid in security_ids
        ]
        params = [list(security_ids), lower, last, first]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        for security_id, day_bytes, close_bytes in _stream(cursor):
            days = np.frombuffer(day_bytes, dtype=">i4").astype(np.int64) + UNIX_EPOCH_ORDINAL
            yield security_id, days, np.frombuffer(close_bytes, dtype=">f8").astype(np.float64)


def _closes_sqlite(security_ids, first: date, last: date):
    """One row per security with its days and closes concatenated by SQLite, parsed by
    numpy's text reader: no Python object per close."""
    table = Price._meta.db_table
    placeholders = ", ".join(["%s"] * len(security_ids))
    statement = (
        f"SELECT security_id, group_concat({_day_sql('date')}, ' '), "
        f"group_concat({_float_sql('close')}, ' ') FROM {table} "
        f"WHERE security_id IN ({placeholders}) AND date >= %s AND date <= %s "
        "GROUP BY security_id ORDER BY security_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*security_ids, first, last])
        for security_id, day_text, close_text in _stream(cursor):
            days = np.fromstring(day_text, dtype=np.int64, sep=" ") + UNIX_EPOCH_ORDINAL
            yield security_id, days, np.fromstring(close_text, dtype=np.float64, sep=" ")


def _stream(cursor, size: int = 20):
    """Yield rows a few at a time, so only a few securities' text is held at once."""
    while rows := cursor.fetchmany(size):
        yield from rows


def _closes_rows(security_ids, first: date, last: date):
    table = Price._meta.db_table
    placeholders = ", ".join(["%s"] * len(security_ids))
    statement = (
        f"SELECT security_id, {_day_sql('date')}, {_float_sql('close')} FROM {table} "
        f"WHERE security_id IN ({placeholders}) AND date >= %s AND date <= %s "
        "ORDER BY security_id, date"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*security_ids, first, last])
        for security_id, group in itertools.groupby(
            _stream(cursor, FETCH_ROWS), key=lambda r: r[0]
        ):
            rows = list(group)
            yield (
                security_id,
                np.array([row[1] for row in rows], dtype=np.int64) + UNIX_EPOCH_ORDINAL,
                np.array([row[2] for row in rows], dtype=np.float64),
            )


def _add_last_closes_before(book: PriceBook, security_ids: Sequence[int], day: date) -> None:
    """Add each security's last close before ``day`` (one index seek per security)."""
    latest = (
        Price.objects.filter(security=OuterRef("pk"), date__lt=day)
        .order_by("-date")
        .values("date")[:1]
    )
    rows = (
        Security.objects.filter(pk__in=security_ids)
        .annotate(last_day=Subquery(latest))
        .filter(last_day__isnull=False)
        .values_list("pk", "last_day")
    )
    wanted = dict(rows)
    if not wanted:
        return
    for security_id, close_day, close in Price.objects.filter(
        security_id__in=list(wanted), date__in=set(wanted.values())
    ).values_list("security_id", "date", "close"):
        if wanted[security_id] == close_day:
            book.add(security_id, np.array([close_day.toordinal()]), np.array([float(close)]))


def add_trade_prices(book: PriceBook, *, household, security_ids: set[int]) -> None:
    """Give securities that have no close at all the prices they traded at, as closes.

    A trade's price is its price, or its amount per share.
    """
    traded: dict[int, dict[int, float]] = {}
    rows = (
        Transaction.objects.filter(
            account__household=household,
            security_id__in=security_ids,
            type__in=("BUY", "SELL", "REINVEST"),
            quantity__gt=0,
        )
        .order_by("trade_date", "id")
        .values_list("security_id", "trade_date", "price", "amount", "quantity")
    )
    for security_id, day, price, amount, quantity in rows:
        per_share = float(price) if price else float(amount) / float(quantity)
        if per_share > 0:
            traded.setdefault(security_id, {})[day.toordinal()] = per_share
    for security_id, by_day in traded.items():
        days = np.array(sorted(by_day), dtype=np.int64)
        book.add(security_id, days, np.array([by_day[d] for d in days], dtype=np.float64))


@dataclass(frozen=True)
class SecurityInfo:
    symbol: str
    currency: str
    kind: str


def security_infos(
    *, security_ids: Iterable[int], household: Household | None = None
) -> dict[int, SecurityInfo]:
    """Return symbol, currency and kind of the securities by id (the kind as the household
    classified it, when a household is given)."""
    if household is not None:
        views = security_profiles(household=household, security_ids=security_ids)
        return {pk: SecurityInfo(v.symbol, v.currency, v.kind) for pk, v in views.items()}
    rows = Security.objects.filter(pk__in=list(security_ids)).values_list(
        "pk", "symbol", "currency", "kind"
    )
    return {pk: SecurityInfo(symbol, currency, kind) for pk, symbol, currency, kind in rows}


@dataclass
class FxBook:
    """Rates converting each currency into the household's, as sorted arrays by day."""

    base: str
    days: dict[str, np.ndarray] = field(default_factory=dict)
    rates: dict[str, np.ndarray] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)

    def rate(self, currency: str, day: int) -> float:
        """Return the multiplier from ``currency`` to the base on ``day`` (carried forward)."""
        if not currency or currency == self.base:
            return 1.0
        days = self.days.get(currency)
        if days is None:
            self.missing.add(currency)
            return 1.0
        position = max(int(np.searchsorted(days, day, side="right")) - 1, 0)
        return float(self.rates[currency][position])

    def daily(self, currency: str, first_day: int, count: int) -> np.ndarray:
        """Return the multiplier on each of ``count`` days from ``first_day``."""
        if not currency or currency == self.base:
            return np.ones(count)
        days = self.days.get(currency)
        if days is None:
            self.missing.add(currency)
            return np.ones(count)
        wanted = np.arange(first_day, first_day + count)
        positions = np.maximum(np.searchsorted(days, wanted, side="right") - 1, 0)
        return self.rates[currency][positions]

    def day_values(self, currency: str) -> DayValues | None:
        """Return the rates into the base as arrays; None for the base currency itself."""
        if not currency or currency == self.base or currency not in self.days:
            return None
        return DayValues(self.days[currency], self.rates[currency])

    def series(self, currency: str) -> pd.Series | None:
        """Return the rates into the base as a Series by date (imports pandas)."""
        import pandas as pd

        if not currency or currency == self.base or currency not in self.days:
            return None
        index = pd.DatetimeIndex((self.days[currency] - UNIX_EPOCH_ORDINAL).astype("datetime64[D]"))
        return pd.Series(self.rates[currency], index=index)


def fx_book(*, base: str, currencies: Iterable[str]) -> FxBook:
    """Return the rates of every currency into ``base`` (FxRate holds quote per one base).

    A pair stored either way round is used: USD->EUR from (USD, EUR) as is, or from
    (EUR, USD) inverted.
    """
    book = FxBook(base=base)
    foreign = sorted({c for c in currencies if c and c != base})
    for currency in foreign:
        direct = list(
            FxRate.objects.filter(base=currency, quote=base)
            .order_by("date")
            .values_list("date", "rate")
        )
        pairs = [(day, float(rate)) for day, rate in direct]
        if not pairs:
            inverse = FxRate.objects.filter(base=base, quote=currency).order_by("date")
            pairs = [(day, 1 / float(rate)) for day, rate in inverse.values_list("date", "rate")]
        if pairs:
            book.days[currency] = np.array([day.toordinal() for day, _ in pairs], dtype=np.int64)
            book.rates[currency] = np.array([rate for _, rate in pairs], dtype=np.float64)
    return book
