"""Login throttling that nobody can turn against a member.

allauth counts failed logins per IP and per "key". Its key is the username alone, so anyone
could lock a member out by typing their name with wrong passwords five times. Here the key
is (client IP, username): an attacker only ever locks out themselves. The client IP is the
one ``TRUSTED_PROXY_COUNT`` trusts, so a made-up ``X-Forwarded-For`` cannot start a fresh
count either.
"""

from __future__ import annotations

from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm
from django.core.exceptions import ValidationError

from portfolios.security.audit_events import login_throttled
from portfolios.services.audit import client_ip

UNKNOWN_IP = "0.0.0.0"


class LoginThrottleAdapterMixin:
    """For the account adapter: client IP from our proxy setting; failed-login key per
    (IP, username)."""

    def get_client_ip(self, request) -> str:
        return client_ip(request) or UNKNOWN_IP

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        login = str(credentials.get("email", credentials.get("username", ""))).lower()
        return f"{self.get_client_ip(request)}:{login}"

    def pre_authenticate(self, request, **credentials) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            login_throttled(request=request, username=str(credentials.get("username", "")))
            raise


class AuditedAuthenticateForm(AuthenticateForm):
    """allauth's second-factor form; the audit trail hears of wrong codes through allauth's
    ``authentication_failed`` signal, and of throttled ones here."""

    def clean_code(self) -> str:
        try:
            return super().clean_code()
        except ValidationError as error:
            if any(getattr(e, "code", "") == "too_many_login_attempts" for e in error.error_list):
                login_throttled(
                    request=context.request, username=self.user.get_username(), stage="mfa"
                )
            raise
