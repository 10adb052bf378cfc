"""Filters and tags of the alert pages and e-mails: money with currency, percents, the badge.

The formatting is the project's one layer, ``portfolios.formatting``; percents here default
to one decimal place ("6.3%"), as in the alert messages.
"""

from django import template

from alerts.selectors.episodes import open_alert_count
from portfolios import formatting

register = template.Library()


@register.filter
def money(amount, currency: str = "USD") -> str:
    """{{ amount|money:report.currency }} → "$1,500.00"."""
    return formatting.money_text(amount, currency or "USD")


@register.filter
def signed_money(amount, currency: str = "USD") -> str:
    """{{ change|signed_money:"USD" }} → "+$120.00" or "−$80.00"."""
    return formatting.signed_money_text(amount, currency or "USD")


@register.filter
def pct(fraction, places: int = 1) -> str:
    """{{ 0.0625|pct }} → "6.3%"."""
    return formatting.percent_text(fraction, int(places))


@register.filter
def signed_pct(fraction, places: int = 2) -> str:
    """{{ 0.0125|signed_pct }} → "+1.25%"."""
    return formatting.percent_text(fraction, int(places), signed=True)


@register.filter
def pp(fraction, places: int = 1) -> str:
    """{{ drift|pp }}: a weight difference in percentage points, "+2.5 pp"."""
    return formatting.points_text(fraction, int(places))


@register.filter
def asset_class_label(code: str) -> str:
    """{{ "us_equity"|asset_class_label }} → "US equity"."""
    return formatting.asset_class_label(code)


@register.filter
def sleeve_label(name: str) -> str:
    """{{ "core"|sleeve_label }} → "Core"."""
    return formatting.sleeve_label(name)


@register.filter
def person(user) -> str:
    """{{ member|person }}: a member by name, not username."""
    return formatting.person_name(user)


@register.inclusion_tag("alerts/_badge.html", takes_context=True)
def open_alerts_badge(context) -> dict:
    """The count of open alerts next to the navigation's Alerts link (nothing when 0); a
    page that has counted them already passes ``open_alert_count``."""
    count = context.get("open_alert_count")
    if count is None:
        membership = context.get("current_membership")
        count = open_alert_count(household=membership.household) if membership else 0
    return {"count": count}
