"""Template filters of the rebalancing sections: people's words for codes.

Figures and shared labels come from ``portfolios.formatting``; only the words of a
proposal (its actions and harvest terms) are this page's own.
"""

from decimal import Decimal

from django import template

from portfolios import formatting

register = template.Library()
ACTIONS = {"buy": "Buy", "sell": "Sell", "deposit": "Add", "withdraw": "Take out"}
TERMS = {"short": "Short-term", "long": "Long-term", "both": "Short- and long-term"}


@register.filter
def asset_class_label(code: str) -> str:
    """Return the asset class as people say it ("us_equity" → "US equity")."""
    return formatting.asset_class_label(code)


@register.filter
def action_label(code: str) -> str:
    """Return a proposal row's action as an instruction ("sell" → "Sell")."""
    return ACTIONS.get(code, code)


@register.filter
def band_status(code: str) -> str:
    """Return a class's status against its band in words ("over" → "Over target")."""
    return formatting.band_status_label(code)


@register.filter
def harvest_term(candidate) -> str:
    """Return whether a candidate's losses are short-term, long-term or both."""
    if candidate.short_term_loss and candidate.long_term_loss:
        return TERMS["both"]
    return TERMS["short"] if candidate.short_term_loss else TERMS["long"]


@register.filter
def money(value: Decimal | None, currency: str = "USD") -> str:
    """Return an amount with its currency and separators ("-1234.5" → "−$1,234.50")."""
    return formatting.money_text(value, currency or "USD")


@register.filter
def shares(value: Decimal | None) -> str:
    """Return a quantity without trailing zeros ("12.5000" → "12.5")."""
    return formatting.quantity_text(value)
