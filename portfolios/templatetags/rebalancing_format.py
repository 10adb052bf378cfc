"""Template filters of the rebalancing sections: people's words for codes."""

from decimal import Decimal

from django import template

from portfolios.models import Security

register = template.Library()
ACTIONS = {"buy": "Buy", "sell": "Sell", "deposit": "Add", "withdraw": "Take out"}
STATUSES = {"ok": "Inside its band", "over": "Above its band", "under": "Below its band"}
TERMS = {"short": "Short-term", "long": "Long-term", "both": "Short- and long-term"}


@register.filter
def asset_class_label(code: str) -> str:
    """Return the asset class as people say it ("us_equity" → "US equity")."""
    return dict(Security.AssetClass.choices).get(code, code.replace("_", " "))


@register.filter
def action_label(code: str) -> str:
    """Return a proposal row's action as an instruction ("sell" → "Sell")."""
    return ACTIONS.get(code, code)


@register.filter
def band_status(code: str) -> str:
    """Return a class's status after a proposal in words."""
    return STATUSES.get(code, code)


@register.filter
def harvest_term(candidate) -> str:
    """Return whether a candidate's losses are short-term, long-term or both."""
    if candidate.short_term_loss and candidate.long_term_loss:
        return TERMS["both"]
    return TERMS["short"] if candidate.short_term_loss else TERMS["long"]


@register.filter
def money(value: Decimal | None) -> str:
    """Return an amount with a dollar sign and separators ("-1234.5" → "−$1,234.50")."""
    if value is None:
        return "—"
    sign = "−" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


@register.filter
def shares(value: Decimal | None) -> str:
    """Return a quantity without trailing zeros ("12.5000" → "12.5")."""
    if value is None:
        return "—"
    normalized = value.normalize()
    return "0" if normalized == 0 else f"{normalized:,f}"
