"""Template filters of every page and e-mail: ``{% load hearth_format %}``.

{{ amount|money:currency }} "$1,500.00" · {{ change|signed_money }} "+$120.00"
{{ fraction|pct }} "6.25%" · {{ fraction|signed_pct }} · {{ drift|pp }} "+2.5 pp" (fractions)
{{ band|points }} "5.0 pp" (a width, unsigned)
{{ qty|shares }} · {{ code|asset_class_label }} · {{ code|kind_label }} · {{ code|txn_label }}
{{ code|account_type_label }} · {{ name|sleeve_label }} · {{ status|band_status }}
{{ status|band_class }} · {{ term|term_label }} · {{ user|person }} · {{ value|gain_class }}
{% security_name symbol name %}
{% cash_movement amount type currency %} "+$500.00" for a deposit, "−$1,200.00" for a buy
"""

from django import template

from portfolios import formatting

register = template.Library()


@register.filter
def money(amount, currency="USD") -> str:
    return formatting.money_text(amount, currency or "USD")


@register.filter
def signed_money(amount, currency="USD") -> str:
    return formatting.signed_money_text(amount, currency or "USD")


@register.filter
def pct(fraction, places=2) -> str:
    return formatting.percent_text(fraction, int(places))


@register.filter
def signed_pct(fraction, places=2) -> str:
    return formatting.percent_text(fraction, int(places), signed=True)


@register.filter
def pp(fraction, places=1) -> str:
    return formatting.points_text(fraction, int(places))


@register.filter
def points(fraction, places=1) -> str:
    """A width in percentage points, unsigned: a band of 0.05 → "5.0 pp"."""
    return formatting.points_text(fraction, int(places), signed=False)


@register.filter
def shares(quantity) -> str:
    return formatting.quantity_text(quantity)


register.filter("asset_class_label", formatting.asset_class_label)
register.filter("kind_label", formatting.kind_label)
register.filter("txn_label", formatting.transaction_type_label)
register.filter("account_type_label", formatting.account_type_label)
register.filter("sleeve_label", formatting.sleeve_label)
register.filter("band_status", formatting.band_status_label)
register.filter("band_class", formatting.band_status_class)
register.filter("term_label", formatting.term_label)
register.filter("person", formatting.person_name)
register.filter("gain_class", formatting.gain_class)


@register.filter
def lookup(mapping, key):
    """{{ names|lookup:event.username }}: a dict's value by a variable key (None if absent)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def security_name(symbol, name="") -> str:
    return formatting.security_text(symbol, name)


@register.simple_tag
def cash_movement(amount, transaction_type, currency="USD") -> str:
    return formatting.cash_movement_text(amount, transaction_type, currency or "USD")
