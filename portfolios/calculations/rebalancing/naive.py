"""The simple alternative a proposal is measured against. Pure: stdlib and ``Decimal``.

A naive proportional rebalance brings every targeted asset class back to target and takes
each over-weight class's sale as the same fraction of every lot of it that may be sold
(cash accounts aside, and lots whose loss the wash-sale rule would disallow), with no regard
for tax, in fractional shares. Its estimated tax uses the same rates.
"""

from __future__ import annotations

from decimal import Decimal

from portfolios.calculations.rebalancing.lots import cents
from portfolios.calculations.rebalancing.types import ZERO, HouseholdState
from portfolios.calculations.rebalancing.wash import blocked_loss_lots


def naive_tax(state: HouseholdState) -> Decimal:
    """Return the estimated tax of a proportional rebalance to target (module docstring).

    For each class above target by E = value − target × total, with lots worth L in all:
    every lot sells E / L of itself; tax = Σ fraction × gain × rate over taxable lots.
    """
    total = state.total
    values = state.class_values()
    accounts = {a.id: a for a in state.accounts}
    blocked = blocked_loss_lots(state)
    rates = state.policy.rates
    by_class: dict[str, list] = {}
    for lot in state.lots:
        security = state.securities.get(lot.security_id)
        account = accounts.get(lot.account_id)
        if security is None or account is None or account.is_cash_account:
            continue
        if lot.uid in blocked:
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
        for lot, security, account in lots:
            if not account.taxable:
                continue
            gain = lot.quantity * security.price - lot.cost_basis
            tax += fraction * gain * rates.on_gain(lot.term)
    return cents(tax)
