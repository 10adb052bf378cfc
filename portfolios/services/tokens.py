"""Writes of API tokens from the settings pages: issue one (shown once) and revoke it.

Only owners manage tokens. Issuing asks for the owner's password again, and an owner with
an authenticator app must have passed it in this browser session (allauth keeps a record
of each authentication in the session).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from portfolios.errors import ApplicationError
from portfolios.models import ApiToken, Household
from portfolios.services import setting_values as values
from portfolios.services.audit import audit_record
from portfolios.services.households import IssuedToken, api_token_create

# Lifetimes offered for a new token, in days (None: until revoked).
EXPIRY_CHOICES = (("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("never", "Never"))
DEFAULT_EXPIRY = "365"


def token_expiry(choice: object, *, now: datetime | None = None) -> datetime | None:
    """Return when a token with the chosen lifetime expires (None: never)."""
    code = values.parse_choice(choice, EXPIRY_CHOICES)
    if code == "never":
        return None
    return (now or timezone.now()) + timedelta(days=int(code))


@transaction.atomic
def api_token_issue(
    *,
    household: Household,
    user,
    name: object,
    scope: object,
    expiry: object = DEFAULT_EXPIRY,
    request=None,
) -> IssuedToken:
    """Issue a token for user in household; the raw key is in the result, once."""
    errors = values.FieldErrors()
    clean_name = errors.check("name", values.parse_text, name, max_length=80, required=True)
    clean_scope = errors.check("scope", values.parse_choice, scope, choices=ApiToken.Scope.choices)
    expires_at = errors.check("expiry", token_expiry, expiry)
    if (
        clean_name
        and ApiToken.objects.filter(
            household=household, name__iexact=clean_name, revoked_at__isnull=True
        ).exists()
    ):
        errors.add("name", f"a live token is already named {clean_name}; choose another name")
    errors.raise_if_any("The token was not created.")
    issued = api_token_create(
        user=user, household=household, name=clean_name, scope=clean_scope, expires_at=expires_at
    )
    audit_record(
        action="token.create",
        household=household,
        user=user,
        target=issued.token,
        request=request,
        changes={
            "scope": [None, clean_scope],
            "expires_at": [None, expires_at.isoformat() if expires_at else "never"],
        },
    )
    return issued


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user=None, request=None) -> ApiToken:
    """Revoke a token at once; revoking twice changes nothing."""
    if token.revoked_at is not None:
        raise ApplicationError(f"The token {token.name} is already revoked.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        action="token.revoke",
        household=token.household,
        user=user,
        target=token,
        request=request,
    )
    return token
