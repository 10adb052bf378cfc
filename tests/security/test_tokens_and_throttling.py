"""API tokens end when their user's password changes or the user leaves; each issue and
revocation is audited; the API throttles per token and per user with 429 + Retry-After."""

from io import StringIO

import pytest
from django.core.management import call_command

from portfolios.models import ApiToken, AuditEvent, Membership
from tests.conftest import token_client

pytestmark = [pytest.mark.django_db, pytest.mark.api]


def test_a_new_password_ends_every_token_of_the_user(cast):
    client, _ = token_client(cast.owner, cast.household_a, "read")
    assert client.get("/api/v1/accounts/").status_code == 200
    cast.owner.set_password("a-brand-new-passphrase")
    cast.owner.save()
    assert client.get("/api/v1/accounts/").status_code == 401
    revoked = AuditEvent.objects.get(action="token.revoke")
    assert revoked.changes["reason"] == "password changed"
    assert revoked.household == cast.household_a


def test_rehashing_the_same_password_at_login_ends_nothing(cast, settings):
    client, _ = token_client(cast.owner, cast.household_a, "read")
    # a stronger hasher first in the list: Django re-hashes alice's password at her login
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert cast.owner.check_password("pw-alice-1")
    cast.owner.refresh_from_db()
    assert cast.owner.password.startswith("pbkdf2_")
    assert client.get("/api/v1/accounts/").status_code == 200


def test_leaving_the_household_ends_its_tokens(cast):
    client, _ = token_client(cast.member, cast.household_a, "read")
    Membership.objects.filter(user=cast.member, household=cast.household_a).delete()
    assert client.get("/api/v1/accounts/").status_code == 401
    assert ApiToken.objects.get(user=cast.member).revoked_at is not None


def test_a_member_made_viewer_keeps_read_tokens_only(cast):
    reader, _ = token_client(cast.member, cast.household_a, "read")
    writer, _ = token_client(cast.member, cast.household_a, "write")
    membership = Membership.objects.get(user=cast.member, household=cast.household_a)
    membership.role = Membership.Role.VIEWER
    membership.save(update_fields=["role"])
    assert reader.get("/api/v1/accounts/").status_code == 200
    assert writer.get("/api/v1/accounts/").status_code == 401


def test_issuing_a_token_by_command_is_audited_without_the_secret(cast):
    out = StringIO()
    call_command("create_api_token", "alice", "--scope", "write", stdout=out)
    raw_key = out.getvalue().strip().splitlines()[-1]
    event = AuditEvent.objects.get(action="token.create")
    assert event.household == cast.household_a
    assert event.username == "alice"
    assert event.changes["scope"] == [None, "write"]
    assert raw_key not in str(event.changes) and raw_key.split(".")[1] not in event.target


def test_role_changes_are_audited(cast):
    from portfolios.services.households import membership_add

    membership_add(household=cast.household_a, username="carol", role=Membership.Role.VIEWER)
    event = AuditEvent.objects.filter(action="member.role").get()
    assert event.changes == {"role": ["member", "viewer"]}
    assert event.target == "carol as viewer"


def test_each_token_and_each_user_has_its_budget(cast, settings):
    settings.API_THROTTLE_RATE = "3/min"
    first, _ = token_client(cast.owner, cast.household_a, "read")
    for _ in range(3):
        assert first.get("/api/v1/accounts/").status_code == 200
    throttled = first.get("/api/v1/accounts/")
    assert throttled.status_code == 429
    assert set(throttled.json()) == {"detail", "errors"}
    # DRF's wait: 60 s window, the first of the 3 calls a moment ago -> 60 (rounded up)
    assert 1 <= int(throttled["Retry-After"]) <= 60
    # a second token of the same user shares the user's budget: no fresh allowance
    second, _ = token_client(cast.owner, cast.household_a, "read")
    assert second.get("/api/v1/accounts/").status_code == 429
    # another user is untouched
    other, _ = token_client(cast.outsider, cast.household_b, "read")
    assert other.get("/api/v1/accounts/").status_code == 200
