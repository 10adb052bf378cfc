"""Which lots a sale takes, and what it costs in tax. Pure: stdlib and ``Decimal``.

The order is the issue's: losses first (the largest loss per dollar first), then
tax-advantaged lots (a sale there owes nothing), then long-term lots with the smallest gain
per dollar, short-term lots last. The optimiser prices lots with ``cost_per_dollar`` and the
rounding in ``rows.py`` takes shares in ``sale_order``: the same order, so the Decimal rows
are the lots the solver chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from portfolios.calculations.rebalancing.types import ZERO, LotState, Rates

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LotPiece:
    """Shares of one lot in a proposed sale."""

    lot: LotState
    quantity: Decimal
    proceeds: Decimal
    basis: Decimal
    gain: Decimal
    tax: Decimal


def gain_per_dollar(lot: LotState, price: Decimal) -> Decimal:
    """Return the gain (negative: loss) on each dollar of the lot sold at ``price``."""
    value = lot.quantity * price
    if value <= 0:
        return ZERO
    return (value - lot.cost_basis) / value


def cost_per_dollar(lot: LotState, price: Decimal, *, taxable: bool, rates: Rates) -> Decimal:
    """Return the estimated tax per dollar sold from the lot: 0 in a tax-advantaged account,
    the tax on the gain in a dollar in a taxable one (negative for a loss: the tax saved).

    A loss is worth its full saving: the optimiser sells a class only down to its target and
    never buys a class it sells, so no loss is sold merely to be bought back."""
    if not taxable:
        return ZERO
    return gain_per_dollar(lot, price) * rates.on_gain(lot.term)


def sale_order(
    lots: list[LotState], price: Decimal, *, taxable: bool, rates: Rates
) -> list[LotState]:
    """Return a position's lots in the order a sale takes them (see the module docstring);
    ties go to the oldest lot, then the lot reference."""
    return sorted(
        lots,
        key=lambda lot: (
            cost_per_dollar(lot, price, taxable=taxable, rates=rates),
            lot.acquired,
            lot.ref,
        ),
    )


def take_shares(
    lots: list[LotState], shares: Decimal, price: Decimal, *, taxable: bool, rates: Rates
) -> list[LotPiece]:
    """Return the pieces of ``lots`` (already in sale order) that make up ``shares``.

    A lot sold whole gives up its whole basis; a part gives up basis × part / quantity.
    Gains and taxes are exact here; rows round them to the cent (``rows._Carry``).
    """
    pieces: list[LotPiece] = []
    remaining = shares
    for lot in lots:
        if remaining <= 0:
            break
        quantity = min(lot.quantity, remaining)
        basis = (
            lot.cost_basis if quantity == lot.quantity else lot.cost_basis * quantity / lot.quantity
        )
        proceeds = quantity * price
        gain = proceeds - basis
        tax = gain * rates.on_gain(lot.term) if taxable else ZERO
        pieces.append(LotPiece(lot, quantity, proceeds, basis, gain, tax))
        remaining -= quantity
    return pieces


def lots_text(pieces: list[LotPiece]) -> str:
    """Return "ID:QTY;ID:QTY": the ``lots`` column a broker import reads (DESIGN §3).

    Pieces of one purchase (a lot split by a transfer or a wash-sale match) share the
    purchase's id, so their shares are named once, in the order first taken."""
    shares: dict[str, Decimal] = {}
    for piece in pieces:
        shares[piece.lot.ref] = shares.get(piece.lot.ref, ZERO) + piece.quantity
    return ";".join(f"{ref}:{plain(quantity)}" for ref, quantity in shares.items())


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> str:
    """Return a quantity without trailing zeros or exponent: 10, 2.5, 0.1234."""
    normalized = value.normalize()
    return "0" if normalized == 0 else format(normalized, "f")
