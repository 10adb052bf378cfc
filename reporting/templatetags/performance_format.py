"""Show ratios as percentages on the performance page ("—" where a figure does not exist).

Percentages come from the shared formatting layer (``portfolios.formatting``)."""

from django import template

from portfolios import formatting

register = template.Library()
MISSING = formatting.MISSING


@register.filter
def pct(value, places: int = 2) -> str:
    """Return a fraction as a percentage with a real minus sign: -0.0512 -> "−5.12%"."""
    return formatting.percent_text(value, int(places))


@register.filter
def ratio(value, places: int = 2) -> str:
    """Return a plain ratio (Sharpe, beta) with a real minus sign."""
    if value is None:
        return MISSING
    return f"{float(value):.{int(places)}f}".replace("-", formatting.MINUS)


@register.filter
def sign_class(value) -> str:
    """Return "pos" or "neg" for colouring a figure ("" for zero or none)."""
    return formatting.gain_class(value)
