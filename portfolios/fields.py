"""Project-wide precision for money, quantities, prices and rates (DESIGN §2)."""

from decimal import ROUND_HALF_UP, Decimal

MONEY = {"max_digits": 20, "decimal_places": 4}
QUANTITY = {"max_digits": 28, "decimal_places": 10}
PRICE = {"max_digits": 24, "decimal_places": 8}
RATE = {"max_digits": 12, "decimal_places": 8}
PERCENT = {"max_digits": 9, "decimal_places": 4}

CENT = Decimal("0.01")
MONEY_STEP = Decimal("0.0001")
QUANTITY_STEP = Decimal("0.0000000001")


def quantize_money(value: Decimal) -> Decimal:
    """Round a money amount to the stored precision (4 places)."""
    return value.quantize(MONEY_STEP, rounding=ROUND_HALF_UP)


def quantize_cents(value: Decimal) -> Decimal:
    """Round a money amount to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def quantize_quantity(value: Decimal) -> Decimal:
    """Round a quantity to the stored precision (10 places)."""
    return value.quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP)
