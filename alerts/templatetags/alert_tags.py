"""Template tags the lower apps' pages use to show alerts (templates are not imports)."""

from django import template

from alerts.selectors import alert_list

register = template.Library()


@register.simple_tag
def open_alert_count(household) -> int:
    """Return how many of the household's alert episodes are open (0 without a household)."""
    if household is None:
        return 0
    return alert_list(household=household, status="open").count()
