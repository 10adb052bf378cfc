"""Writes of market data: prices and dividends from files and providers."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from portfolios.models import DividendEvent, Price, Security, Transaction
from portfolios.providers import ProviderError, get_provider

logger = logging.getLogger(__name__)
BATCH = 5000
# Securities without a market price of their own.
UNPRICED_KINDS = (Security.Kind.CASH,)


@transaction.atomic
def prices_upsert(*, closes: Iterable[tuple[Security, date, object]], source: str) -> int:
    """Insert or update daily closes in batches; return the number of rows written."""
    rows = [Price(security=s, date=d, close=c, source=source) for s, d, c in closes]
    for start in range(0, len(rows), BATCH):
        Price.objects.bulk_create(
            rows[start : start + BATCH],
            update_conflicts=True,
            unique_fields=["security", "date"],
            update_fields=["close", "source"],
        )
    return len(rows)


@transaction.atomic
def dividends_upsert(*, events: Iterable[tuple[Security, date, date, object]], source: str) -> int:
    """Insert or update dividend events (per share); return the number of rows written."""
    rows = [
        DividendEvent(security=s, ex_date=ex, pay_date=pay, amount=amount, source=source)
        for s, ex, pay, amount in events
    ]
    DividendEvent.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["security", "ex_date"],
        update_fields=["pay_date", "amount", "source"],
        batch_size=BATCH,
    )
    return len(rows)


def security_get_or_create(*, symbol: str) -> tuple[Security, bool]:
    """Return the security for symbol, creating an unknown one flagged for review."""
    symbol = symbol.strip().upper()
    security = Security.objects.filter(symbol=symbol).order_by("exchange").first()
    if security is not None:
        return security, False
    return Security.objects.create(symbol=symbol, needs_review=True), True


# A provider's close on a day already stored may differ by rounding or a small correction;
# beyond this relative gap its series is not the stored one (split-adjusted, another listing).
OVERLAP_TOLERANCE = Decimal("0.02")


@dataclass
class RefreshResult:
    provider: str
    written: int = 0
    symbols: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    transient: list[str] = field(default_factory=list)
    # Symbol -> new closes written now, for every symbol that was refreshed.
    refreshed: dict[str, int] = field(default_factory=dict)
    # Security id -> its earliest close written now: where valuations must recompute from.
    first_new: dict[int, date] = field(default_factory=dict)

    def status_lines(self) -> list[str]:
        """Return one line per symbol: refreshed with its count, or why not."""
        lines = [f"{symbol}: {count} new closes" for symbol, count in self.refreshed.items()]
        lines += [f"{symbol}: not refreshed: {reason}" for symbol, reason in self.failed.items()]
        return sorted(lines)


class UnusableAnswer(ProviderError):
    """The provider answered, but with closes that cannot be stored as they are."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


def closes_check(
    *, closes: list, start: date, today: date, stored: dict[date, Decimal]
) -> list[tuple[date, Decimal]]:
    """Return the new (day, close) rows of a provider's answer, or raise UnusableAnswer.

    1. Every close must be a finite positive number on a day in [start, today]; anything
       else is garbage and the whole answer is refused (nothing half-written).
    2. On days already stored from this provider (``stored``), its close must agree within
       OVERLAP_TOLERANCE: a series split-adjusted since it was stored would otherwise join
       the stored one with a false jump (a 2:1 split halves every close before it).
    3. Only days after the last stored close are new.
    """
    rows: dict[date, Decimal] = {}
    for item in closes:
        day, value = getattr(item, "date", None), getattr(item, "close", None)
        try:
            close = Decimal(str(value))
        except (InvalidOperation, ValueError):
            raise UnusableAnswer(f"garbage in the answer: close {value!r} on {day}") from None
        if not isinstance(day, date) or not start <= day <= today:
            raise UnusableAnswer(f"garbage in the answer: a close dated {day!r}")
        if not close.is_finite() or close <= 0:
            raise UnusableAnswer(f"garbage in the answer: close {value!r} on {day}")
        rows[day] = close
    for day, close in sorted(rows.items()):
        known = stored.get(day)
        if known and abs(close / known - 1) > OVERLAP_TOLERANCE:
            raise UnusableAnswer(
                f"the provider's close on {day} is {close}, the stored one {known} "
                f"(factor {known / close:.4f}): a split-adjusted series? Nothing written; "
                "record the split, or reload the history with import_prices"
            )
    last_stored = max(stored, default=None)
    return sorted((d, c) for d, c in rows.items() if last_stored is None or d > last_stored)


def prices_refresh(
    *, provider_name: str | None = None, today: date | None = None, symbols: list[str] | None = None
) -> RefreshResult:
    """Fetch the missing closes of every held security up to today.

    1. Take the securities any household has traded (or the named symbols).
    2. For each, ask the provider from its latest stored close (or a week before its first
       trade) to today: the stored day is asked again, to check the provider's series still
       matches what it answered before (``closes_check``); only later days are written.
    3. A symbol whose provider times out, answers garbage or a series that does not match
       is recorded with the reason and nothing of it is written; the others carry on.
    """
    provider = get_provider(provider_name)
    today = today or timezone.localdate()
    securities = Security.objects.exclude(kind__in=UNPRICED_KINDS)
    if symbols:
        securities = securities.filter(symbol__in=[s.upper() for s in symbols])
    else:
        securities = securities.filter(
            pk__in=Transaction.objects.filter(security__isnull=False).values("security_id")
        )
    # Subqueries, not joins: annotating two reverse relations at once would join every close
    # with every trade of the security (millions of rows on a long history).
    securities = securities.annotate(
        last_price=Subquery(
            Price.objects.filter(security=OuterRef("pk")).order_by("-date").values("date")[:1]
        ),
        first_trade=Subquery(
            Transaction.objects.filter(security=OuterRef("pk"))
            .order_by("trade_date")
            .values("trade_date")[:1]
        ),
    )
    result = RefreshResult(provider=provider.name)
    for security in securities:
        if security.last_price and security.last_price >= today:
            continue
        start = security.last_price or (security.first_trade or today) - timedelta(days=7)
        try:
            answer = list(provider.fetch_closes(security.symbol, start, today))
            stored = dict(
                Price.objects.filter(
                    security=security, date__gte=start, source=provider.name
                ).values_list("date", "close")
            )
            closes = closes_check(closes=answer, start=start, today=today, stored=stored)
            if security.last_price:
                closes = [(day, close) for day, close in closes if day > security.last_price]
        except ProviderError as exc:
            logger.warning("price refresh failed for %s: %s", security.symbol, exc)
            result.failed[security.symbol] = str(exc)
            if not exc.permanent:
                result.transient.append(security.symbol)
            continue
        except Exception as exc:  # a provider bug must not stop the other symbols
            logger.exception("price refresh failed for %s", security.symbol)
            result.failed[security.symbol] = f"unexpected error: {exc!r}"
            continue
        result.written += prices_upsert(
            closes=((security, day, close) for day, close in closes), source=provider.name
        )
        result.symbols += 1
        result.refreshed[security.symbol] = len(closes)
        if closes:
            result.first_new[security.pk] = closes[0][0]
    return result
