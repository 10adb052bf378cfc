"""Evaluate a household's alert rules into deduplicated episodes, and email new ones."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.calculations import HouseholdFacts, evaluate_rule
from alerts.models import AlertEpisode, AlertRule
from portfolios.models import Household, Membership

logger = logging.getLogger(__name__)

DEFAULT_RULES = (
    (AlertRule.Kind.POSITION_WEIGHT, None),  # None: the household's max_position_weight
    (AlertRule.Kind.UNREALIZED_LOSS, 10),
    (AlertRule.Kind.STALE_PRICE, 5),
    (AlertRule.Kind.DIVIDEND_CUT, 10),
    (AlertRule.Kind.INCOME_SHORTFALL, 25),
    (AlertRule.Kind.CASH_RESERVE, None),  # None: the household's cash_reserve_months
    (AlertRule.Kind.DRAWDOWN, 15),
)


@dataclass
class EvaluationResult:
    opened: list[AlertEpisode] = field(default_factory=list)
    resolved: int = 0
    ongoing: int = 0
    emailed: int = 0


def alert_rules_create_defaults(*, household: Household) -> list[AlertRule]:
    """Give a household the default rules it does not have yet."""
    defaults = {
        AlertRule.Kind.POSITION_WEIGHT: household.max_position_weight,
        AlertRule.Kind.CASH_RESERVE: household.cash_reserve_months,
    }
    rules = []
    for kind, threshold in DEFAULT_RULES:
        rule, _ = AlertRule.objects.get_or_create(
            household=household,
            kind=kind,
            scope="",
            defaults={"threshold": defaults.get(kind, threshold)},
        )
        rules.append(rule)
    return rules


def alerts_evaluate(
    *, household: Household, facts: HouseholdFacts | None = None, now: datetime | None = None
) -> EvaluationResult:
    """Evaluate every enabled rule of the household.

    1. Gather the facts (holdings, lots, prices, dividends, projections, valuations).
    2. For each finding, keep the rule's unresolved episode for that subject up to date, or
       open a new one; the partial unique constraint makes a duplicate impossible.
    3. Resolve the rule's unresolved episodes whose subject no longer has a finding.
    4. Email the episodes opened now.
    """
    from alerts.selectors import household_facts

    now = now or timezone.now()
    rules = list(AlertRule.objects.filter(household=household, enabled=True))
    result = EvaluationResult()
    if not rules:
        return result  # nothing to judge: the facts are not worth gathering
    facts = facts if facts is not None else household_facts(household=household)
    for rule in rules:
        findings = evaluate_rule(
            kind=rule.kind, threshold=rule.threshold, scope=rule.scope, facts=facts
        )
        seen = set()
        for finding in findings:
            seen.add(finding.subject)
            episode, created = _episode_upsert(rule=rule, finding=finding, now=now)
            if created:
                result.opened.append(episode)
            else:
                result.ongoing += 1
        result.resolved += (
            AlertEpisode.objects.filter(rule=rule, resolved_at__isnull=True)
            .exclude(subject__in=seen)
            .update(resolved_at=now, updated_at=now)
        )
    result.emailed = _email_new_episodes(household=household, episodes=result.opened, now=now)
    return result


def _episode_upsert(*, rule: AlertRule, finding, now: datetime) -> tuple[AlertEpisode, bool]:
    current = AlertEpisode.objects.filter(
        rule=rule, subject=finding.subject, resolved_at__isnull=True
    ).first()
    if current is not None:
        AlertEpisode.objects.filter(pk=current.pk).update(
            message=finding.message[:500], value=finding.value, last_seen_at=now, updated_at=now
        )
        return current, False
    try:
        with transaction.atomic():
            episode = AlertEpisode.objects.create(
                rule=rule,
                household_id=rule.household_id,
                subject=finding.subject,
                message=finding.message[:500],
                value=finding.value,
                opened_at=now,
                last_seen_at=now,
            )
    except IntegrityError:  # a concurrent evaluation opened it first
        episode = AlertEpisode.objects.get(
            rule=rule, subject=finding.subject, resolved_at__isnull=True
        )
        return episode, False
    return episode, True


def _email_new_episodes(*, household: Household, episodes, now: datetime) -> int:
    """Send one email per new episode batch; each episode is claimed so it is sent once."""
    to_send = [
        e
        for e in episodes
        if e.rule.notify_email
        and AlertEpisode.objects.filter(pk=e.pk, emailed_at__isnull=True).update(emailed_at=now)
    ]
    if not to_send:
        return 0
    recipients = list(
        Membership.objects.filter(household=household)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not recipients:
        return 0
    lines = "\n".join(f"- {e.message}" for e in to_send)
    send_mail(
        subject=f"Hearth: {len(to_send)} new alert(s) for {household.name}",
        message=f"New alerts for {household.name}:\n\n{lines}\n\nSee them at /alerts/.",
        from_email=None,
        recipient_list=recipients,
    )
    return len(to_send)


def alert_acknowledge(*, episode: AlertEpisode, user) -> bool:
    """Acknowledge an open episode; return False if it was not open any more."""
    now = timezone.now()
    claimed = AlertEpisode.objects.filter(
        pk=episode.pk, acknowledged_at__isnull=True, resolved_at__isnull=True
    ).update(acknowledged_at=now, acknowledged_by=user, updated_at=now)
    return claimed == 1
