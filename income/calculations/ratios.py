"""Ratios between money amounts, with no answer when the base is zero."""

from decimal import Decimal


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """Return numerator / denominator, or None when the denominator is zero or negative.

    A ratio against nothing (no projection, no cost basis) says nothing, so callers show
    a blank rather than infinity or an error.
    """
    return numerator / denominator if denominator > 0 else None
