"""The alert-rules page, each member's e-mail choices, and the quarterly review page."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from alerts.models import AlertEpisode, AlertRule, EmailPreference
from portfolios.models import Household, Membership
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit, sell

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_lists_every_rule_and_saves_one(cast):
    owner = logged_in(cast.owner)
    page = owner.get("/alerts/rules/").content.decode()
    assert page.count('class="rule-form"') == 11
    assert "trading days without a close" in page
    rule = AlertRule.objects.get(household=cast.household_a, kind="drawdown")
    prefix = f"rule-{rule.pk}"
    response = owner.post(
        f"/alerts/rules/{rule.pk}/",
        {f"{prefix}-scope": "household", f"{prefix}-threshold": "12.5",
         f"{prefix}-enabled": "on", f"{prefix}-scope_name": ""},
    )  # fmt: skip
    assert response.status_code == 302
    rule.refresh_from_db()
    # unchecked "e-mail" box: the rule stays on, out of the digest
    assert (rule.threshold, rule.enabled, rule.notify_email) == (Decimal("12.5"), True, False)


def test_a_bad_rule_is_shown_again_with_the_reason(cast):
    owner = logged_in(cast.owner)
    rule = AlertRule.objects.get(household=cast.household_a, kind="drawdown")
    prefix = f"rule-{rule.pk}"
    response = owner.post(
        f"/alerts/rules/{rule.pk}/",
        {f"{prefix}-scope": "account", f"{prefix}-scope_name": "Nowhere",
         f"{prefix}-threshold": "10", f"{prefix}-enabled": "on"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "no account named &#x27;Nowhere&#x27; in this household" in response.content.decode()
    rule.refresh_from_db()
    assert rule.scope == "household"


def test_adding_a_value_level_rule(cast):
    AccountFactory(household=cast.household_a, name="Joint")
    response = logged_in(cast.member).post(
        "/alerts/rules/new/",
        {"new-kind": "value_level", "new-scope": "account", "new-scope_name": "Joint",
         "new-threshold": "50000", "new-direction": "below", "new-enabled": "on",
         "new-notify_email": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    rule = AlertRule.objects.get(household=cast.household_a, kind="value_level")
    assert (rule.scope_name, rule.threshold, rule.direction) == ("Joint", Decimal(50000), "below")


def test_viewers_read_but_do_not_change_rules(cast):
    viewer = logged_in(cast.viewer)
    assert viewer.get("/alerts/rules/").status_code == 200
    rule = AlertRule.objects.get(household=cast.household_a, kind="drawdown")
    assert viewer.post(f"/alerts/rules/{rule.pk}/", {}).status_code == 403
    assert viewer.post("/alerts/rules/new/", {}).status_code == 403
    # another household's rule is not there at all
    bravo = AlertRule.objects.get(household=cast.household_b, kind="drawdown")
    assert logged_in(cast.owner).post(f"/alerts/rules/{bravo.pk}/", {}).status_code == 404


def test_each_member_sets_their_emails_and_quiet_hours(cast):
    carol = Membership.objects.get(user=cast.member)
    victor = Membership.objects.get(user=cast.viewer)
    client = logged_in(cast.member)
    page = client.get("/alerts/rules/").content.decode()
    assert f'id="member-{carol.pk}"' in page and f'id="member-{victor.pk}"' not in page
    prefix = f"member-{carol.pk}"
    response = client.post(
        f"/alerts/rules/emails/{carol.pk}/",
        {f"{prefix}-alert_kinds": ["drawdown", "income_shortfall"],
         f"{prefix}-quiet_start": "22:00", f"{prefix}-quiet_end": "07:00"},
    )  # fmt: skip
    assert response.status_code == 302
    carol.refresh_from_db()
    preference = EmailPreference.objects.get(membership=carol)
    assert carol.weekly_report is False  # the box was left unchecked
    assert preference.alert_kinds == ["drawdown", "income_shortfall"]
    assert (preference.quiet_start, preference.quiet_end) == (time(22), time(7))
    # only the owner changes someone else's
    assert client.post(f"/alerts/rules/emails/{victor.pk}/", {}).status_code == 403
    owner_page = logged_in(cast.owner).get("/alerts/rules/").content.decode()
    assert f'id="member-{victor.pk}"' in owner_page
    half = client.post(f"/alerts/rules/emails/{carol.pk}/", {f"{prefix}-quiet_start": "22:00"})
    assert half.status_code == 400
    assert "give both ends of the quiet hours, or neither" in half.content.decode()


def test_the_navigation_badge_counts_open_alerts(cast):
    rule = AlertRule.objects.get(household=cast.household_a, kind="drawdown")
    now = datetime(2026, 11, 23, tzinfo=UTC)
    for subject in ("a", "b"):
        AlertEpisode.objects.create(
            rule=rule, household=cast.household_a, subject=subject, message=subject,
            opened_at=now, last_seen_at=now,
        )  # fmt: skip
    page = logged_in(cast.owner).get("/alerts/").content.decode()
    assert '<span class="badge" aria-label="2 open alerts">2</span>' in page
    assert (
        'aria-label="2 open alerts"'
        not in logged_in(cast.outsider).get("/alerts/").content.decode()
    )


@time_machine.travel("2026-10-05 14:00:00+00:00", tick=False)
def test_quarterly_review_shows_the_quarters_figures(cast):
    household = cast.household_a
    Household.objects.filter(pk=household.pk).update(monthly_income_target=Decimal(500))
    xyz = SecurityFactory(symbol="XYZ", kind="stock")
    xyz2 = SecurityFactory(symbol="XYZB", kind="stock")
    from portfolios.models import IdentityGroup

    group = IdentityGroup.objects.create(household=household, name="XYZ twins")
    group.securities.add(xyz, xyz2)
    joint = AccountFactory(household=household, name="Joint")
    deposit(joint, "2026-06-30", 10000)
    buy(joint, "2026-07-01", xyz, 10, 1000)
    # sold at a 300 loss on 08-03, and the twin bought back 08-10: a wash sale
    sell(joint, "2026-08-03", xyz, 10, 700)
    buy(joint, "2026-08-10", xyz2, 10, 720)
    close(xyz, "2026-07-01", 100)
    close(xyz2, "2026-09-30", 72)
    rule = AlertRule.objects.get(household=household, kind="drawdown")
    AlertEpisode.objects.create(
        rule=rule, household=household, subject="household", message="Down 16% from the peak",
        opened_at=datetime(2026, 8, 4, tzinfo=UTC), last_seen_at=datetime(2026, 8, 20, tzinfo=UTC),
        acknowledged_at=datetime(2026, 8, 5, 15, tzinfo=UTC), acknowledged_by=cast.member,
        resolved_at=datetime(2026, 8, 20, tzinfo=UTC),
    )  # fmt: skip
    page = logged_in(cast.owner).get("/reports/quarterly/").content.decode()
    assert "quarterly review, Q3 2026" in page  # the last closed quarter
    # loss 700 − 1,000 = −300, all disallowed by the twin's purchase within 30 days
    assert "wash-sale losses disallowed $300.00" in page
    assert "<td>XYZ · XYZ Inc.</td><td>Joint</td>" in page  # the security by name
    assert "$300.00 (W)" in page
    # income: nothing received, against 3 × 500 = 1,500
    assert '<th class="num">$1,500.00</th>' in page
    assert "Down 16% from the peak" in page and "acknowledged by carol Aug 5" in page
    assert 'href="/static/alerts/review.css"' in page or "alerts/review.css" in page
    q2 = logged_in(cast.owner).get("/reports/quarterly/?quarter=2026-Q2").content.decode()
    assert "Q2 2026" in q2 and "No sales this quarter." in q2
    assert date(2026, 4, 1).strftime("%b %-d, %Y") in q2
