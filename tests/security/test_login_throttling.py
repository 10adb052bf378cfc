"""Logins: the admin needs the second factor too, failures are throttled per (IP, username)
so nobody can lock a member out from elsewhere, a spoofed X-Forwarded-For buys nothing,
and a login never answers 500 when the throttle cache is down."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django.test import Client

from portfolios.models import AuditEvent
from tests.security_report import count

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXP"  # base32 TOTP secret of the test superuser


def code_now(secret: str = SECRET) -> str:
    # RFC 6238: HOTP of the number of 30-second steps since the epoch
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def superuser_with_totp(db):
    user = get_user_model().objects.create_superuser("root", password="root-pass-1")
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": SECRET})
    return user


def login(client: Client, username: str, password: str, **extra):
    return client.post("/accounts/login/", {"login": username, "password": password}, **extra)


def test_admin_login_goes_through_allauth_and_its_second_factor(superuser_with_totp):
    client = Client()
    # the admin's own login page now sends people to the one login (with ?next= back)
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")
    # posting the password to the admin's login page does not log in
    client.post("/admin/login/?next=/admin/", {"username": "root", "password": "root-pass-1"})
    assert client.get("/admin/").status_code == 302
    # the password alone stops at the second factor
    step = login(client, "root", "root-pass-1")
    assert step["Location"].startswith("/accounts/2fa/authenticate/")
    admin = client.get("/admin/")
    assert admin.status_code == 302, "the admin opened without the second factor"
    # with the code, the admin opens
    assert client.post("/accounts/2fa/authenticate/", {"code": code_now()}).status_code == 302
    assert client.get("/admin/").status_code == 200
    count("login paths without a second factor", 0)


def test_a_logged_in_user_cannot_switch_to_the_superuser_with_the_password_alone(
    superuser_with_totp, cast
):
    """Django's admin login form would take a POST from anyone already logged in."""
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("helper", password="x", is_staff=True)
    for user in (cast.owner, staff):
        client = Client()
        client.force_login(user)
        client.post("/admin/login/", {"username": "root", "password": "root-pass-1"})
        assert client.session["_auth_user_id"] == str(user.pk)
    # a staff member is sent on to the admin, a household member is refused
    assert client.get("/admin/login/?next=/admin/").status_code == 302
    owner = Client()
    owner.force_login(cast.owner)
    assert owner.get("/admin/login/").status_code == 403


def test_admin_login_is_throttled_like_every_login(superuser_with_totp):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        assert login(attacker, "root", "wrong").status_code == 200
    # the sixth try, even with the right password, is refused
    refused = login(attacker, "root", "root-pass-1")
    assert refused.status_code == 200
    assert b"Too many failed login attempts" in refused.content
    assert not refused.wsgi_request.user.is_authenticated


def test_nobody_can_lock_a_member_out_from_another_address(cast):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(8):
        login(attacker, "alice", "wrong")
    assert b"Too many failed login attempts" in login(attacker, "alice", "pw-alice-1").content
    # alice, from her own address, logs in at once
    alice = Client(REMOTE_ADDR="198.51.100.7")
    assert login(alice, "alice", "pw-alice-1").status_code == 302


def test_a_spoofed_forwarded_for_does_not_reset_the_count(cast, settings):
    settings.TRUSTED_PROXY_COUNT = 1  # one proxy in front, which appends the client's address
    for attempt in range(5):
        client = Client(
            REMOTE_ADDR="10.0.0.2",
            # the client made up the first address; the proxy appended the real one
            HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}, 203.0.113.9",
        )
        login(client, "alice", "wrong")
    sixth = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.77, 203.0.113.9")
    assert b"Too many failed login attempts" in login(sixth, "alice", "pw-alice-1").content
    # the audit trail names the address the proxy saw, never the made-up one
    ips = set(AuditEvent.objects.filter(action="login").values_list("ip", flat=True))
    assert ips == {"203.0.113.9"}


def test_too_short_forwarded_for_falls_back_to_the_socket_address(cast, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="garbage")
    assert login(client, "alice", "pw-alice-1").status_code == 302
    assert AuditEvent.objects.get(action="login", outcome="ok").ip == "10.0.0.2"


def test_login_works_when_the_throttle_cache_is_down(cast, monkeypatch):
    # the production backend on a Redis port where nothing listens: every call fails at once
    from allauth.core.internal import ratelimit

    from portfolios.security.cache import FailSafeRedisCache

    down = FailSafeRedisCache(
        "redis://127.0.0.1:1/0",
        {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}},
    )
    monkeypatch.setattr(ratelimit, "cache", down)
    client = Client()
    assert login(client, "alice", "pw-alice-1").status_code == 302
    assert client.get("/").status_code == 200
    # and failures are still counted, in this process's memory
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        assert login(attacker, "bob", "wrong").status_code == 200
    assert b"Too many failed login attempts" in login(attacker, "bob", "pw-bob-1").content


def test_logins_ok_failed_and_throttled_are_audited(cast):
    client = Client(REMOTE_ADDR="198.51.100.7")
    login(client, "alice", "wrong")
    login(client, "nobody-such", "wrong")
    login(client, "alice", "pw-alice-1")
    events = list(
        AuditEvent.objects.filter(action="login")
        .order_by("id")
        .values_list("username", "outcome", "household__name", "ip")
    )
    assert events == [
        ("alice", "failed", "Alpha", "198.51.100.7"),
        ("nobody-such", "failed", None, "198.51.100.7"),
        ("alice", "ok", "Alpha", "198.51.100.7"),
    ]


def test_an_invitation_link_never_logs_in_someone_with_a_second_factor(cast):
    from django.contrib.auth import get_user_model

    from portfolios.services.members import invite_link

    person = get_user_model().objects.create_user("dora")
    person.set_unusable_password()
    person.save()
    Authenticator.objects.create(user=person, type=Authenticator.Type.TOTP, data={"secret": SECRET})
    link = invite_link(person)
    path = link.split("://", 1)[-1]
    path = path[path.index("/") :] if "://" in link else link
    client = Client()
    response = client.post(
        path, {"password1": "a-long-new-passphrase", "password2": "a-long-new-passphrase"}
    )
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_staff_without_totp_must_set_it_up_before_any_page(db):
    # given a staff member and a superuser, neither with an authenticator app
    users = get_user_model().objects
    users.create_user("ops", password="ops-pass-1", is_staff=True)
    users.create_superuser("boss", password="boss-pass-1")
    for username, password in (("ops", "ops-pass-1"), ("boss", "boss-pass-1")):
        client = Client()
        # when they log in through the login page, with the password (all they have)
        assert login(client, username, password).status_code == 302
        # then the admin and every page send them to set up TOTP, saying why
        for path in ("/admin/", "/", "/settings/", "/portfolio/allocation/"):
            answer = client.get(path)
            assert (answer.status_code, answer["Location"]) == (
                302,
                "/accounts/2fa/totp/activate/",
            ), (username, path)
        page = client.get("/accounts/2fa/totp/activate/", follow=True).content.decode()
        assert "Staff accounts need two-factor authentication" in page
        # and the API, on the session, answers 403 with the error envelope
        api = client.get("/api/v1/accounts/")
        assert (api.status_code, api.json()["detail"]) == (
            403,
            "Staff accounts need two-factor authentication: set up an authenticator app first.",
        )
    count("staff logged in without a second factor", 0)


def test_staff_with_totp_set_up_reach_the_admin(db):
    # given a staff member who logs in and activates an authenticator app on the page
    get_user_model().objects.create_user("ops", password="ops-pass-1", is_staff=True)
    client = Client()
    login(client, "ops", "ops-pass-1")
    page = client.get("/accounts/2fa/totp/activate/")
    if page.status_code == 302 and "/reauthenticate/" in page["Location"]:
        client.post(page["Location"], {"password": "ops-pass-1"})
        page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert (
        client.post("/accounts/2fa/totp/activate/", {"code": code_now(secret)}).status_code == 302
    )
    # then the admin opens for this session
    assert client.get("/admin/").status_code == 200
    # and the next login asks for the code before the admin
    fresh = Client()
    assert login(fresh, "ops", "ops-pass-1")["Location"].startswith("/accounts/2fa/authenticate/")
    assert fresh.get("/admin/").status_code == 302


def test_a_household_member_without_totp_is_not_held_up(cast):
    client = Client()
    login(client, "alice", "pw-alice-1")
    assert client.get("/").status_code == 200
