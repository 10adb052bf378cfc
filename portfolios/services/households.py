"""Writes of households, members, accounts and API tokens."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from portfolios.models import Account, ApiToken, AuditEvent, Household, Membership, Sleeve
from portfolios.services.audit import audit_record

DEFAULT_SLEEVES = (("core", 70), ("income", 20), ("growth", 10))


@transaction.atomic
def household_create(
    *, name: str, owner_username: str, password: str | None = None, currency: str = "USD"
) -> Household:
    """Create a household with its owner (creating the user if new) and the default sleeves."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=owner_username)
    if created or password:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(update_fields=["password"])
    household = Household.objects.create(name=name, base_currency=currency.upper())
    Membership.objects.create(household=household, user=user, role=Membership.Role.OWNER)
    for sleeve_name, weight in DEFAULT_SLEEVES:
        Sleeve.objects.create(household=household, name=sleeve_name, target_weight=weight)
    audit_record(
        action="household.create",
        household=household,
        user=user,
        target=household,
        changes={"owner": user.get_username(), "password_set": bool(password)},
    )
    return household


@transaction.atomic
def membership_add(*, household: Household, username: str, role: str) -> Membership:
    """Add an existing or new user to the household in role."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    before = Membership.objects.filter(household=household, user=user).values_list(
        "role", flat=True
    )
    old_role = before.first()
    membership, _ = Membership.objects.update_or_create(
        household=household, user=user, defaults={"role": role}
    )
    if old_role != role:
        audit_record(
            action="member.add" if old_role is None else "member.role",
            household=household,
            user=None,
            username="",
            target=f"{user.get_username()} as {role}",
            changes={"role": [old_role, role]},
        )
    return membership


@transaction.atomic
def account_create(
    *,
    household: Household,
    name: str,
    type: str,
    institution: str = "",
    lot_method: str | None = None,
    currency: str | None = None,
    number: str = "",
    owner=None,
    default_sleeve: Sleeve | None = None,
) -> Account:
    """Create an account in the household."""
    account = Account(
        household=household,
        name=name,
        type=type,
        institution=institution,
        lot_method=lot_method or household.default_lot_method,
        currency=(currency or household.base_currency).upper(),
        number=number,
        owner=owner,
        default_sleeve=default_sleeve,
    )
    account.full_clean()
    account.save()
    return account


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw_key: str


def api_token_create(
    *,
    user,
    household: Household,
    name: str = "spreadsheet",
    scope: str = ApiToken.Scope.READ,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Issue a token; the raw key is returned once and only its digest is kept.

    Callers record the issue in the audit trail (the settings page, the API, the command).
    """
    raw_key, prefix, digest = ApiToken.generate(scope)
    token = ApiToken.objects.create(
        user=user,
        household=household,
        name=name,
        scope=scope,
        prefix=prefix,
        digest=digest,
        expires_at=expires_at,
    )
    return IssuedToken(token=token, raw_key=raw_key)


@transaction.atomic
def api_tokens_revoke(*, tokens: QuerySet[ApiToken], reason: str, request=None) -> int:
    """Revoke the live tokens among ``tokens``, each with an audit event; return how many."""
    live = list(tokens.filter(revoked_at=None).select_related("user", "household"))
    if not live:
        return 0
    ApiToken.objects.filter(pk__in=[token.pk for token in live]).update(revoked_at=timezone.now())
    for token in live:
        audit_record(
            action="token.revoke",
            household=token.household,
            user=_actor(request) or token.user,
            request=request,
            target=token,
            outcome=AuditEvent.Outcome.OK,
            changes={"reason": reason, "owner": token.user.get_username()},
        )
    return len(live)


def _actor(request):
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None
