"""Writes of market data: prices and dividends from files and providers."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

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
def dividends_upsert(*, events: Iterable[tuple], source: str) -> int:
    """Insert or update dividend events (per share); return the number of rows written.

    Each event is (security, ex date, pay date, amount[, income class]). Several events may
    share an ex-date; an event with the same ex date, pay date and income class as a stored
    one replaces its amount.
    """
    rows = [
        DividendEvent(
            security=event[0],
            ex_date=event[1],
            pay_date=event[2],
            amount=event[3],
            income_class=event[4] if len(event) > 4 else "",
            source=source,
        )
        for event in events
    ]
    DividendEvent.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["security", "ex_date", "pay_date", "income_class"],
        update_fields=["amount", "source"],
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


@dataclass
class RefreshResult:
    provider: str
    written: int = 0
    symbols: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    transient: list[str] = field(default_factory=list)
    # Security id -> its earliest close written now: where valuations must recompute from.
    first_new: dict[int, date] = field(default_factory=dict)


def prices_refresh(
    *, provider_name: str | None = None, today: date | None = None, symbols: list[str] | None = None
) -> RefreshResult:
    """Fetch the missing closes of every held security up to today.

    1. Take the securities any household has traded (or the named symbols).
    2. For each, ask the provider from the day after its latest stored close (or from its
       first trade date) to today, so only missing days are fetched.
    3. A symbol that fails is logged and recorded; the others carry on.
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
        start = (
            security.last_price + timedelta(days=1)
            if security.last_price
            else (security.first_trade or today) - timedelta(days=7)
        )
        if start > today:
            continue
        try:
            closes = list(provider.fetch_closes(security.symbol, start, today))
        except ProviderError as exc:
            logger.exception("price refresh failed for %s", security.symbol)
            result.failed[security.symbol] = str(exc)
            if not exc.permanent:
                result.transient.append(security.symbol)
            continue
        result.written += prices_upsert(
            closes=((security, c.date, c.close) for c in closes), source=provider.name
        )
        result.symbols += 1
        if closes:
            result.first_new[security.pk] = min(c.date for c in closes)
    return result
