"""Show ratios as percentages on the performance page ("—" where a figure does not exist)."""

from django import template

register = template.Library()
MISSING = "—"


@register.filter
def pct(value, places: int = 2) -> str:
    """Return a fraction as a percentage with a real minus sign: -0.0512 -> "−5.12%"."""
    if value is None:
        return MISSING
    text = f"{float(value) * 100:.{int(places)}f}%"
    return text.replace("-", "−")


@register.filter
def ratio(value, places: int = 2) -> str:
    """Return a plain ratio (Sharpe, beta) with a real minus sign."""
    if value is None:
        return MISSING
    return f"{float(value):.{int(places)}f}".replace("-", "−")


@register.filter
def sign_class(value) -> str:
    """Return "pos" or "neg" for colouring a figure."""
    if value is None:
        return ""
    return "neg" if float(value) < 0 else "pos"
