"""Staff and superusers use a second factor, or reach nothing but the pages to set one up.

A household member may choose TOTP; a staff member reads every household through the
admin, so a password alone is not enough for one. Once logged in, a staff member (or
superuser) without an activated authenticator app is sent to allauth's TOTP activation
for any page, the admin included; the account pages themselves (activation, the password
asked again before it, logout) stay open. A session call to the API answers 403 with the
error envelope instead of a redirect. Token calls are not concerned: tokens belong to
household members and are checked by the API itself.
"""

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

OPEN_PREFIXES = ("/accounts/", "/static/")
SET_UP = "Staff accounts need two-factor authentication: set up an authenticator app first."


def needs_second_factor(user) -> bool:
    """Return True for a logged-in staff member or superuser with no TOTP activated."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not (user.is_staff or user.is_superuser):
        return False
    return not is_mfa_enabled(user, [Authenticator.Type.TOTP])


class StaffSecondFactorMiddleware:
    """Send staff without TOTP to set it up before any page (module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(OPEN_PREFIXES) or not needs_second_factor(request.user):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": SET_UP, "errors": {}}, status=403)
        messages.warning(request, SET_UP)
        return redirect(reverse("mfa_activate_totp"))
