"""`alert-rules/`: GET, POST, PATCH `alert-rules/<id>/` (DESIGN §8), scoped to the household."""

from decimal import Decimal

import pytest

from alerts.models import AlertEpisode, AlertRule
from tests.conftest import client_for, token_client
from tests.portfolios.factories import AccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.api]


def test_lists_the_default_rules_with_their_units(cast):
    response = client_for(cast.viewer).get("/api/v1/alert-rules/?page_size=50")
    assert response.status_code == 200
    rows = {(r["kind"], r["scope"]): r for r in response.json()["results"]}
    assert len(rows) == 11
    assert rows[("harvestable_loss", "security")]["threshold"] == "1000.0000"
    assert rows[("position_weight", "security")]["threshold"] is None
    assert rows[("allocation_drift", "sleeve")]["scopes"] == ["household", "sleeve"]
    assert rows[("stale_price", "security")]["threshold_unit"] == "trading days without a close"
    csv = client_for(cast.viewer).get("/api/v1/alert-rules/?format=csv").content.decode()
    assert csv.splitlines()[0].startswith("id,kind,scope,scope_name,threshold")


def test_member_creates_and_patches_a_rule(cast):
    AccountFactory(household=cast.household_a, name="Joint")
    member = client_for(cast.member)
    created = member.post(
        "/api/v1/alert-rules/",
        {"kind": "value_level", "scope": "account", "scope_name": "Joint",
         "threshold": "250000", "direction": "above"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["kind"], body["scope"], body["scope_name"], body["threshold"]) == (
        "value_level", "account", "Joint", "250000.0000",
    )  # fmt: skip
    patched = member.patch(
        f"/api/v1/alert-rules/{body['id']}/", {"threshold": "300000", "enabled": False},
        format="json",
    )  # fmt: skip
    assert patched.status_code == 200
    rule = AlertRule.objects.get(pk=body["id"])
    assert (rule.threshold, rule.enabled) == (Decimal(300000), False)


def test_bad_rules_are_refused_naming_the_field(cast):
    member = client_for(cast.member)
    wrong_scope = member.post(
        "/api/v1/alert-rules/", {"kind": "income_shortfall", "scope": "security", "threshold": "5"},
        format="json",
    )  # fmt: skip
    assert wrong_scope.status_code == 400
    assert wrong_scope.json()["errors"]["scope"] == [
        "income_shortfall watches household, not 'security'"
    ]
    no_threshold = member.post("/api/v1/alert-rules/", {"kind": "drawdown"}, format="json")
    assert no_threshold.json()["errors"]["threshold"] == ["drawdown needs a threshold"]
    unknown = member.post(
        "/api/v1/alert-rules/",
        {"kind": "drawdown", "scope": "account", "scope_name": "Nowhere", "threshold": "10"},
        format="json",
    )
    assert unknown.json()["errors"]["scope_name"] == [
        "no account named 'Nowhere' in this household"
    ]
    bad_kind = member.post("/api/v1/alert-rules/", {"kind": "moon_phase"}, format="json")
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()["errors"]
    duplicate = member.post(
        "/api/v1/alert-rules/", {"kind": "drawdown", "scope": "household", "threshold": "20"},
        format="json",
    )  # fmt: skip
    assert duplicate.status_code == 400 and "scope_name" in duplicate.json()["errors"]
    drawdown = AlertRule.objects.get(household=cast.household_a, kind="drawdown")
    negative = member.patch(
        f"/api/v1/alert-rules/{drawdown.pk}/", {"threshold": "-1"}, format="json"
    )
    assert negative.status_code == 400 and "threshold" in negative.json()["errors"]


def test_switching_a_rule_off_resolves_its_open_episodes(cast):
    from django.utils import timezone

    rule = AlertRule.objects.get(household=cast.household_a, kind="drawdown")
    now = timezone.now()
    episode = AlertEpisode.objects.create(
        rule=rule, household=cast.household_a, subject="household", message="down",
        opened_at=now, last_seen_at=now,
    )  # fmt: skip
    client_for(cast.owner).patch(
        f"/api/v1/alert-rules/{rule.pk}/", {"enabled": False}, format="json"
    )
    episode.refresh_from_db()
    assert episode.status == "resolved"


def test_writes_need_a_member_and_a_write_token_and_stay_in_the_household(cast):
    rule = AlertRule.objects.get(household=cast.household_a, kind="drawdown")
    viewer = client_for(cast.viewer)
    assert viewer.patch(f"/api/v1/alert-rules/{rule.pk}/", {"threshold": "5"}).status_code == 403
    read, _ = token_client(cast.owner, cast.household_a, scope="read")
    assert read.patch(f"/api/v1/alert-rules/{rule.pk}/", {"threshold": "5"}).status_code == 403
    write, _ = token_client(cast.owner, cast.household_a, scope="write")
    assert write.patch(f"/api/v1/alert-rules/{rule.pk}/", {"threshold": "5"}).status_code == 200
    outsider = client_for(cast.outsider)
    assert outsider.patch(f"/api/v1/alert-rules/{rule.pk}/", {"threshold": "1"}).status_code == 404
    assert outsider.get("/api/v1/alert-rules/").json()["count"] == 11  # Bravo's own defaults
    rule.refresh_from_db()
    assert rule.threshold == Decimal(5)
