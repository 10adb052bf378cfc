"""The simple alternative a proposal is measured against. Pure: stdlib and ``Decimal``.

A naive proportional rebalance brings every targeted asset class back to target and takes
each over-weight class's sale as the same fraction of every lot of it that may be sold
(cash accounts aside, positions worth less than the minimum trade, lots whose loss the
wash-sale rule would disallow, and taxable lots of unknown basis, whose tax no one can
estimate), with no regard for tax. Like the proposal it trades whole
shares (funds: 4 decimals), each position's share rounded to the nearest, and skips a sale under the
minimum trade; its estimated tax uses the same rates, rounded to the cent once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from portfolios.calculations.rebalancing.lots import cents
from portfolios.calculations.rebalancing.types import ZERO, HouseholdState
from portfolios.calculations.rebalancing.wash import blocked_loss_lots

SHARE_STEP = Decimal("0.0001")


def naive_tax(state: HouseholdState) -> Decimal:
    """Return the estimated tax of a proportional rebalance to target (module docstring).

    For each class above target by E = value − target × total, with lots worth L in all,
    every position sells E / L of its shares, rounded to the nearest, spread over its lots in
    proportion; tax = Σ (shares sold / shares held) × gain × rate over taxable lots, rounded
    to the cent once (as a proposal's total is).
    """
    total = state.total
    values = state.class_values()
    accounts = {a.id: a for a in state.accounts}
    blocked = blocked_loss_lots(state)
    rates = state.policy.rates
    minimum = state.policy.min_trade
    by_class: dict[str, list] = {}
    small = {
        position for position, value in state.positions.items() if value < state.policy.min_trade
    }
    for lot in state.lots:
        security = state.securities.get(lot.security_id)
        account = accounts.get(lot.account_id)
        if security is None or account is None or account.is_cash_account:
            continue
        if lot.uid in blocked or (lot.account_id, lot.security_id) in small:
            continue
        if account.taxable and not lot.basis_known:
            continue
        by_class.setdefault(security.asset_class, []).append((lot, security, account))
    tax = ZERO
    for asset_class, goal in state.policy.targets.items():
        excess = values.get(asset_class, ZERO) - goal.target * total
        lots = by_class.get(asset_class, [])
        worth = sum((lot.quantity * security.price for lot, security, _ in lots), ZERO)
        if excess <= 0 or worth <= 0:
            continue
        fraction = min(excess / worth, Decimal(1))
        positions: dict[tuple[int, int], list] = {}
        for lot, security, account in lots:
            positions.setdefault((account.id, security.id), []).append((lot, security, account))
        for members in positions.values():
            _, security, account = members[0]
            held = sum((lot.quantity for lot, _, _ in members), ZERO)
            step = SHARE_STEP if security.fractional else Decimal(1)
            sold = (held * fraction).quantize(step, rounding=ROUND_HALF_UP)
            if not account.taxable or sold <= 0 or sold * security.price < minimum:
                continue
            for lot, _, _ in members:
                gain = lot.quantity * security.price - lot.cost_basis
                tax += sold / held * gain * rates.on_gain(lot.term)
    # Rounded once, as a proposal's total is (its rows carry the rest of a cent to the next,
    # ``rows._Carry``): the same sales read the same in cents on both sides.
    return cents(tax)
