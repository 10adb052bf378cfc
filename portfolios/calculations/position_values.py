"""How a position is valued and how its lots share that value. Pure: stdlib ``Decimal``.

A position (one security in one account) is worth quantity × close rounded once to the
cent, half up. Its open lots, in their order (acquired, then lot key), share that value by
cumulative rounding: each lot gets the rounded value of the lots up to it less that of the
lots before it. So the lots add up to the position exactly, and each lot is within a cent
of its own quantity × close. Every page, API row, alert and e-mail values with these two
rules (``portfolios.selectors.as_of``); the stored daily series rounds each position the
same way (``portfolios.calculations.valuation.position_cents``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)


def position_value(quantity: Decimal, close: Decimal | None) -> Decimal | None:
    """Return a position's market value: quantity × close to the cent (half up)."""
    if close is None:
        return None
    return (quantity * close).quantize(CENT, rounding=ROUND_HALF_UP)


def lot_values(quantities: Iterable[Decimal], close: Decimal) -> list[Decimal]:
    """Return each lot's share of its position's value, the lots given in their order."""
    values = []
    held, worth = ZERO, ZERO
    for quantity in quantities:
        held += quantity
        running = position_value(held, close)
        values.append(running - worth)
        worth = running
    return values
