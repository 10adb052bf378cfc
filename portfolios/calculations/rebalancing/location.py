"""Asset location: where each kind of holding costs the least tax each year. Pure.

The preference the issue states: bonds and high-yield income in tax-deferred accounts,
growth in Roth, tax-efficient equity in taxable. Each is priced as an annual tax drag per
dollar held, so the optimiser can weigh where to buy and the hints can say what a move saves:

- taxable: the income's yield × its rate (ordinary for bonds, REITs and non-qualified
  distributions; qualified otherwise): tax paid every year;
- tax-deferred: growth × (ordinary − long-term rate): withdrawals turn what would have been
  long-term gains into ordinary income;
- tax-exempt (Roth): (the best growth − this growth) × the same spread: Roth room spent on a
  slow grower is room a fast grower does not get.

``GROWTH`` holds the long-run growth assumed per asset class, only to rank locations; the
hints say so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from portfolios.calculations.rebalancing.lots import cents, sale_order, take_shares
from portfolios.calculations.rebalancing.types import (
    ZERO,
    AccountState,
    HouseholdState,
    Rates,
    SecurityState,
    Treatment,
)

GROWTH = {
    "us_equity": Decimal("0.07"),
    "intl_equity": Decimal("0.07"),
    "real_estate": Decimal("0.05"),
    "crypto": Decimal("0.07"),
    "alternatives": Decimal("0.04"),
    "commodities": Decimal("0.03"),
    "bonds": Decimal("0.02"),
    "cash": Decimal(0),
}
BEST_GROWTH = max(GROWTH.values())
MIN_SAVING = Decimal(10)  # a hint worth less than $10 a year is noise
STEP = Decimal(100)  # hint amounts are whole hundreds


@dataclass(frozen=True)
class LocationHint:
    """Swap ``amount`` of ``symbol`` in ``from_account`` with ``swap_symbol`` in ``to_account``."""

    from_account: str
    symbol: str
    to_account: str
    swap_symbol: str
    amount: Decimal
    annual_tax_saved: Decimal
    # selling ``symbol`` in a taxable account realizes gains now; None: a lot sold has an
    # unknown basis, so the tax is not known
    tax_to_move: Decimal | None
    reason: str


def annual_drag(security: SecurityState, treatment: str, rates: Rates) -> Decimal:
    """Return the tax a dollar of the security costs each year in an account of ``treatment``."""
    spread = max(rates.ordinary - rates.long_term, ZERO)
    growth = GROWTH.get(security.asset_class, Decimal("0.04"))
    if treatment == Treatment.TAXABLE:
        rate = rates.ordinary if security.ordinary_income else rates.qualified
        return security.income_yield * rate
    if treatment == Treatment.TAX_DEFERRED:
        return growth * spread
    return (BEST_GROWTH - growth) * spread


def location_hints(state: HouseholdState) -> list[LocationHint]:
    """Return swaps that put holdings where they cost less tax, largest saving first.

    1. Pair every holding with every holding of another account of a different treatment.
    2. A swap of ``amount`` saves amount × (drag of both where they are − drag of both
       where they would be). Keep swaps saving at least ``MIN_SAVING`` a year.
    3. Greedily take the best saving; each holding's value is used up once.
    """
    rates = state.policy.rates
    accounts = {a.id: a for a in state.accounts if not a.is_cash_account}
    holdings = [
        (accounts[account_id], state.securities[security_id], value)
        for (account_id, security_id), value in sorted(state.positions.items())
        if account_id in accounts and value > 0
    ]
    # Each security's drag in each treatment, worked out once (not four times per pair).
    treatments = {account.treatment for account, _, _ in holdings}
    drag = {
        (security.id, treatment): annual_drag(security, treatment, rates)
        for _, security, _ in holdings
        for treatment in treatments
    }
    # Per holding, what the pairs below read: its treatment, its security's drag there and in
    # each treatment, and its value in whole STEPs (the most a swap of it can move: the
    # smaller of two holdings' whole STEPs is the whole STEPs of the smaller).
    rows = [
        (
            account,
            security,
            account.treatment,
            security.id,
            drag[(security.id, account.treatment)],
            {treatment: drag[(security.id, treatment)] for treatment in treatments},
            (value // STEP) * STEP,
        )
        for account, security, value in holdings
    ]
    pairs = []
    for i, (account_a, security_a, here_a, id_a, drag_a, drags_a, steps_a) in enumerate(rows):
        for account_b, security_b, here_b, id_b, drag_b, drags_b, steps_b in rows[i + 1 :]:
            if here_a == here_b or id_a == id_b:
                continue
            # A swap whose whole amount would save less than MIN_SAVING is never taken
            # (step 3 only uses up amounts): left out before sorting.
            most = min(steps_a, steps_b)
            if not most:
                continue
            now = drag_a + drag_b
            swapped = drags_a[here_b] + drags_b[here_a]
            if now <= swapped:
                continue
            if cents(most * (now - swapped)) < MIN_SAVING:
                continue
            pairs.append((now - swapped, account_a, security_a, account_b, security_b))
    pairs.sort(key=lambda p: (-p[0], p[1].name, p[2].symbol, p[3].name, p[4].symbol))
    left = {(a.id, s.id): value for a, s, value in holdings}
    lots_of: dict[tuple[int, int], list] = defaultdict(list)
    for lot in state.lots:
        lots_of[(lot.account_id, lot.security_id)].append(lot)
    hints = []
    for per_dollar, account_a, security_a, account_b, security_b in pairs:
        amount = min(left[(account_a.id, security_a.id)], left[(account_b.id, security_b.id)])
        amount = (amount // STEP) * STEP
        saving = cents(amount * per_dollar)
        if saving < MIN_SAVING:
            continue
        left[(account_a.id, security_a.id)] -= amount
        left[(account_b.id, security_b.id)] -= amount
        # Name the move from the side where the income-heavy holding sits.
        if _drag_in(security_a, account_a, rates) < _drag_in(security_b, account_b, rates):
            account_a, security_a, account_b, security_b = (
                account_b,
                security_b,
                account_a,
                security_a,
            )
        hints.append(
            LocationHint(
                from_account=account_a.name,
                symbol=security_a.symbol,
                to_account=account_b.name,
                swap_symbol=security_b.symbol,
                amount=amount,
                annual_tax_saved=saving,
                tax_to_move=_sum_known(
                    _tax_to_sell(state, lots_of, account_a, security_a, amount),
                    _tax_to_sell(state, lots_of, account_b, security_b, amount),
                ),
                reason=_reason(state, account_a, security_a, account_b, security_b),
            )
        )
    hints.sort(key=lambda h: (-h.annual_tax_saved, h.from_account, h.symbol))
    return hints


def _drag_in(security: SecurityState, account: AccountState, rates: Rates) -> Decimal:
    return annual_drag(security, account.treatment, rates)


def _sum_known(*taxes: Decimal | None) -> Decimal | None:
    if any(tax is None for tax in taxes):
        return None
    return sum((tax for tax in taxes if tax is not None), ZERO)


def _tax_to_sell(
    state: HouseholdState,
    lots_of: dict[tuple[int, int], list],
    account: AccountState,
    security: SecurityState,
    amount: Decimal,
) -> Decimal | None:
    """Return the tax on selling ``amount`` of the position (its lots in ``lots_of``, in
    the order of ``state.lots``), None when a lot it takes has an unknown basis."""
    if not account.taxable or security.price <= 0:
        return ZERO
    lots = lots_of.get((account.id, security.id), [])
    rates = state.policy.rates
    ordered = sale_order(lots, security.price, taxable=True, rates=rates)
    pieces = take_shares(
        ordered, amount / security.price, security.price, taxable=True, rates=rates
    )
    if any(not piece.lot.basis_known for piece in pieces):
        return None
    return cents(sum((piece.tax for piece in pieces), ZERO))


def _reason(
    state: HouseholdState,
    account_a: AccountState,
    security_a: SecurityState,
    account_b: AccountState,
    security_b: SecurityState,
) -> str:
    label = state.policy.label
    kinds = {
        Treatment.TAXABLE: "a taxable account",
        Treatment.TAX_DEFERRED: "a tax-deferred account",
        Treatment.TAX_EXEMPT: "a Roth (tax-free) account",
    }
    return (
        f"{security_a.symbol} ({label(security_a.asset_class)}) costs less tax in "
        f"{kinds[account_b.treatment]} and {security_b.symbol} ({label(security_b.asset_class)}) "
        f"in {kinds[account_a.treatment]}: sell each where it is and buy the other. "
        "Estimates: income at its trailing 12-month yield, growth assumed "
        "for ranking only."
    )
