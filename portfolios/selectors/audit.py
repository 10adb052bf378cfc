"""Reads of a household's audit trail (owners only)."""

from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from portfolios.models import AuditEvent, Household


def audit_list(
    *,
    household: Household,
    action: str | None = None,
    username: str | None = None,
    outcome: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[AuditEvent]:
    """Return the household's audit events, newest first, filtered.

    ``action`` matches a whole action (``token.create``) or its family (``token``);
    ``start`` and ``end`` are days in the current time zone, both included.
    """
    events = AuditEvent.objects.filter(household=household).select_related("user")
    if action:
        family = action.strip()
        events = events.filter(action=family) | events.filter(action__startswith=f"{family}.")
    if username:
        events = events.filter(username__iexact=username.strip())
    if outcome:
        events = events.filter(outcome=outcome)
    zone = timezone.get_current_timezone()
    if start:
        events = events.filter(at__gte=datetime.combine(start, time.min, tzinfo=zone))
    if end:
        events = events.filter(at__lte=datetime.combine(end, time.max, tzinfo=zone))
    return events.order_by("-at", "-id")


def audit_actions(*, household: Household) -> list[str]:
    """Return the distinct actions recorded for the household, sorted."""
    return sorted(
        set(AuditEvent.objects.filter(household=household).values_list("action", flat=True))
    )


def audit_users(*, household: Household) -> list[str]:
    """Return the usernames that appear in the household's audit trail, sorted."""
    names = AuditEvent.objects.filter(household=household).values_list("username", flat=True)
    return sorted({name for name in names if name})
