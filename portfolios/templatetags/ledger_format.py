"""Template filters of the ledger pages: the shared formatting layer under their old names."""

from decimal import Decimal

from django import template

from portfolios import formatting

register = template.Library()


@register.filter
def weight_percent(value: Decimal | None) -> str:
    """Show a weight fraction as a percent with two places ("0.490292" → "49.03%")."""
    return formatting.percent_text(value, 2)


@register.filter
def gain_class(value: Decimal | None) -> str:
    """Return the CSS class that colours a gain (``pos``) or a loss (``neg``)."""
    return formatting.gain_class(value)
