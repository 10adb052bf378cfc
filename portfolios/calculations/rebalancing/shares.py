"""Whole shares at least tax: a rebalance's taxable sales, after rounding, chosen again.

The program (``solver.py``) decides dollars; ``rows.py`` rounds each sale to whole shares on
its own (down where the next share owes tax) and ``proposal`` adds a share where that left a
class just outside its band. Position by position, that can overshoot the band by most of a
share: with VTI at 10 and ITOT at 11.44, 20 ITOT and 5 VTI (278.80) where 19 ITOT and 6 VTI
(277.36) reach the band too, for less tax. So, per class a rebalance sells, its taxable
sales are chosen again in whole shares (a small mixed-integer
program: shares per position, taken lot by lot in ``lots.sale_order``) on the program's own
terms: tax, less the small ``solver.TARGET`` credit per dollar brought to target (so a sale
that owes almost nothing still goes to target), and the fewest trades only among equals (tax
comes first in the program's order). The rows' rules hold: the class within its band and
not sold past its target, each account's and the household's cash, the minimum trade. The
result is checked again in Decimal and kept only when it is better on those terms.

Funds (``SecurityState.fractional``) take part in 4 decimals (their shares are continuous
in the program, then rounded up). Left as rounded: a class with more than
``MOST_POSITIONS`` such sales; tax-advantaged sales (they owe nothing); a sale of every share
offered with a fraction in it; and positions whose identity the proposal also buys (more of
a loss lot sold there would be a wash sale). Floats live only inside ``_solve``, as in
``solver.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from portfolios.calculations.rebalancing.lots import cost_per_dollar, sale_order, take_shares
from portfolios.calculations.rebalancing.rows import (
    SHARE_STEP,
    Draft,
    cash_holds,
    household_spending,
    spending,
)
from portfolios.calculations.rebalancing.solver import TARGET, Position
from portfolios.calculations.rebalancing.types import ZERO

TIME_LIMIT = 0.5  # seconds, a guard (a dozen positions take milliseconds): its best by then
GAP = 0.001  # dollars: stop within a tenth of a cent of the best (HiGHS's gap is relative)
# A class with more taxable positions keeps its rounding: there one share's overshoot is a
# small part of its sales, and the program would take longer than the whole proposal.
MOST_POSITIONS = 12


@dataclass(frozen=True)
class _Choice:
    """One sale the program may re-choose: its whole shares and its lots in sale order."""

    position: Position
    account_id: int
    price: Decimal
    most: Decimal  # shares offered: whole ones, or a fund's to 4 decimals
    lots: tuple[tuple[Decimal, Decimal], ...]  # (shares, tax per share) in sale order
    fund: bool  # shares in 4 decimals (``SecurityState.fractional``)


def least_tax_sales(draft: Draft, status) -> None:
    """Choose again, class by class, the whole-share taxable sales of ``draft`` (module
    docstring); ``status(draft, asset_class)`` is "ok", "over" or "under"."""
    state = draft.state
    for asset_class, goal in state.policy.targets.items():
        if status(draft, asset_class) != "ok":
            continue
        choices = _choices(draft, asset_class)
        if not choices or len(choices) > MOST_POSITIONS:
            continue
        credit = _target_credit(goal.target)
        before = {c.position: draft.sells.get(c.position, ZERO) for c in choices}
        cost_before = _cost(draft, before, credit)
        shares = _solve(draft, asset_class, choices, credit, cost_before)
        if shares is None or shares == before:
            continue
        _set(draft, shares, before)
        minimum = state.policy.min_trade
        kept = (
            _cost(draft, shares, credit) < cost_before
            and status(draft, asset_class) == "ok"
            and all(draft.amount(p, q) >= minimum for p, q in shares.items() if q > 0)
            and cash_holds(draft)
        )
        if not kept:
            _set(draft, before, before)


def _target_credit(target: Decimal) -> Decimal:
    """Return the program's weight on a dollar away from target (``solver.build_and_solve``)."""
    share = max(target, Decimal("0.01"))
    return min(Decimal(str(TARGET)), Decimal(str(TARGET)) / 5 / share)


def _set(draft: Draft, shares: dict[Position, Decimal], before: dict[Position, Decimal]) -> None:
    for position, quantity in shares.items():
        if quantity == before[position]:
            quantity = before[position]  # as it was, to the digit
        if quantity > 0:
            draft.sells[position] = quantity
        else:
            draft.sells.pop(position, None)


def _choices(draft: Draft, asset_class: str) -> list[_Choice]:
    state = draft.state
    accounts = {a.id: a for a in state.accounts}
    rates = state.policy.rates
    bought = {state.securities[p[1]].identity for p in draft.buys}
    found = []
    for position in sorted(draft.choice.sells):
        shares = draft.sells.get(position, ZERO)
        security = state.securities[position[1]]
        account = accounts[position[0]]
        if security.asset_class != asset_class or not account.taxable:
            continue
        step = SHARE_STEP if security.fractional else Decimal(1)
        if security.identity in bought or shares != shares.quantize(step, rounding=ROUND_DOWN):
            continue
        ordered = sale_order(
            list(draft.choice.sells[position]), security.price, taxable=True, rates=rates
        )
        lots = tuple(
            (
                lot.quantity,
                security.price * cost_per_dollar(lot, security.price, taxable=True, rates=rates),
            )
            for lot in ordered
        )
        most = draft.offered(position).quantize(step, rounding=ROUND_DOWN)
        found.append(_Choice(position, account.id, security.price, most, lots, security.fractional))
    return found


def _cost(draft: Draft, shares: dict[Position, Decimal], credit: Decimal) -> Decimal:
    """Return the exact estimated tax of these sales (the proposal rounds its total once)
    less ``credit`` per dollar sold."""
    state = draft.state
    rates = state.policy.rates
    total = ZERO
    for position, quantity in shares.items():
        if quantity <= 0:
            continue
        price = state.securities[position[1]].price
        ordered = sale_order(list(draft.choice.sells[position]), price, taxable=True, rates=rates)
        pieces = take_shares(ordered, quantity, price, taxable=True, rates=rates)
        total += sum((p.tax for p in pieces), ZERO) - credit * draft.amount(position, quantity)
    return total


def _solve(
    draft: Draft, asset_class: str, choices: list[_Choice], credit: Decimal, rounded: Decimal
) -> dict[Position, Decimal] | None:
    """Return whole shares per choice at the least cost (``_cost``; ``rounded`` is that of
    the rounded sales), or None (no solution in time)."""
    state = draft.state
    goal = state.policy.targets[asset_class]
    total = state.total  # a rebalance neither adds nor takes money out
    held = state.class_values().get(asset_class, ZERO)
    chosen = {c.position for c in choices}
    fixed = sum(
        (
            draft.amount(p, s)
            for p, s in draft.sells.items()
            if p not in chosen and state.securities[p[1]].asset_class == asset_class
        ),
        ZERO,
    )
    bought = sum(
        (
            draft.amount(p, s)
            for p, s in draft.buys.items()
            if state.securities[p[1]].asset_class == asset_class
        ),
        ZERO,
    )
    current = sum(
        (draft.amount(c.position, draft.sells.get(c.position, ZERO)) for c in choices), ZERO
    )
    # Within the band: held + bought − fixed − sold ≤ (target + band) × total; and sold
    # down to the target at most (or to what the rounding already sold, if past it).
    # (plus a cent: each sale's amount is rounded to the cent, a fund's perhaps down)
    need = held + bought - fixed - (goal.target + goal.band) * total + Decimal("0.01")
    cap = max(held + bought - fixed - goal.target * total, current)

    # Columns: per choice, shares (integer), sold or not (binary), then shares per lot.
    cost, lower, upper, integer = [], [], [], []
    rows: list[tuple[dict[int, float], float, float]] = []

    def column(low: float, high: float, price: float, kind: int) -> int:
        cost.append(price)
        lower.append(low)
        upper.append(high)
        integer.append(kind)
        return len(cost) - 1

    shares_of: dict[Position, int] = {}
    minimum = float(state.policy.min_trade)
    for choice in choices:
        shares = column(0, float(choice.most), 0.0, 0 if choice.fund else 1)
        sold = column(0, 1, 1e-6, 1)  # the fewest trades among equal costs
        shares_of[choice.position] = shares
        per_lot = {shares: -1.0}
        for quantity, tax in choice.lots:
            per_lot[column(0, float(quantity), float(tax - credit * choice.price), 0)] = 1.0
        rows.append((per_lot, 0.0, 0.0))
        rows.append(({shares: 1.0, sold: -float(choice.most)}, -np.inf, 0.0))
        rows.append(({shares: float(choice.price), sold: -minimum}, 0.0, np.inf))

    def proceeds(selected: list[_Choice]) -> dict[int, float]:
        return {shares_of[c.position]: float(c.price) for c in selected}

    rows.append((proceeds(choices), float(need), float(cap)))
    # Each account's cash, and the household's reserve, as the rounded sales left them.
    for account_id in sorted({c.account_id for c in choices}):
        mine = [c for c in choices if c.account_id == account_id]
        spend, funds = spending(draft, account_id)
        funds -= sum(
            (draft.amount(c.position, draft.sells.get(c.position, ZERO)) for c in mine), ZERO
        )
        if spend > funds:
            rows.append((proceeds(mine), float(spend - funds), np.inf))
    net, spare = household_spending(draft)
    net += current
    if net > spare:
        rows.append((proceeds(choices), float(net - spare), np.inf))

    matrix = np.zeros((len(rows), len(cost)))
    for index, (terms, _, _) in enumerate(rows):
        for col, coefficient in terms.items():
            matrix[index, col] = coefficient
    result = milp(
        c=np.array(cost),
        integrality=np.array(integer),
        bounds=Bounds(np.array(lower, dtype=float), np.array(upper, dtype=float)),
        constraints=[
            LinearConstraint(matrix, [r[1] for r in rows], [r[2] for r in rows]),
        ],
        options={
            "time_limit": TIME_LIMIT,
            "mip_rel_gap": GAP / max(abs(float(rounded)), 1.0),
            "disp": False,
        },
    )
    if result.x is None:
        return None
    found = {}
    for choice in choices:
        value = Decimal(repr(float(result.x[shares_of[choice.position]])))
        step = SHARE_STEP if choice.fund else Decimal(1)
        # A fund's shares up, so the class keeps to its band (at most 0.0001 share more).
        rounding = ROUND_CEILING if choice.fund else ROUND_HALF_UP
        found[choice.position] = min(value.quantize(step, rounding=rounding), choice.most)
    return found
