"""Resolve what a caller means by a benchmark and read its index from stored closes.

A benchmark parameter is, in this order: the name of one of the household's stored
benchmarks; a blend `VTI:60,BND:40` (percentages, or fractions adding up to 1; without
weights the components weigh the same); or a single ticker. Without one, pages and the API
compare with the household's ``default_benchmark`` (``default_benchmark_spec``).

A component with no stored close is fetched through the price provider first
(``reporting.services.benchmarks.benchmark_closes_fetch``); its closes reach
``benchmark_index`` as ``fetched``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import pandas as pd
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from portfolios.api.exceptions import ApplicationError
from portfolios.models import Household, Price, Security, Transaction
from reporting.calculations.benchmarks import blend_benchmark_index
from reporting.models import Benchmark
from reporting.services.valuation_inputs import price_book

MAX_COMPONENTS = 10
FIELD = "benchmark"


@dataclass(frozen=True)
class ResolvedBenchmark:
    """Components (symbol -> weight, adding up to 1) and the rebalancing rule."""

    name: str
    weights: dict[str, Decimal]
    rebalance: str = Benchmark.Rebalance.MONTHLY
    household_id: int | None = None  # whose view of the stored securities it reads
    # symbol -> the stored security it reads, when already looked up (``benchmark_priced``)
    security_ids: Mapping[str, int] | None = None


# A ticker as providers spell them (BRK.B, ^GSPC, BTC-USD, EURUSD=X), within Security.symbol.
SYMBOL = re.compile(r"[A-Z0-9^][A-Z0-9.\-^=/]{0,31}")


def _error(message: str) -> ApplicationError:
    return ApplicationError(message, errors={FIELD: [message]})


def parse_blend(spec: str) -> dict[str, Decimal]:
    """Return symbol -> weight of `VTI:60,BND:40` (or `VTI:0.6,BND:0.4`, or `VTI,BND`)."""
    parts = [part.strip() for part in spec.split(",") if part.strip()]
    if not parts or len(parts) > MAX_COMPONENTS:
        raise _error(f"a benchmark has 1 to {MAX_COMPONENTS} components")
    raw: dict[str, Decimal | None] = {}
    for part in parts:
        symbol, _, weight = part.partition(":")
        symbol = symbol.strip().upper()
        if not symbol or symbol in raw:
            raise _error(f"bad or repeated component {part!r}")
        if not SYMBOL.fullmatch(symbol):
            raise _error(f"{symbol[:40]!r} is not a ticker: up to 32 letters, digits and . - ^ = /")
        try:
            raw[symbol] = Decimal(weight.strip()) if weight.strip() else None
        except InvalidOperation:
            raise _error(f"weight of {symbol} is not a number: {weight!r}") from None
        if raw[symbol] is not None and not raw[symbol].is_finite():
            raise _error(f"weight of {symbol} is not a number: {weight!r}")
    if all(weight is None for weight in raw.values()):
        share = Decimal(1) / len(raw)
        return dict.fromkeys(raw, share)
    if any(weight is None or weight <= 0 for weight in raw.values()):
        raise _error("give every component a weight above zero, e.g. VTI:60,BND:40")
    total = sum(raw.values())
    if total == 100:
        return {symbol: weight / 100 for symbol, weight in raw.items()}
    if total == 1:
        return dict(raw)
    raise _error(f"weights must add up to 100 (or 1), got {total}")


def benchmark_resolve(*, household: Household, spec: str) -> ResolvedBenchmark:
    """Return the benchmark named by spec (stored name, blend or ticker)."""
    spec = (spec or "").strip()
    if not spec:
        raise _error("name a benchmark: a ticker, a blend like VTI:60,BND:40, or a saved one")
    stored = Benchmark.objects.filter(household=household, name__iexact=spec).first()
    if stored is not None:
        weights = {
            str(item["symbol"]).upper(): Decimal(str(item["weight"])) for item in stored.components
        }
        return ResolvedBenchmark(stored.name, weights, stored.rebalance, household_id=household.pk)
    return ResolvedBenchmark(spec.upper(), parse_blend(spec), household_id=household.pk)


def default_benchmark_spec(*, household: Household) -> str | None:
    """Return what the household compares with unless told otherwise: its policy's
    ``default_benchmark``, else its default saved benchmark, else None."""
    if household.default_benchmark.strip():
        return household.default_benchmark.strip()
    stored = Benchmark.objects.filter(household=household).first()
    return stored.name if stored is not None else None


def benchmark_priced(*, benchmark: ResolvedBenchmark) -> tuple[ResolvedBenchmark, list[str]]:
    """Return the benchmark with the stored security of each component that has a close the
    household may use, and the components without one (in order). One query."""
    candidates = Security.objects.filter(symbol__in=list(benchmark.weights))
    if benchmark.household_id is not None:
        candidates = _visible_to(candidates, household_id=benchmark.household_id)
    priced: dict[str, int] = {}
    for security_id, symbol in (
        candidates.filter(Exists(Price.objects.filter(security=OuterRef("pk"))))
        .order_by("symbol", "exchange")
        .values_list("pk", "symbol")
    ):
        priced.setdefault(symbol, security_id)
    missing = [symbol for symbol in benchmark.weights if symbol not in priced]
    return replace(benchmark, security_ids=priced), missing


def benchmark_list(*, household: Household) -> list[Benchmark]:
    """Return the household's stored benchmarks, the default first."""
    return list(Benchmark.objects.filter(household=household))


def _visible_to(securities: QuerySet[Security], *, household_id: int) -> QuerySet[Security]:
    """Return the securities a household may use as a benchmark: its own (held now or
    before), the instance's public benchmark symbols, and market data nobody holds.

    A security only another household holds is left out, so asking for it answers exactly
    as for a symbol nobody knows: no household learns what another one holds.
    """
    public = [symbol.upper() for symbol in settings.PUBLIC_BENCHMARK_SYMBOLS]
    held_here = Transaction.objects.filter(
        security=OuterRef("pk"), account__household_id=household_id
    )
    held_anywhere = Transaction.objects.filter(security=OuterRef("pk"))
    return securities.filter(Q(symbol__in=public) | Exists(held_here) | ~Exists(held_anywhere))


def benchmark_index(
    *,
    benchmark: ResolvedBenchmark,
    start: date,
    end: date,
    fetched: Mapping[str, pd.Series] | None = None,
) -> pd.Series:
    """Return the benchmark's cumulative index on every day from start (1.0) to end.

    Closes come from stored prices, or for the components in ``fetched`` from what the
    price provider answered just now (no request reaches a provider here); a component
    without any close up to ``end`` is a 400 naming the benchmark.
    """
    fetched = fetched or {}
    securities: dict[str, int] = {}
    stored_symbols = [symbol for symbol in benchmark.weights if symbol not in fetched]
    if benchmark.security_ids is not None:
        securities = {
            symbol: benchmark.security_ids[symbol]
            for symbol in stored_symbols
            if symbol in benchmark.security_ids
        }
    elif stored_symbols:
        candidates = Security.objects.filter(symbol__in=stored_symbols)
        if benchmark.household_id is not None:
            candidates = _visible_to(candidates, household_id=benchmark.household_id)
        for security_id, symbol in candidates.order_by("symbol", "exchange").values_list(
            "pk", "symbol"
        ):
            securities.setdefault(symbol, security_id)
    unknown = sorted(set(stored_symbols) - set(securities))
    if unknown:
        raise _error(f"no prices stored for {', '.join(unknown)}")
    book = price_book(
        security_ids=list(securities.values()),
        first_day=(start - timedelta(days=7)).toordinal(),
        last_day=end.toordinal(),
    )
    prices = {}
    for symbol, series in fetched.items():
        if symbol in benchmark.weights:
            known = series[series.index <= pd.Timestamp(end)]
            if known.empty:
                raise _error(f"no prices for {symbol} up to {end}")
            prices[symbol] = known
    for symbol, security_id in securities.items():
        series = book.series(security_id)
        if series is None:
            raise _error(f"no prices stored for {symbol} up to {end}")
        prices[symbol] = series
    return blend_benchmark_index(
        prices, benchmark.weights, benchmark.rebalance, start=start, end=end
    )
