"""Return a portfolio's value at the close of every calendar day (DESIGN §7, Valuation).

Pure and vectorised: quantities and prices become dense (security x calendar day) matrices,
so thirty years of five hundred securities value in a fraction of a second.

Money is computed in float64 and rounded to 4 decimal places (the stored precision, see
``portfolios.fields.MONEY``) on output. float64 carries 15-16 significant digits, so values
below 10^11 keep every one of those places; the caller converts to ``Decimal`` at storage,
e.g. ``Decimal(str(value))`` or ``quantize_money(Decimal(repr(value)))``.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

Number = float | int | Decimal
SecurityId = Hashable


class DayValues(NamedTuple):
    """A history as arrays: day ordinals (``date.toordinal``) and float values, aligned."""

    days: np.ndarray
    values: np.ndarray


# Closes (or FX rates) of one security by date: pairs as read from the database, or arrays
# (``DayValues``) or a Series indexed by date (the fast paths for long histories). pandas is
# imported only by a caller that passes or asks for its objects (about half a second).
PriceHistory = "Sequence[tuple[date, Number]] | DayValues | pd.Series"

MONEY_DECIMAL_PLACES = 4
COLUMNS = ("market_value", "cash", "value", "inflow", "outflow")

# A position smaller than this is rounding residue of float quantities, not a holding.
_NO_QUANTITY = 1e-9
# The stored precision of quantities, closes and FX rates (``portfolios.fields``): a float
# rounded to these places is the stored Decimal again.
_QUANTITY_PLACES, _PRICE_PLACES = 10, 8
_CENT = Decimal("0.01")


class MissingPriceError(ValueError):
    """Raised when a security is held inside the period but has no price at all."""

    def __init__(self, security_ids: Sequence[SecurityId]) -> None:
        self.security_ids = tuple(security_ids)
        names = ", ".join(str(security_id) for security_id in self.security_ids)
        super().__init__(f"no price for held securities: {names}")


def _pandas():
    """Return the pandas module if something imported it (else no object can be pandas')."""
    return sys.modules.get("pandas")


def _day_offsets(dates: Sequence[date] | pd.Index, start: date) -> np.ndarray:
    """Return whole days from ``start`` to each date (negative before it)."""
    pd = _pandas()
    if pd is not None and isinstance(dates, pd.DatetimeIndex):
        days = dates.values.astype("datetime64[D]")
        return (days - np.datetime64(start, "D")).astype(np.int64)
    if pd is not None and isinstance(dates, pd.Index):
        dates = list(dates)
    ordinals = np.fromiter((day.toordinal() for day in dates), dtype=np.int64, count=len(dates))
    return ordinals - start.toordinal()


def _float_array(values: Sequence[Number] | np.ndarray) -> np.ndarray:
    """Return numbers as float64; ``Decimal`` objects convert one by one (about 0.25 us each,
    the cost that makes a ``pd.Series`` of floats the fast way to pass long price histories).
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return values.astype(np.float64)
    return np.fromiter((float(value) for value in values), dtype=np.float64, count=len(values))


def _history_arrays(history: PriceHistory, start: date) -> tuple[np.ndarray, np.ndarray]:
    """Return a price history as (day offsets, values), sorted by date, without gaps."""
    pd = _pandas()
    if isinstance(history, DayValues):
        offsets = np.asarray(history.days, dtype=np.int64) - start.toordinal()
        raw = history.values
    elif pd is not None and isinstance(history, pd.Series):
        offsets = _day_offsets(history.index, start)
        raw = history.to_numpy()
    else:
        offsets = _day_offsets([day for day, _ in history], start)
        raw = [value for _, value in history]
    values = _float_array(raw)
    known = ~np.isnan(values)
    offsets, values = offsets[known], values[known]
    order = np.argsort(offsets, kind="stable")
    return offsets[order], values[order]


def _carried_matrix(
    histories: Sequence[PriceHistory | None], start: date, day_count: int, default: float
) -> np.ndarray:
    """Return a (security x day) matrix of each history's last known value on every day.

    1. Each day takes the last value dated on or before it, wherever that value lies (before
       the window too): a missing price carries the last known one forward over weekends
       and holidays. On a date given twice the later entry wins.
    2. Days before the first value take the first value: "before a security's first price,
       its first price" (DESIGN §7).
    3. A row without any history is ``default`` throughout (NaN for prices, 1 for FX).
    """
    matrix = np.empty((len(histories), day_count), dtype=np.float64)
    days = np.arange(day_count)
    for row, history in enumerate(histories):
        offsets, values = (
            _history_arrays(history, start) if history is not None else (np.empty(0), np.empty(0))
        )
        if len(values) == 0:
            matrix[row] = default
            continue
        last_known = np.searchsorted(offsets, days, side="right") - 1
        matrix[row] = values[np.maximum(last_known, 0)]
    return matrix


def _dated_pairs(
    changes: Iterable[tuple[date, Number]] | Mapping[date, Number],
) -> Iterable[tuple[date, Number]]:
    return changes.items() if isinstance(changes, Mapping) else changes


def _flow_triples(
    flows: Iterable[tuple[date, Number, Number]] | Mapping[date, tuple[Number, Number]],
) -> list[tuple[date, Number, Number]]:
    if isinstance(flows, Mapping):
        return [(day, inflow, outflow) for day, (inflow, outflow) in flows.items()]
    return list(flows)


def _daily_sums(
    dated: Iterable[tuple[date, Number]], start: date, day_count: int
) -> tuple[float, np.ndarray]:
    """Return (the sum dated before ``start``, the per-day sums inside the window)."""
    pairs = list(dated)
    per_day = np.zeros(day_count, dtype=np.float64)
    if not pairs:
        return 0.0, per_day
    offsets = _day_offsets([day for day, _ in pairs], start)
    amounts = _float_array([amount for _, amount in pairs])
    inside = (offsets >= 0) & (offsets < day_count)
    np.add.at(per_day, offsets[inside], amounts[inside])
    return float(amounts[offsets < 0].sum()), per_day


def _quantity_matrix(
    quantity_changes: Sequence[tuple[date, SecurityId, Number]], start: date, day_count: int
) -> tuple[list[SecurityId], np.ndarray]:
    """Return the securities (first-seen order) and their (security x day) closing quantities."""
    securities: dict[SecurityId, int] = {}
    for _, security_id, _ in quantity_changes:
        securities.setdefault(security_id, len(securities))
    deltas = np.zeros((len(securities), day_count), dtype=np.float64)
    if quantity_changes:
        offsets = _day_offsets([day for day, _, _ in quantity_changes], start)
        rows = np.array([securities[sid] for _, sid, _ in quantity_changes], dtype=np.int64)
        amounts = _float_array([quantity for _, _, quantity in quantity_changes])
        # Changes before the window make up the opening position on day 0.
        columns = np.maximum(offsets, 0)
        in_range = offsets < day_count
        np.add.at(deltas, (rows[in_range], columns[in_range]), amounts[in_range])
    return list(securities), np.cumsum(deltas, axis=1)


def _exact(value: float, places: int) -> Decimal:
    """Return the stored Decimal a float stands for (rounded to the stored places)."""
    return Decimal(repr(round(float(value), places)))


def position_cents(
    quantities: np.ndarray, prices: np.ndarray, rates: np.ndarray | None = None
) -> np.ndarray:
    """Return quantity × close (× FX rate) of every (security, day), each rounded to the
    cent half away from zero: the value of one position as the holdings page shows it
    (``portfolios.selectors.as_of.position_value``), so their sum is the page's sum.

    1. Computed in float64 and rounded; only products within a hair of half a cent (float
       error, or a true tie such as 3 × 10.125) need more care.
    2. Those whose quantity has at most 6 decimals and close at most 4 (nearly all), with
       no FX rate, are decided exactly in integers: the product in units of 1e-10 has its
       part below the cent, ``(Q mod 1e8) × (P mod 1e8) mod 1e8``, at or above 5e7 (half a
       cent) when it rounds up. Vectorised: a long history of 4-place closes has a true tie
       on about 1% of its days.
    3. The rest are recomputed in Decimal from the stored precision of their inputs.
    """
    product = np.multiply(quantities, prices)
    if rates is not None:
        product *= rates
    cents = np.abs(product)
    cents *= 100.0
    rounded = cents + 0.5
    np.floor(rounded, out=rounded)
    # |rounded - cents| is 0.5 at a tie: flag what is within float error of one (a scalar
    # tolerance from the largest value: a few more candidates, each decided exactly).
    gap = rounded - cents
    np.abs(gap, out=gap)
    gap -= 0.5
    np.abs(gap, out=gap)
    near_tie = gap < 1e-9 + float(cents.max(initial=0.0)) * 1e-12
    del gap
    if near_tie.any():
        rows, columns = np.nonzero(near_tie)
        scaled_q = np.abs(quantities[rows, columns]) * 1e6
        scaled_p = np.abs(prices[rows, columns]) * 1e4
        whole_q, whole_p = np.rint(scaled_q), np.rint(scaled_p)
        exact = (np.abs(scaled_q - whole_q) <= np.maximum(1e-6, scaled_q * 1e-14)) & (
            np.abs(scaled_p - whole_p) <= np.maximum(1e-6, scaled_p * 1e-14)
        )
        if rates is not None:
            exact &= rates[rows, columns] == 1.0
        below_cent = (
            np.fmod(whole_q, 1e8).astype(np.int64) * np.fmod(whole_p, 1e8).astype(np.int64)
        ) % 100_000_000
        decided = np.floor(cents[rows, columns]) + (below_cent >= 50_000_000)
        rounded[rows[exact], columns[exact]] = decided[exact]
        for row, column in zip(rows[~exact], columns[~exact], strict=True):
            value = _exact(quantities[row, column], _QUANTITY_PLACES) * _exact(
                prices[row, column], _PRICE_PLACES
            )
            if rates is not None:
                value *= _exact(rates[row, column], _PRICE_PLACES)
            rounded[row, column] = float(abs(value).quantize(_CENT, rounding=ROUND_HALF_UP) * 100)
    np.copysign(rounded, product, out=rounded)
    rounded /= 100.0
    return rounded


def daily_valuation_columns(
    *,
    start: date,
    end: date,
    quantity_changes: Sequence[tuple[date, SecurityId, Number]] = (),
    cash_changes: Iterable[tuple[date, Number]] | Mapping[date, Number] = (),
    prices: Mapping[SecurityId, PriceHistory] | None = None,
    flows: Iterable[tuple[date, Number, Number]] | Mapping[date, tuple[Number, Number]] = (),
    fx: Mapping[SecurityId, PriceHistory] | None = None,
    round_positions: bool = False,
) -> dict[str, np.ndarray]:
    """Return the value at the close of every calendar day from ``start`` to ``end``.

    Inputs (all dates are days; amounts ``Decimal`` or numbers):

    - ``quantity_changes``: (date, security, signed quantity change) effective at that day's
      close; buys, sells, transfers in kind, and splits as the extra or removed shares
      (split adjustment is the caller's). Changes before ``start`` form the opening position.
    - ``cash_changes``: (date, signed cash change), in the base currency; several per day add
      up. Changes before ``start`` form the opening cash.
    - ``prices``: each held security's closes by date, in its own currency.
    - ``flows``: (date, inflow, outflow) external flows as positive magnitudes; only days in
      the window are reported.
    - ``fx``: optional per-security multiplier by date from its currency to the base
      currency, carried like prices; a security without one uses 1.
    - ``round_positions``: value each (security, day) to the cent first (``position_cents``),
      as the holdings page values a position, instead of summing unrounded products.

    Steps (DESIGN §7):

    1. Quantities: each change lands on its day in a (security x day) matrix; a cumulative
       sum along the days gives each day's closing position.
    2. Prices: a (security x day) matrix where a missing price carries the last known one
       forward and days before a security's first price use its first price.
    3. market_value = sum over securities of quantity x price x fx; value = market_value +
       cash. A security held in the window without any price raises ``MissingPriceError``.

    Returns the float64 columns market_value, cash, value, inflow, outflow (``COLUMNS``) as
    arrays, one value per calendar day, rounded to 4 places. In TWR terms the first day is
    the base: its flows are already in its value. No pandas: a recompute imports none.
    """
    if end < start:
        raise ValueError(f"the valuation must end on or after its start (got {start} to {end})")
    day_count = (end - start).days + 1
    prices = prices or {}

    securities, quantities = _quantity_matrix(list(quantity_changes), start, day_count)
    # Only securities held on some day of the window need prices.
    held = (np.abs(quantities) > _NO_QUANTITY).any(axis=1)
    held_ids = [security_id for row, security_id in enumerate(securities) if held[row]]
    held_quantities = quantities[held]
    price_matrix = _carried_matrix(
        [prices.get(security_id) for security_id in held_ids], start, day_count, np.nan
    )
    unpriced = [held_ids[row] for row in np.flatnonzero(np.isnan(price_matrix[:, 0]))]
    if unpriced:
        raise MissingPriceError(unpriced)
    rates = None
    if fx:
        rates = _carried_matrix(
            [fx.get(security_id) for security_id in held_ids], start, day_count, 1.0
        )
    if round_positions:
        market_value = position_cents(held_quantities, price_matrix, rates).sum(axis=0)
    else:
        if rates is not None:
            price_matrix *= rates
        market_value = np.einsum("ij,ij->j", held_quantities, price_matrix)

    opening_cash, cash_per_day = _daily_sums(_dated_pairs(cash_changes), start, day_count)
    cash = opening_cash + np.cumsum(cash_per_day)

    triples = _flow_triples(flows)
    _, inflow = _daily_sums(((day, inflow) for day, inflow, _ in triples), start, day_count)
    _, outflow = _daily_sums(((day, outflow) for day, _, outflow in triples), start, day_count)

    # np.round is what DataFrame.round applies to float columns.
    return {
        "market_value": np.round(market_value, MONEY_DECIMAL_PLACES),
        "cash": np.round(cash, MONEY_DECIMAL_PLACES),
        "value": np.round(market_value + cash, MONEY_DECIMAL_PLACES),
        "inflow": np.round(inflow, MONEY_DECIMAL_PLACES),
        "outflow": np.round(outflow, MONEY_DECIMAL_PLACES),
    }
