"""Template filters of the income pages."""

from decimal import Decimal

from django import template

from income.charts import source_label
from portfolios import formatting

register = template.Library()


@register.filter
def percent(value: Decimal | None, places: int = 2) -> str:
    """Show a fraction as a percent ("0.0425" → "4.25%"); a dash without a value."""
    return formatting.percent_text(value, int(places))


@register.filter(name="source_label")
def source_label_filter(source: str) -> str:
    """Show an income source's name for people."""
    return source_label(source)


@register.filter
def get_item(mapping: dict, key):
    """Look a key up in a dict (templates cannot index with a variable)."""
    return mapping.get(key)
