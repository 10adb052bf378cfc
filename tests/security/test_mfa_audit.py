"""Second-factor changes and wrong codes reach the audit trail."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.test import Client

from portfolios.models import AuditEvent
from tests.security.test_login_throttling import code_now, login

pytestmark = pytest.mark.django_db


def test_activating_totp_and_a_wrong_code_are_audited(cast, django_capture_on_commit_callbacks):
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert login(client, "alice", "pw-alice-1").status_code == 302
    page = client.get("/accounts/2fa/totp/activate/")
    if page.status_code == 302:  # allauth asks for the password again first
        client.post(page["Location"], {"password": "pw-alice-1"})
    client.get("/accounts/2fa/totp/activate/")
    secret = client.session[SECRET_SESSION_KEY]
    # allauth announces the new authenticator once its transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/accounts/2fa/totp/activate/", {"code": code_now(secret)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=cast.owner, type="totp").exists()
    added = AuditEvent.objects.filter(action="mfa.add").values_list("target", flat=True)
    assert "authenticator totp" in set(added)
    fresh = Client(REMOTE_ADDR="198.51.100.7")
    login(fresh, "alice", "pw-alice-1")
    fresh.post("/accounts/2fa/authenticate/", {"code": "000000"})
    failed = AuditEvent.objects.get(action="login", outcome="failed")
    assert failed.target == "second factor"
    assert failed.ip == "198.51.100.7"
