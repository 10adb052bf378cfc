"""Build each scope's daily arrays from the replayed ledger, closes and FX rates.

The day axis runs from ``first`` to ``last`` (ordinals). Days before the recompute start
``begin`` come from the stored series unchanged; days from ``begin`` on are computed here.
A full rebuild has ``begin == first`` and nothing stored.

Every money column is summed in int64 ten-thousandths: each event is rounded once, then
days add up exactly, so a rebuild from a checkpoint stores the same numbers as one from the
first transaction (cumulative columns continue from the stored day before ``begin``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from portfolios.calculations.valuation import daily_valuation_columns
from reporting.calculations.daily_series import MONEY_SCALE, DailySeries, to_money
from reporting.calculations.replay import NO_QUANTITY, AccountReplay, ReplayState, TransferLeg
from reporting.services.valuation_inputs import FxBook, PriceBook, SecurityInfo

CUMULATIVE = ("cost", "income", "fees", "taxes", "realized")


@dataclass(frozen=True)
class ScopeDef:
    """A scope to value: the household, one account, or one sleeve's accounts."""

    scope: str
    key: str
    label: str
    accounts: frozenset[int]


class AccountValuer:
    """Values accounts on the axis ``first``..``last`` from day ``begin`` on."""

    def __init__(
        self,
        book: PriceBook,
        infos: Mapping[int, SecurityInfo],
        fx: FxBook,
        *,
        first: int,
        last: int,
        begin: int,
    ) -> None:
        self.book, self.infos, self.fx = book, infos, fx
        self.first, self.last, self.begin = first, last, begin
        self.offset = begin - first
        self.count = last - first + 1
        self.length = last - begin + 1  # days computed here
        self._prices: dict[int, object] = {}
        self._fx: dict[int, object] = {}
        self._dates: dict[int, date] = {}

    def _date(self, ordinal: int) -> date:
        found = self._dates.get(ordinal)
        if found is None:
            found = self._dates[ordinal] = date.fromordinal(ordinal)
        return found

    def daily_units(self, events: Iterable[tuple[int, float]]) -> np.ndarray:
        """Return per-day sums from ``begin`` of dated amounts, each rounded to the unit."""
        sums = np.zeros(self.length, dtype=np.int64)
        pairs = [(day, amount) for day, amount in events if day >= self.begin]
        if pairs:
            days = np.fromiter((d for d, _ in pairs), dtype=np.int64, count=len(pairs))
            amounts = np.fromiter((a for _, a in pairs), dtype=np.float64, count=len(pairs))
            np.add.at(sums, days - self.begin, to_money(amounts))
        return sums

    def market_value(
        self, account_id: int, replay: AccountReplay, state: ReplayState | None
    ) -> np.ndarray:
        """Return the account's positions at each close from ``begin`` (ten-thousandths)."""
        start = self._date(self.begin)
        changes = []
        if state is not None:
            changes = [
                (start, security_id, quantity)
                for (account, security_id), quantity in state.positions.items()
                if account == account_id and abs(quantity) > NO_QUANTITY
            ]
        changes += [
            (self._date(day), security_id, delta)
            for day, security_id, delta in replay.quantity_changes
        ]
        if not changes:
            return np.zeros(self.length, dtype=np.int64)
        held = {security_id for _, security_id, _ in changes}
        columns = daily_valuation_columns(
            start=start,
            end=self._date(self.last),
            quantity_changes=changes,
            prices={sid: self._price_series(sid) for sid in held},
            fx={sid: series for sid in held if (series := self._fx_series(sid)) is not None},
            round_positions=True,  # each position to the cent, as the holdings page
        )
        return to_money(columns["market_value"])

    def _price_series(self, security_id: int):
        if security_id not in self._prices:
            self._prices[security_id] = self.book.day_values(security_id)
        return self._prices[security_id]

    def _fx_series(self, security_id: int):
        if security_id not in self._fx:
            self._fx[security_id] = self.fx.day_values(self.infos[security_id].currency)
        return self._fx[security_id]

    def cash_value(self, replay: AccountReplay, opening_units: int, currency: str) -> np.ndarray:
        """Return the account's cash at each close from ``begin``, in the household's currency."""
        balance = opening_units + np.cumsum(self.daily_units(replay.cash))
        return to_money(balance / MONEY_SCALE * self.fx.daily(currency, self.begin, self.length))

    def leg_value(self, leg: TransferLeg) -> float:
        """Return a transfer leg's value: its cash, or its shares at that day's close."""
        if leg.security_id is None:
            return leg.cash
        close = self.book.at(leg.security_id, leg.day) or 0.0
        rate = self.fx.rate(self.infos[leg.security_id].currency, leg.day)
        return leg.quantity * close * rate


def scope_series(
    scope: ScopeDef,
    replays: Mapping[int, AccountReplay],
    market: Mapping[int, np.ndarray],
    cash: Mapping[int, np.ndarray],
    valuer: AccountValuer,
    stored: DailySeries | None,
) -> DailySeries:
    """Return the scope's series: its accounts summed and the flows at its edge.

    1. value and cash: the accounts' sums.
    2. Flows: deposits and withdrawals of its accounts, and transfer legs whose other side
       is outside the scope (in kind at that day's close, DESIGN §7); ``carried`` adds the
       unrealized gain such a transfer brings in (value less moved basis).
    3. Cumulative columns continue from the stored day before ``begin``.
    The TWR index is derived from value and flows when read (``DailySeries.twr_index``).
    """
    offset, length = valuer.offset, valuer.length
    members = sorted(scope.accounts)
    value = np.zeros(length, dtype=np.int64)
    cash_total = np.zeros(length, dtype=np.int64)
    for account_id in members:
        value += market[account_id] + cash[account_id]
        cash_total += cash[account_id]
    inflows, outflows, carried_events = [], [], []
    events = {name: [] for name in CUMULATIVE}
    for account_id in members:
        replay = replays[account_id]
        for name, found in events.items():
            found.extend(getattr(replay, name))
        for day, amount_in, amount_out in replay.deposits:
            inflows.append((day, amount_in))
            outflows.append((day, amount_out))
        for leg in replay.legs:
            if leg.counterparty_id in scope.accounts or leg.day < valuer.begin:
                continue
            worth = valuer.leg_value(leg)
            (inflows if leg.direction > 0 else outflows).append((leg.day, worth))
            if leg.security_id is not None:
                carried_events.append((leg.day, leg.direction * (worth - leg.basis)))
    events["carried"] = carried_events
    money = {
        "value": value,
        "cash": cash_total,
        "inflow": valuer.daily_units(inflows),
        "outflow": valuer.daily_units(outflows),
    }
    for name, found in events.items():
        before = int(stored.money[name][offset - 1]) if stored is not None and offset else 0
        money[name] = before + np.cumsum(valuer.daily_units(found))
    if stored is not None and offset:
        for name, column in money.items():
            money[name] = np.concatenate((stored.money[name][:offset], column))
    return DailySeries(start=date.fromordinal(valuer.first), money=money)
