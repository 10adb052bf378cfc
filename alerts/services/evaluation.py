"""Evaluate a household's alert rules into deduplicated episodes, then deliver them."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.calculations import Finding, HouseholdFacts, RuleSpec, evaluate_rule
from alerts.models import AlertEpisode, AlertEvaluationState, AlertRule
from alerts.selectors.facts import household_facts
from alerts.services.delivery import alert_digests_send, alert_notifications_queue
from alerts.services.freshness import household_refresh_if_stale
from alerts.services.locks import household_lock
from alerts.services.rules import alert_rules_create_defaults
from portfolios.models import Household
from portfolios.selectors.as_of import household_today

logger = logging.getLogger(__name__)


@dataclass
class EvaluationResult:
    opened: list[AlertEpisode] = field(default_factory=list)
    resolved: int = 0
    ongoing: int = 0
    updated: int = 0
    emailed: int = 0


def alerts_evaluate(
    *,
    household: Household,
    facts: HouseholdFacts | None = None,
    now: datetime | None = None,
    derived_fresh: bool = False,
) -> EvaluationResult:
    """Evaluate every enabled rule of the household; safe to run twice or at once.

    1. Bring the ledger, valuations and projection up to date if they lag the household's
       transactions (``household_refresh_if_stale``; skipped when ``derived_fresh``: the
       recompute chain has just rebuilt them), then read the facts.
    2. For each finding, keep the rule's unresolved episode for that subject in step with
       the facts (message, value, link), or open a new one; the partial unique constraint
       makes a second unresolved episode impossible, so a concurrent run only updates.
    3. Resolve the unresolved episodes whose subject has no finding any more, and those of
       rules switched off.
    4. Queue an e-mail notification per new episode and opted-in member, then send one
       digest per member (claimed in the database, so it goes once; quiet hours wait).
    """
    now = now or timezone.now()
    rules = list(AlertRule.objects.filter(household=household))
    if not rules:
        rules = alert_rules_create_defaults(household=household)
    if facts is None:
        today = household_today(household, now=now)
        if not derived_fresh:
            household_refresh_if_stale(household=household, today=today)
        facts = household_facts(household=household, today=today)
    result = EvaluationResult()
    unchanged: list[int] = []
    # Every unresolved episode in one read, not one query per finding.
    open_episodes = {
        (episode.rule_id, episode.subject): episode
        for episode in AlertEpisode.objects.filter(household=household, resolved_at__isnull=True)
    }
    # Findings without an unresolved episode, opened after the loop in one transaction.
    new: list[tuple[AlertRule, Finding]] = []
    for rule in rules:
        if not rule.enabled:
            result.resolved += _resolve_unseen(rule, seen=set(), now=now)
            continue
        spec = RuleSpec(rule.kind, rule.scope, rule.scope_name, rule.threshold, rule.direction)
        seen = set()
        for finding in evaluate_rule(spec, facts):
            if finding.subject in seen:
                continue
            seen.add(finding.subject)
            current = open_episodes.get((rule.pk, finding.subject))
            if current is None:
                new.append((rule, finding))
                continue
            _count(
                result,
                unchanged,
                *_episode_upsert(rule=rule, finding=finding, now=now, current=current),
            )
        result.resolved += _resolve_unseen(rule, seen=seen, now=now)
    if new:
        # One commit for all (the first evaluation after an import opens a hundred or
        # more), under the household's lock: two evaluations at once never wait on each
        # other's new episodes in turn (a deadlock); the second finds the first's.
        with household_lock(household.pk), transaction.atomic():
            for rule, finding in new:
                _count(
                    result,
                    unchanged,
                    *_episode_upsert(rule=rule, finding=finding, now=now, current=None),
                )
    # One write for every episode that still holds as it was: seen now.
    AlertEpisode.objects.filter(pk__in=unchanged, resolved_at__isnull=True).update(last_seen_at=now)
    alert_notifications_queue(episodes=result.opened)
    result.emailed = alert_digests_send(household=household, now=now)
    return result


def _count(
    result: EvaluationResult,
    unchanged: list[int],
    episode: AlertEpisode,
    created: bool,
    changed: bool,
) -> None:
    """Count an upserted episode as opened, or as ongoing (updated, or unchanged)."""
    if created:
        result.opened.append(episode)
        return
    result.ongoing += 1
    result.updated += changed
    if not changed:
        unchanged.append(episode.pk)


def _resolve_unseen(rule: AlertRule, *, seen: set[str], now: datetime) -> int:
    return (
        AlertEpisode.objects.filter(rule=rule, resolved_at__isnull=True)
        .exclude(subject__in=seen)
        .update(resolved_at=now, updated_at=now)
    )


def _episode_upsert(
    *, rule: AlertRule, finding: Finding, now: datetime, current: AlertEpisode | None
) -> tuple[AlertEpisode, bool, bool]:
    """Return (episode, created, changed): the rule's unresolved episode for the finding's
    subject (``current``, read before) brought up to date, or a new one."""
    message = finding.message[:500]
    value = None if finding.value is None else round(finding.value, 6)
    if current is None:
        try:
            with transaction.atomic():
                episode = AlertEpisode.objects.create(
                    rule=rule,
                    household_id=rule.household_id,
                    subject=finding.subject,
                    message=message,
                    value=value,
                    link=finding.link,
                    opened_at=now,
                    last_seen_at=now,
                )
            return episode, True, False
        except IntegrityError:  # a concurrent evaluation opened it first
            current = AlertEpisode.objects.get(
                rule=rule, subject=finding.subject, resolved_at__isnull=True
            )
    changed = (current.message, current.value, current.link) != (message, value, finding.link)
    if changed:
        AlertEpisode.objects.filter(pk=current.pk).update(
            message=message, value=value, link=finding.link, last_seen_at=now, updated_at=now
        )
    return current, False, changed


def alert_acknowledge(*, episode: AlertEpisode, user) -> bool:
    """Acknowledge an open episode; return False if it was not open any more."""
    now = timezone.now()
    claimed = AlertEpisode.objects.filter(
        pk=episode.pk, acknowledged_at__isnull=True, resolved_at__isnull=True
    ).update(acknowledged_at=now, acknowledged_by=user, updated_at=now)
    return claimed == 1


def alert_evaluation_record(*, household: Household, fingerprint: str, now: datetime) -> None:
    """Remember the inputs the household's rules were just evaluated on."""
    AlertEvaluationState.objects.update_or_create(
        household=household, defaults={"inputs_fingerprint": fingerprint, "evaluated_at": now}
    )
