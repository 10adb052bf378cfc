"""Template filters of the ledger pages."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def weight_percent(value: Decimal | None) -> str:
    """Show a weight fraction as a percent with two places ("0.490292" → "49.03%")."""
    if value is None:
        return "—"
    return f"{value * 100:.2f}%"


@register.filter
def gain_class(value: Decimal | None) -> str:
    """Return the CSS class that colours a gain (``pos``) or a loss (``neg``)."""
    if value is None or value == 0:
        return ""
    return "pos" if value > 0 else "neg"
