"""TOTP second factor through allauth's own pages: activate, then log in with a code."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.test import Client

pytestmark = pytest.mark.django_db


def current_code(secret: str) -> str:
    # RFC 6238: HOTP of the number of 30-second steps since the epoch
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"login": username, "password": password})


def test_member_activates_totp_then_needs_a_code_to_log_in(cast):
    # given alice logged in with her password
    client = Client()
    assert login(client, "alice", "pw-alice-1").status_code == 302
    # when she activates an authenticator app with a valid code
    page = client.get("/accounts/2fa/totp/activate/")
    if page.status_code == 302 and "/reauthenticate/" in page["Location"]:
        # allauth asks for the password again before a security change
        client.post(page["Location"], {"password": "pw-alice-1"})
        page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert response.status_code == 302
    # then TOTP and recovery codes are on for her account
    kinds = set(Authenticator.objects.filter(user=cast.owner).values_list("type", flat=True))
    assert kinds == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    # and a new login stops at the second factor until the code is given
    fresh = Client()
    step = login(fresh, "alice", "pw-alice-1")
    assert step.status_code == 302
    assert step["Location"].startswith("/accounts/2fa/authenticate/")
    assert fresh.get("/").status_code == 302  # not logged in yet
    wrong = fresh.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    done = fresh.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})
    assert done.status_code == 302
    assert fresh.get("/").status_code == 200


def test_security_page_is_reachable_from_the_navigation(cast):
    client = Client()
    client.force_login(cast.viewer)
    assert b'href="/accounts/2fa/"' in client.get("/").content
    assert client.get("/accounts/2fa/").status_code == 200


def test_signup_is_closed(client):
    response = client.get("/accounts/signup/")
    assert response.status_code in (200, 403)
    assert b"Sign Up Closed" in response.content or response.status_code == 403
