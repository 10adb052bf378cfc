"""E-mail delivery of new alerts: one digest per member and run, each alert sent once.

A notification row per (new episode, opted-in member) is created once (unique pair). A run
claims a member's waiting rows with a conditional UPDATE that stamps its own token, sends
one digest of what it claimed, and marks them sent; of two concurrent runs only one claims
a row. A failed send releases the claim for the next run. A claim older than
``CLAIM_TIMEOUT`` (a worker that died mid-send) may be taken again.
"""

import logging
import smtplib
import uuid
from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from alerts.calculations.quiet_hours import in_quiet_hours
from alerts.models import AlertEpisode, AlertNotification, EmailPreference
from alerts.selectors.links import absolute_url
from portfolios.models import Household, Membership

logger = logging.getLogger(__name__)
CLAIM_TIMEOUT = timedelta(minutes=15)
Outcome = AlertNotification.Outcome


def _preference(membership: Membership) -> EmailPreference | None:
    try:
        return membership.email_preference
    except EmailPreference.DoesNotExist:
        return None


def _wants(membership: Membership, kind: str) -> bool:
    preference = _preference(membership)
    return preference is None or kind in preference.alert_kinds


def alert_notifications_queue(*, episodes: list[AlertEpisode]) -> int:
    """Create the notification rows of new episodes for members who opted in to their kind
    and have an address; return how many rows are new."""
    episodes = [e for e in episodes if e.rule.notify_email]
    if not episodes:
        return 0
    household_ids = {e.household_id for e in episodes}
    members = list(
        Membership.objects.filter(household_id__in=household_ids)
        .exclude(user__email="")
        .select_related("user", "email_preference")
    )
    rows = [
        AlertNotification(episode=episode, membership=membership)
        for episode in episodes
        for membership in members
        if membership.household_id == episode.household_id and _wants(membership, episode.rule.kind)
    ]
    created = AlertNotification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def alert_digests_send(*, household: Household, now: datetime | None = None) -> int:
    """Send each member their waiting alerts as one digest, outside their quiet hours;
    return how many digests went out."""
    now = now or timezone.now()
    waiting = AlertNotification.objects.filter(
        membership__household=household, outcome=Outcome.PENDING
    )
    member_ids = set(waiting.values_list("membership_id", flat=True))
    if not member_ids:
        return 0
    sent = 0
    for membership in Membership.objects.filter(pk__in=member_ids).select_related(
        "user", "email_preference"
    ):
        preference = _preference(membership)
        if preference is not None and in_quiet_hours(
            now=now,
            time_zone=household.time_zone,
            start=preference.quiet_start,
            end=preference.quiet_end,
        ):
            continue  # the hourly digest job sends it when the quiet hours end
        sent += _send_member_digest(household, membership, now)
    return sent


def _send_member_digest(household: Household, membership: Membership, now: datetime) -> int:
    token = uuid.uuid4().hex
    claimed = (
        AlertNotification.objects.filter(membership=membership, outcome=Outcome.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now, claim_token=token, attempts=F("attempts") + 1, updated_at=now)
    )
    if not claimed:
        return 0
    rows = list(
        AlertNotification.objects.filter(claim_token=token, outcome=Outcome.PENDING)
        .select_related("episode__rule")
        .order_by("episode__opened_at", "episode_id")
    )
    gone = [row.pk for row in rows if row.episode.resolved_at is not None]
    live = [row for row in rows if row.episode.resolved_at is None]
    if gone:
        AlertNotification.objects.filter(pk__in=gone).update(outcome=Outcome.SKIPPED)
    if not live:
        return 0
    episodes = [row.episode for row in live]
    try:
        _send(household, membership.user.email, episodes)
    except (smtplib.SMTPException, OSError) as exc:
        AlertNotification.objects.filter(claim_token=token, outcome=Outcome.PENDING).update(
            claimed_at=None, claim_token="", last_error=str(exc)[:300]
        )
        logger.exception("alert digest to %s failed", membership.user.email)
        return 0
    AlertNotification.objects.filter(pk__in=[row.pk for row in live]).update(
        outcome=Outcome.SENT, sent_at=now, last_error=""
    )
    AlertEpisode.objects.filter(pk__in=[e.pk for e in episodes], emailed_at__isnull=True).update(
        emailed_at=now
    )
    return 1


def _send(household: Household, address: str, episodes: list[AlertEpisode]) -> None:
    context = {
        "household": household,
        "episodes": [(episode, absolute_url(episode.link or "/alerts/")) for episode in episodes],
        "alerts_url": absolute_url("/alerts/"),
        "rules_url": absolute_url("/alerts/rules/"),
    }
    count = len(episodes)
    message = EmailMultiAlternatives(
        subject=f"Hearth: {count} new alert{'s' if count != 1 else ''} for {household.name}",
        body=render_to_string("alerts/email/alert_digest.txt", context),
        to=[address],
    )
    message.attach_alternative(
        render_to_string("alerts/email/alert_digest.html", context), "text/html"
    )
    message.send()


def alert_digests_send_all(*, now: datetime | None = None) -> int:
    """Send every household's waiting digests (the hourly job: quiet hours have ended)."""
    household_ids = (
        AlertNotification.objects.filter(outcome=Outcome.PENDING)
        .values_list("membership__household_id", flat=True)
        .distinct()
    )
    return sum(
        alert_digests_send(household=household, now=now)
        for household in Household.objects.filter(pk__in=list(household_ids))
    )
