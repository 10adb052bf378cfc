"""Fetch through the price provider the closes of a benchmark's components that have none.

A household may compare with any ticker or blend (DESIGN §8): a symbol with no stored close
is asked of the configured price provider (``settings.PRICE_PROVIDER``) rather than refused.

- A symbol no security carries yet becomes a security (flagged for review, as any new
  symbol) with the provider's closes stored: market data nobody holds, which every
  household may use from then on.
- A security the household may use but without a close gets the closes stored.
- A security only another household holds is never read or written for this household:
  the provider's closes are used for this answer only, so the answer is the same as for a
  symbol nobody knows, and another household's own prices stay its own.

When the provider has nothing (or fails) the caller gets a 400 naming ``benchmark`` with a
clear message, never a 500.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from django.db.models import Min

from portfolios.api.exceptions import ApplicationError
from portfolios.models import Household, Security, Transaction
from portfolios.providers import ProviderError, get_provider
from portfolios.selectors.as_of import household_today
from portfolios.services.market_data import (
    UnusableAnswer,
    closes_check,
    prices_upsert,
    security_get_or_create,
)
from reporting.selectors.benchmarks import (
    FIELD,
    ResolvedBenchmark,
    _visible_to,
    benchmark_priced,
    benchmark_resolve,
    default_benchmark_spec,
)

logger = logging.getLogger(__name__)
LEAD_DAYS = 7  # closes before the first day asked, so its close has one to carry


def benchmark_closes_fetch(
    *, household: Household, benchmark: ResolvedBenchmark, missing: list[str], start: date | None
) -> dict[str, pd.Series]:
    """Fetch the closes of the ``missing`` components (no stored close the household may
    use, ``benchmark_priced``); return them by symbol.

    1. Components with a stored close the household may use need nothing.
    2. The others are asked of the provider from a week before ``start`` or the household's
       first trade, whichever is earlier (so any period of its history compares), to the
       household's today.
    3. Stored as the module docstring says; returned as float Series by date.
    """
    if not missing:
        return {}
    today = household_today(household)
    first_trade = Transaction.objects.filter(account__household=household).aggregate(
        first=Min("trade_date")
    )["first"]
    first = min(day for day in (start, first_trade, today) if day is not None)
    first -= timedelta(days=LEAD_DAYS)
    provider = get_provider()
    fetched = {}
    for symbol in missing:
        closes = _ask(provider, symbol, first, today)
        existing = Security.objects.filter(symbol=symbol)
        usable = _visible_to(existing, household_id=household.pk).order_by("exchange").first()
        if usable is None and not existing.exists():
            usable, _ = security_get_or_create(symbol=symbol)
        if usable is not None:
            prices_upsert(
                closes=((usable, day, close) for day, close in closes), source=provider.name
            )
        fetched[symbol] = pd.Series(
            [float(close) for _, close in closes],
            index=pd.DatetimeIndex([pd.Timestamp(day) for day, _ in closes]),
        )
    return fetched


def _ask(provider, symbol: str, first: date, today: date) -> list:
    """Return the provider's (day, close) rows for symbol, or raise a 400 saying why not."""
    reason = ""
    try:
        answer = list(provider.fetch_closes(symbol, first, today))
        closes = closes_check(closes=answer, start=first, today=today, stored={})
    except UnusableAnswer as exc:
        closes, reason = [], str(exc)
    except ProviderError as exc:
        closes, reason = [], str(exc)
    except Exception as exc:  # a provider bug or the network: a message, not a 500
        logger.exception("benchmark closes of %s not fetched", symbol)
        closes, reason = [], type(exc).__name__
    if not closes:
        message = (
            f"no prices for {symbol}: none are stored and the {provider.name} price provider "
            "has none" + (f" ({reason})" if reason else "")
        )
        raise ApplicationError(message, errors={FIELD: [message]})
    return closes


@dataclass(frozen=True)
class ChosenBenchmark:
    """The benchmark a page or API call compares with, and the closes fetched for it."""

    resolved: ResolvedBenchmark | None
    fetched: dict[str, pd.Series] = field(default_factory=dict)
    explicit: bool = False  # asked for by the caller (not the household's default)
    error: str = ""  # why the household's default could not be used


def benchmark_choose(
    *, household: Household, spec: str | None, start: date | None = None
) -> ChosenBenchmark:
    """Return the benchmark named by ``spec``, or the household's default without one,
    with the closes of its components fetched where none are stored.

    A benchmark the caller named that cannot be used raises the 400 naming ``benchmark``;
    the household's default that cannot be used gives no benchmark and says why.
    """
    explicit = bool(spec and spec.strip())
    chosen = spec.strip() if explicit else default_benchmark_spec(household=household)
    if not chosen:
        return ChosenBenchmark(None)
    try:
        resolved, missing = benchmark_priced(
            benchmark=benchmark_resolve(household=household, spec=chosen)
        )
        fetched = benchmark_closes_fetch(
            household=household, benchmark=resolved, missing=missing, start=start
        )
    except ApplicationError as error:
        if explicit:
            raise
        return ChosenBenchmark(None, error=f"default benchmark {chosen}: {error.message}")
    return ChosenBenchmark(resolved, fetched, explicit)
