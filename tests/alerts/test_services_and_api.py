"""Alert episodes and rules through the command, the API and the pages."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from alerts.calculations import HouseholdFacts, PositionFact
from alerts.models import AlertEpisode, AlertRule
from alerts.services import alerts_evaluate
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)


def heavy_vti(weight: str) -> HouseholdFacts:
    return HouseholdFacts(
        positions=[PositionFact("VTI", Decimal(weight), Decimal(weight) * 1000, kind="stock")]
    )


@pytest.fixture
def weight_rule(cast):
    cast.owner.email = "alice@example.com"
    cast.owner.save(update_fields=["email"])
    AlertRule.objects.filter(household=cast.household_a).update(enabled=False)
    rule = AlertRule.objects.get(household=cast.household_a, kind="position_weight")
    AlertRule.objects.filter(pk=rule.pk).update(enabled=True, threshold=Decimal(10))
    return rule


def test_an_episode_opens_once_is_emailed_once_and_resolves(cast, weight_rule):
    # when the condition holds on two evaluations
    first = alerts_evaluate(household=cast.household_a, facts=heavy_vti("0.15"), now=NOW)
    second = alerts_evaluate(
        household=cast.household_a, facts=heavy_vti("0.16"), now=NOW + timedelta(days=1)
    )
    # then one episode, one email, its value updated
    assert len(first.opened) == 1 and first.emailed == 1
    assert second.opened == [] and second.ongoing == 1 and second.emailed == 0
    episode = AlertEpisode.objects.get()
    assert episode.value == Decimal("0.16")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "VTI is 15.0% of the household ($150.00), above the 10% limit" in mail.outbox[0].body
    assert "http://testserver.example/portfolio/holdings/" in mail.outbox[0].body
    # when the condition clears, the episode resolves; when it returns, a new episode opens
    cleared = alerts_evaluate(
        household=cast.household_a, facts=heavy_vti("0.05"), now=NOW + timedelta(days=2)
    )
    assert cleared.resolved == 1
    assert AlertEpisode.objects.get().status == "resolved"
    again = alerts_evaluate(
        household=cast.household_a, facts=heavy_vti("0.2"), now=NOW + timedelta(days=3)
    )
    assert len(again.opened) == 1
    assert AlertEpisode.objects.count() == 2


def test_api_lists_by_status_and_member_acknowledges(cast, weight_rule):
    alerts_evaluate(household=cast.household_a, facts=heavy_vti("0.15"), now=NOW)
    episode = AlertEpisode.objects.get()
    viewer = client_for(cast.viewer)
    assert viewer.get("/api/v1/alerts/?status=open").json()["count"] == 1
    assert viewer.post(f"/api/v1/alerts/{episode.pk}/acknowledge/").status_code == 403
    member = client_for(cast.member)
    response = member.post(f"/api/v1/alerts/{episode.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert member.get("/api/v1/alerts/?status=open").json()["count"] == 0
    assert member.get("/api/v1/alerts/?status=acknowledged").json()["count"] == 1
    bad = member.get("/api/v1/alerts/?status=closed")
    assert bad.status_code == 400
    assert "status" in bad.json()["errors"]
    csv = member.get("/api/v1/alerts/?format=csv").content.decode().splitlines()
    assert csv[0].startswith("id,rule,rule_id,threshold,subject,message,value,link,status")
    listed = member.get("/api/v1/alerts/?status=acknowledged").json()["results"][0]
    assert listed["acknowledged_by"] == "carol"


def test_other_household_cannot_see_or_acknowledge(cast, weight_rule):
    alerts_evaluate(household=cast.household_a, facts=heavy_vti("0.15"), now=NOW)
    episode = AlertEpisode.objects.get()
    outsider = client_for(cast.outsider)
    assert outsider.get("/api/v1/alerts/").json()["count"] == 0
    assert outsider.post(f"/api/v1/alerts/{episode.pk}/acknowledge/").status_code == 404
    page_client = Client()
    page_client.force_login(cast.outsider)
    assert page_client.post(f"/alerts/{episode.pk}/acknowledge/").status_code == 404


def test_alerts_page_shows_and_acknowledges(cast, weight_rule):
    alerts_evaluate(household=cast.household_a, facts=heavy_vti("0.15"), now=NOW)
    episode = AlertEpisode.objects.get()
    client = Client()
    client.force_login(cast.viewer)
    assert b"VTI is 15.0% of the household" in client.get("/alerts/").content
    assert client.post(f"/alerts/{episode.pk}/acknowledge/").status_code == 403
    client.force_login(cast.owner)
    assert client.post(f"/alerts/{episode.pk}/acknowledge/").status_code == 302
    episode.refresh_from_db()
    assert episode.status == "acknowledged"
    # who and when are shown (UTC, the site's time zone)
    page = client.get("/alerts/").content.decode()
    assert (
        f"acknowledged by alice on {episode.acknowledged_at:%b} {episode.acknowledged_at.day}"
        in page
    )


def test_evaluate_alerts_command_uses_stored_facts(cast):
    # given a household whose cash reserve (no cash account) is 0 months of a 1,000 target
    from portfolios.models import Household

    Household.objects.filter(pk=cast.household_a.pk).update(monthly_income_target=Decimal(1000))
    AlertRule.objects.filter(household=cast.household_a).exclude(kind="cash_reserve").update(
        enabled=False
    )
    out = StringIO()
    # when
    call_command("evaluate_alerts", "--household", "Alpha", stdout=out)
    # then the 0-month reserve is below the policy's 6-month minimum
    assert "1 opened" in out.getvalue()
    assert "cash reserve covers 0.0 months of the income target, under the 6-month minimum" in (
        out.getvalue()
    )


def test_alerts_page_shows_fifty_alerts_a_page_newest_first(cast, weight_rule):
    # 53 resolved episodes, one a day: ALERT-01 the oldest, ALERT-53 the newest.
    for n in range(1, 54):
        opened = NOW - timedelta(days=60 - n)
        AlertEpisode.objects.create(
            rule=weight_rule,
            household=cast.household_a,
            subject=f"S{n}",
            message=f"ALERT-{n:02d} happened",
            opened_at=opened,
            last_seen_at=opened,
            resolved_at=opened + timedelta(hours=1),
        )
    client = Client()
    client.force_login(cast.owner)
    first = client.get("/alerts/?status=resolved").content.decode()
    assert "53 alerts, newest first." in first
    assert "ALERT-53 happened" in first and "ALERT-04 happened" in first
    assert "ALERT-03 happened" not in first
    assert first.index("ALERT-53") < first.index("ALERT-04")
    assert "Page 1 of 2" in first
    assert 'href="?status=resolved&amp;page=2"' in first  # the filter is kept
    second = client.get("/alerts/?status=resolved&page=2").content.decode()
    assert [n for n in range(1, 54) if f"ALERT-{n:02d} happened" in second] == [1, 2, 3]
    assert "Page 2 of 2" in second
    # Another household's member sees none of them.
    other = Client()
    other.force_login(cast.outsider)
    assert "ALERT-" not in other.get("/alerts/?status=resolved").content.decode()
