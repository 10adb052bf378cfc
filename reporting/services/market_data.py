"""The after-close market-data run: closes, FX rates, dividends and splits, then valuations.

Closes come from ``portfolios.services.market_data.prices_refresh`` (only missing days, one
symbol's failure never stops the others). Here: FX rates for every currency a household
holds besides its own, dividend and split events of held securities, and the date each
household's valuation has to be recomputed from.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from portfolios.models import Account, FxRate, Household, Security, SplitEvent, Transaction
from portfolios.providers import PriceProvider, ProviderError, get_provider
from portfolios.selectors.as_of import household_today
from portfolios.services.market_data import RefreshResult, dividends_upsert, prices_refresh
from portfolios.services.recompute import recompute_mark_pending
from reporting.selectors.market import held_security_ids

logger = logging.getLogger(__name__)
FIRST_FETCH_DAYS = 7  # before the first trade, so the first day has a close to carry


@dataclass
class MarketRefreshResult:
    """What an after-close run wrote, what failed, and where valuations start again."""

    prices: RefreshResult
    fx_rates: int = 0
    dividends: int = 0
    splits: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    recompute_from: dict[int, date] = field(default_factory=dict)  # household id -> day

    @property
    def transient(self) -> list[str]:
        return self.prices.transient


def fx_pairs() -> set[tuple[str, str]]:
    """Return (currency, household base) for every foreign account or traded security."""
    pairs = set()
    for currency, base in Account.objects.values_list("currency", "household__base_currency"):
        if currency and currency != base:
            pairs.add((currency, base))
    traded = Transaction.objects.filter(security__isnull=False).values_list(
        "security__currency", "account__household__base_currency"
    )
    for currency, base in traded.distinct():
        if currency and currency != base:
            pairs.add((currency, base))
    return pairs


@transaction.atomic
def fx_rates_upsert(*, rates: Iterable) -> int:
    """Insert or update FX closes (FxRate: quote per one base); return the rows written."""
    rows = [FxRate(base=r.base, quote=r.quote, date=r.date, rate=r.rate) for r in rates]
    FxRate.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["base", "quote", "date"],
        update_fields=["rate"],
        batch_size=5000,
    )
    return len(rows)


def fx_refresh(*, provider: PriceProvider, today: date, failed: dict[str, str]) -> int:
    """Fetch the missing days of every needed FX pair; return the rows written."""
    written = 0
    first_trade = Transaction.objects.aggregate(first=Min("trade_date"))["first"] or today
    for currency, base in sorted(fx_pairs()):
        last = FxRate.objects.filter(base=currency, quote=base).order_by("-date").values("date")[:1]
        last_day = last[0]["date"] if last else None
        start = last_day + timedelta(days=1) if last_day else first_trade - timedelta(days=7)
        if start > today:
            continue
        try:
            written += fx_rates_upsert(rates=provider.fetch_fx(currency, base, start, today))
        except ProviderError as exc:
            logger.exception("FX refresh failed for %s/%s", currency, base)
            failed[f"{currency}/{base}"] = str(exc)
    return written


def corporate_actions_refresh(
    *, provider: PriceProvider, today: date, failed: dict[str, str]
) -> tuple[int, int]:
    """Fetch new dividends and splits of held securities; return (dividends, splits)."""
    dividends = splits = 0
    held = Security.objects.filter(pk__in=held_security_ids()).exclude(
        kind__in=(Security.Kind.CASH, Security.Kind.MONEY_MARKET)
    )
    for security in held:
        last_event = security.dividends.order_by("-ex_date").values_list("ex_date", flat=True)
        first_trade = security.transactions.order_by("trade_date").values_list(
            "trade_date", flat=True
        )
        known = last_event.first()
        start = known + timedelta(days=1) if known else (first_trade.first() or today)
        if start > today:
            continue
        try:
            events = list(provider.fetch_dividends(security.symbol, start, today))
            new_splits = list(provider.fetch_splits(security.symbol, start, today))
        except ProviderError as exc:
            logger.warning("corporate actions of %s not refreshed: %s", security.symbol, exc)
            failed[f"{security.symbol} events"] = str(exc)
            continue
        dividends += dividends_upsert(
            events=((security, e.ex_date, e.pay_date, e.amount) for e in events),
            source=provider.name,
        )
        for split in new_splits:
            SplitEvent.objects.update_or_create(
                security=security,
                date=split.date,
                defaults={"ratio_new": split.ratio_new, "ratio_old": split.ratio_old},
            )
            splits += 1
    return dividends, splits


def market_data_refresh(
    *, provider_name: str | None = None, today: date | None = None
) -> MarketRefreshResult:
    """Refresh closes, FX rates and corporate actions; say where each household's
    valuation must be recomputed from.

    1. Closes of every held security (missing days only).
    2. FX rates of every foreign currency into the household's.
    3. Dividends and splits of held securities (stored as events; splits in the ledger stay
       SPLIT transactions, entered by the household).
    4. For each household, the earliest new close among its securities, or today.
    """
    prices = prices_refresh(provider_name=provider_name, today=today)
    asked = today
    today = today or timezone.localdate()
    provider = get_provider(provider_name)
    result = MarketRefreshResult(prices=prices)
    result.fx_rates = fx_refresh(provider=provider, today=today, failed=result.failed)
    result.dividends, result.splits = corporate_actions_refresh(
        provider=provider, today=today, failed=result.failed
    )
    for household in Household.objects.all():
        securities = held_security_ids(household=household)
        new = [prices.first_new[sid] for sid in securities if sid in prices.first_new]
        result.recompute_from[household.pk] = min(new, default=asked or household_today(household))
    return result


def recompute_mark_refreshed(*, result: MarketRefreshResult) -> None:
    """Mark each household of a refresh as owing a recompute from its earliest new close;
    each mark enqueues the worker's chain once its transaction commits."""
    households = Household.objects.in_bulk(list(result.recompute_from))
    for household_id, from_date in sorted(result.recompute_from.items()):
        household = households.get(household_id)
        if household is not None:
            with transaction.atomic():
                recompute_mark_pending(household=household, from_date=from_date)
