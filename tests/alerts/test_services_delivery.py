"""Alert e-mails: one digest per run to members who opted in, quiet hours in household
time (across DST), each alert sent once even when two evaluations run at once."""

import threading
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from alerts.calculations import HouseholdFacts, PositionFact
from alerts.calculations.quiet_hours import in_quiet_hours
from alerts.models import AlertEpisode, AlertNotification, AlertRule, EmailPreference
from alerts.services import alerts_evaluate, email_choices_update
from alerts.tasks import send_alert_digests_task
from portfolios.models import Membership

D = Decimal
NEW_YORK = "America/New_York"


def facts(*symbols: str) -> HouseholdFacts:
    """Each symbol 20% of a 10,000 household: above the 10% limit."""
    return HouseholdFacts(
        positions=[PositionFact(s, D("0.2"), D(2000), kind="stock") for s in symbols]
    )


@pytest.fixture
def alpha(cast):
    for user, address in ((cast.owner, "alice@example.com"), (cast.member, "carol@example.com")):
        user.email = address
        user.save(update_fields=["email"])
    AlertRule.objects.filter(household=cast.household_a).exclude(kind="position_weight").update(
        enabled=False
    )
    return cast.household_a


def membership(household, username) -> Membership:
    return Membership.objects.get(household=household, user__username=username)


def test_quiet_hours_wrap_midnight_in_household_time_across_dst():
    start, end = time(22, 0), time(7, 0)
    # Sunday 2026-03-08, clocks spring forward in New York at 02:00
    assert in_quiet_hours(now=datetime(2026, 3, 8, 11, 30, tzinfo=UTC), time_zone=NEW_YORK,
                          start=start, end=end) is False  # 07:30 EDT  # fmt: skip
    assert in_quiet_hours(now=datetime(2026, 3, 7, 11, 30, tzinfo=UTC), time_zone=NEW_YORK,
                          start=start, end=end) is True  # 06:30 EST  # fmt: skip
    # Sunday 2026-11-01, clocks fall back: 11:30 UTC is 06:30 EST, quiet; a day before,
    # 11:30 UTC was 07:30 EDT, not
    assert in_quiet_hours(now=datetime(2026, 11, 1, 11, 30, tzinfo=UTC), time_zone=NEW_YORK,
                          start=start, end=end) is True  # fmt: skip
    assert in_quiet_hours(now=datetime(2026, 10, 31, 11, 30, tzinfo=UTC), time_zone=NEW_YORK,
                          start=start, end=end) is False  # fmt: skip
    # a window inside one day, and no window
    lunch = {"time_zone": NEW_YORK, "start": time(12, 0), "end": time(13, 0)}
    assert in_quiet_hours(now=datetime(2026, 6, 1, 16, 30, tzinfo=UTC), **lunch) is True
    assert in_quiet_hours(now=datetime(2026, 6, 1, 17, 0, tzinfo=UTC), **lunch) is False
    assert in_quiet_hours(now=datetime(2026, 6, 1, 3, 0, tzinfo=UTC), time_zone=NEW_YORK,
                          start=None, end=None) is False  # fmt: skip
    with pytest.raises(ValueError, match="aware"):
        in_quiet_hours(now=datetime(2026, 6, 1), time_zone=NEW_YORK, start=start, end=end)


@pytest.mark.django_db
def test_one_digest_per_run_to_members_who_opted_in(alpha):
    # carol gets no position-weight alerts by e-mail
    email_choices_update(
        membership=membership(alpha, "carol"), weekly_report=True,
        alert_kinds=["drawdown"], quiet_start=None, quiet_end=None,
    )  # fmt: skip
    now = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    result = alerts_evaluate(household=alpha, facts=facts("AAA", "BBB"), now=now)
    # two new alerts, one digest, to alice only
    assert len(result.opened) == 2 and result.emailed == 1
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert mail.outbox[0].subject == "Hearth: 2 new alerts for Alpha"
    body = mail.outbox[0].body
    assert "- AAA is 20.0% of the household ($2,000.00), above the 10% limit" in body
    assert "All alerts: http://testserver.example/alerts/" in body
    # the same run again: nothing new to say
    again = alerts_evaluate(household=alpha, facts=facts("AAA", "BBB"), now=now)
    assert again.emailed == 0 and len(mail.outbox) == 1
    assert AlertNotification.objects.filter(outcome="sent").count() == 2


@pytest.mark.django_db
def test_alerts_found_in_quiet_hours_arrive_once_when_they_end(alpha):
    email_choices_update(
        membership=membership(alpha, "alice"), weekly_report=True,
        alert_kinds=list(AlertRule.Kind.values), quiet_start=time(22, 0), quiet_end=time(7, 0),
    )  # fmt: skip
    EmailPreference.objects.create(membership=membership(alpha, "carol"), alert_kinds=[])
    # Monday 23:00 EST = Tuesday 04:00 UTC: alice's quiet hours
    night = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert alerts_evaluate(household=alpha, facts=facts("AAA"), now=night).emailed == 0
    assert mail.outbox == []
    # 06:59 EST is still quiet; at 07:20 EST (12:20 UTC) the hourly job sends it
    from unittest import mock

    with mock.patch(
        "django.utils.timezone.now", return_value=night + timedelta(hours=7, minutes=59)
    ):
        assert send_alert_digests_task() == 0
    with mock.patch(
        "django.utils.timezone.now", return_value=night + timedelta(hours=8, minutes=20)
    ):
        assert send_alert_digests_task() == 1
        assert send_alert_digests_task() == 0
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


@pytest.mark.django_db
def test_a_failed_digest_is_released_and_sent_by_the_next_run(alpha, monkeypatch):
    import smtplib

    from alerts.services import delivery

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection lost")

    EmailPreference.objects.create(membership=membership(alpha, "carol"), alert_kinds=[])
    now = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    with monkeypatch.context() as patch:
        patch.setattr(delivery, "_send", refuse)
        assert alerts_evaluate(household=alpha, facts=facts("AAA"), now=now).emailed == 0
    row = AlertNotification.objects.get()
    assert (row.outcome, row.claimed_at, row.attempts, row.last_error) == (
        "pending", None, 1, "connection lost",
    )  # fmt: skip
    assert alerts_evaluate(household=alpha, facts=facts("AAA"), now=now).emailed == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (CI)"
)
def test_two_evaluations_at_once_open_one_episode_and_send_one_email(alpha):
    Membership.objects.filter(user__username="carol").update(weekly_report=False)
    EmailPreference.objects.create(membership=membership(alpha, "carol"), alert_kinds=[])
    now = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            results.append(alerts_evaluate(household=alpha, facts=facts("AAA"), now=now))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert AlertEpisode.objects.count() == 1
    assert sum(len(r.opened) for r in results) == 1
    assert sum(r.emailed for r in results) == 1
    assert len(mail.outbox) == 1
