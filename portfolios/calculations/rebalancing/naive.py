"""The simple alternative a proposal is measured against. Pure: stdlib and ``Decimal``.

A naive proportional rebalance brings every targeted asset class back to target and takes
each over-weight class's sale as the same fraction of every lot of it that may be sold
(cash accounts aside, positions worth less than the minimum trade, lots whose loss the
wash-sale rule would disallow, and taxable lots of unknown basis, whose tax no one can
estimate), with no regard for tax. Like the proposal it trades whole shares (funds: 4
decimals), sells a class as near its target as they allow without going past it, and past
it only as far as its band needs, as the proposal does (``_proportional_shares``), and skips
a sale under the minimum trade; its estimated tax uses the same rates, rounded to the cent once.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from portfolios.calculations.rebalancing.lots import cents
from portfolios.calculations.rebalancing.types import ZERO, HouseholdState
from portfolios.calculations.rebalancing.wash import blocked_loss_lots

SHARE_STEP = Decimal("0.0001")


def naive_tax(state: HouseholdState) -> Decimal:
    """Return the estimated tax of a proportional rebalance to target (module docstring).

    For each class above target by E = value − target × total, with lots worth L in all,
    every position sells E / L of its shares (``_proportional_shares``), spread over its lots
    in proportion; tax = Σ (shares sold / shares held) × gain × rate over taxable lots, rounded
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
        shares = _proportional_shares(positions, fraction, excess, excess - goal.band * total)
        for key, members in positions.items():
            _, security, account = members[0]
            held = sum((lot.quantity for lot, _, _ in members), ZERO)
            sold = shares[key]
            if not account.taxable or sold <= 0 or sold * security.price < minimum:
                continue
            for lot, _, _ in members:
                gain = lot.quantity * security.price - lot.cost_basis
                tax += sold / held * gain * rates.on_gain(lot.term)
    # Rounded once, as a proposal's total is (its rows carry the rest of a cent to the next,
    # ``rows._Carry``): the same sales read the same in cents on both sides.
    return cents(tax)


def _proportional_shares(
    positions: dict[tuple[int, int], list], fraction: Decimal, excess: Decimal, need: Decimal
) -> dict[tuple[int, int], Decimal]:
    """Return the shares each position sells: ``fraction`` of what it holds, in whole shares
    (funds: 4 decimals), the class's sales as near ``excess`` (its target) as that allows
    without going past it, and past it only as far as its band needs (``need``), as the
    proposal sells a class down to its target at most and a share more for its band.

    Each position's share is rounded down (a fund's to the nearest 4 decimals, as a
    proposal's); then positions take one share more, largest remainder first, while the
    class stays at or above its target; funds fill what is left to the target in their 4
    decimals; and while the class is still above its band, shares more in the same order.
    Rounding each to the nearest instead can leave a class of three equal positions 1.5
    shares short (12.497 each: 36 shares where 37 reach the band) or sell two shares past the
    target (16.67 each: 34 where 33 reach it), and so compare a proposal with a sale that is
    no rebalance, or one that sells more losses than it may."""
    shares: dict[tuple[int, int], Decimal] = {}
    order: list[tuple[Decimal, tuple[int, int], Decimal, Decimal, Decimal]] = []
    room = excess
    for key, members in positions.items():
        security = members[0][1]
        held = sum((lot.quantity for lot, _, _ in members), ZERO)
        if fraction >= 1:
            shares[key] = held
            continue
        step = SHARE_STEP if security.fractional else Decimal(1)
        exact = held * fraction
        # Funds to the nearest 4 decimals, as a proposal's sale of a fund is (``rows``).
        rounding = ROUND_HALF_UP if security.fractional else ROUND_DOWN
        shares[key] = min(exact.quantize(step, rounding=rounding), held)
        room -= shares[key] * security.price
        order.append(((exact - shares[key]) / step, key, step, security.price, held))
    order.sort(key=lambda item: (-item[0], item[1]))
    for remainder, key, step, price, held in order:
        if remainder > 0 and shares[key] + step <= held and step * price <= room:
            shares[key] += step
            room -= step * price
    for _, key, step, price, held in order:
        if step < 1 and room > 0:
            more = min(
                (room / (step * price)).quantize(Decimal(1), ROUND_DOWN) * step, held - shares[key]
            )
            shares[key] += more
            room -= more * price
    while excess - room < need:
        grown = False
        for _, key, step, price, held in order:
            if excess - room >= need:
                break
            if shares[key] + step <= held:
                shares[key] += step
                room -= step * price
                grown = True
        if not grown:
            break
    return shares
