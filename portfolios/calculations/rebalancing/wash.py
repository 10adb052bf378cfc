"""The wash-sale rule as hard limits on a proposal. Pure: stdlib and ``Decimal``.

IRS Publication 550 "Wash Sales" (DESIGN §2): a loss is disallowed when substantially
identical shares (the same security or its identity group) are bought within 30 days before
or after the sale, in any account of the household. So a proposal made today:

1. sells no taxable lot at a loss when identical shares were bought in the last 30 days
   (other than the lot's own purchase) or a dividend reinvestment of them is due in the next
   30 days;
2. buys nothing identical to shares sold at a loss in a taxable account in the last 30 days;
3. never buys what it sells at a loss (``solver.py`` couples the two with one binary per
   identity).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from portfolios.calculations.rebalancing.types import HouseholdState, LotState, WashEvent


def is_taxable_loss(lot: LotState, state: HouseholdState, taxable: set[int]) -> bool:
    """Return True when selling the lot today would realize a loss in a taxable account
    (never for a lot of unknown basis: its gain is not known)."""
    price = state.securities[lot.security_id].price
    return lot.account_id in taxable and lot.basis_known and lot.quantity * price < lot.cost_basis


def blocked_loss_lots(state: HouseholdState) -> dict[str, list[str]]:
    """Return the taxable loss lots a sale today would make wash sales, by lot reference,
    with the purchases and reinvestments that block each."""
    taxable = {a.id for a in state.accounts if a.taxable}
    events: dict[str, list[WashEvent]] = defaultdict(list)
    for event in (*state.purchases, *state.reinvestments):
        events[event.identity].append(event)
    blocked: dict[str, list[str]] = {}
    for lot in state.lots:
        if lot.security_id not in state.securities or not is_taxable_loss(lot, state, taxable):
            continue
        identity = state.securities[lot.security_id].identity
        conflicts = [
            event.label
            for event in events.get(identity, ())
            if not event.transaction_id or event.transaction_id != lot.opening_transaction_id
        ]
        if conflicts:
            blocked[lot.uid] = conflicts
    return blocked


def blocked_buys(state: HouseholdState) -> dict[str, list[str]]:
    """Return the identities no proposal may buy today (a taxable loss sale of the last 30
    days would become a wash sale), with the sales that block each."""
    blocked: dict[str, list[str]] = defaultdict(list)
    for sale in state.loss_sales:
        blocked[sale.identity].append(sale.label)
    return dict(blocked)


def loss_value(lots: list[LotState], price: Decimal) -> Decimal:
    """Return the market value of ``lots`` at ``price``."""
    return sum((lot.quantity * price for lot in lots), Decimal(0))
