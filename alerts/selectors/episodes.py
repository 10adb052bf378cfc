"""Reads of alert episodes, rules and the members' e-mail choices."""

from datetime import datetime

from django.db.models import Q, QuerySet

from alerts.models import AlertEpisode, AlertRule, EmailPreference
from portfolios.models import Household, Membership

ALL_KINDS = tuple(AlertRule.Kind.values)


def alert_list(*, household: Household, status: str | None = None) -> QuerySet[AlertEpisode]:
    """Return the household's alert episodes, newest first, optionally by status."""
    episodes = AlertEpisode.objects.filter(household=household).select_related(
        "rule", "acknowledged_by"
    )
    if status == AlertEpisode.Status.OPEN:
        episodes = episodes.filter(resolved_at__isnull=True, acknowledged_at__isnull=True)
    elif status == AlertEpisode.Status.ACKNOWLEDGED:
        episodes = episodes.filter(resolved_at__isnull=True, acknowledged_at__isnull=False)
    elif status == AlertEpisode.Status.RESOLVED:
        episodes = episodes.filter(resolved_at__isnull=False)
    return episodes


def open_alert_count(*, household: Household) -> int:
    """Return how many of the household's alerts are open (not acknowledged, not resolved)."""
    return alert_list(household=household, status=AlertEpisode.Status.OPEN).count()


def alerts_in_period(
    *, household: Household, start: datetime, end: datetime
) -> QuerySet[AlertEpisode]:
    """Return the episodes open at any time in [start, end), oldest first."""
    return (
        alert_list(household=household)
        .filter(opened_at__lt=end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
        .order_by("opened_at", "id")
    )


def alert_rule_list(*, household: Household) -> QuerySet[AlertRule]:
    """Return the household's alert rules in the order of DESIGN §8's kinds."""
    return AlertRule.objects.filter(household=household)


def email_choices_list(*, household: Household) -> list[tuple[Membership, EmailPreference]]:
    """Return each member with their e-mail choices (unsaved defaults: every alert kind)."""
    memberships = list(
        Membership.objects.filter(household=household)
        .select_related("user", "email_preference")
        .order_by("user__username")
    )
    result = []
    for membership in memberships:
        try:
            preference = membership.email_preference
        except EmailPreference.DoesNotExist:
            preference = EmailPreference(membership=membership, alert_kinds=list(ALL_KINDS))
        result.append((membership, preference))
    return result
