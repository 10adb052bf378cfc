"""Writes of a household's members: invitations, roles and removals (owners only).

A person has one login whatever the number of households they belong to: inviting an
existing user adds a membership; inviting a new one creates the user with no usable
password and either a one-time link that sets it (Django's password-reset token: it
expires after ``PASSWORD_RESET_TIMEOUT`` and stops working once a password is set) or a
temporary password shown once. A household always keeps at least one owner.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from portfolios.errors import ApplicationError
from portfolios.models import ApiToken, Household, Membership
from portfolios.services import setting_values as values
from portfolios.services.audit import audit_record

logger = logging.getLogger(__name__)
INVITE_BY_LINK = "link"
INVITE_BY_PASSWORD = "password"
INVITE_METHODS = ((INVITE_BY_LINK, "A one-time link"), (INVITE_BY_PASSWORD, "A temporary password"))


@dataclass(frozen=True)
class Invitation:
    """The outcome of an invitation: what the owner passes on to the person, once."""

    membership: Membership
    existing_user: bool  # already had a Hearth login: nothing to pass on
    link: str = ""  # absolute one-time link that sets the password
    temporary_password: str = ""
    emailed: bool = False


def site_url(request=None) -> str:
    """Return the site's absolute root without a trailing slash: ``SITE_URL``, else the
    address the request came to."""
    configured = getattr(settings, "SITE_URL", "") or ""
    if configured:
        return configured.rstrip("/")
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return "http://127.0.0.1:8000"


def invite_link(user, request=None) -> str:
    """Return the absolute one-time link that lets user set a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url(request) + reverse("invite-accept", args=[uid, token])


def _owners(household: Household):
    return Membership.objects.filter(household=household, role=Membership.Role.OWNER)


@transaction.atomic
def member_invite(
    *,
    household: Household,
    username: object,
    role: object,
    email: object = "",
    method: str = INVITE_BY_LINK,
    user=None,
    request=None,
) -> Invitation:
    """Add a person to the household in role; see the module docstring."""
    errors = values.FieldErrors()
    name = errors.check("username", values.parse_text, username, max_length=150, required=True)
    if name:
        try:
            UnicodeUsernameValidator()(name)
        except ValidationError:
            errors.add("username", "may contain only letters, digits and @ . + - _")
    chosen_role = errors.check("role", values.parse_choice, role, choices=Membership.Role.choices)
    address = values.text(email)
    if address:
        try:
            validate_email(address)
        except ValidationError:
            errors.add("email", f"must be an e-mail address, got '{address}'")
    if method not in (INVITE_BY_LINK, INVITE_BY_PASSWORD):
        errors.add("method", "must be link or password")
    user_model = get_user_model()
    person = user_model.objects.filter(username__iexact=name).first() if name else None
    if person is not None and Membership.objects.filter(household=household, user=person).exists():
        errors.add("username", f"{person.get_username()} is already a member of {household.name}")
    errors.raise_if_any("The invitation was not sent.")

    existing = person is not None and person.has_usable_password()
    if person is None:
        person = user_model(username=name, email=address)
        person.set_unusable_password()
        person.save()
    elif address and not person.email:
        person.email = address
        person.save(update_fields=["email"])
    membership = Membership.objects.create(household=household, user=person, role=chosen_role)
    link = password = ""
    if not existing:
        if method == INVITE_BY_PASSWORD:
            password = secrets.token_urlsafe(9)
            person.set_password(password)
            person.save(update_fields=["password"])
        else:
            link = invite_link(person, request)
    audit_record(
        action="member.invite",
        household=household,
        user=user,
        target=f"user {person.pk}: {person.get_username()}",
        request=request,
        changes={
            "role": [None, chosen_role],
            "method": [None, "existing login" if existing else method],
        },
    )
    emailed = False
    if link and person.email:
        emailed = _send_invitation(household, person, link, inviter=user)
    return Invitation(membership, existing, link, password, emailed)


def _send_invitation(household: Household, person, link: str, *, inviter) -> bool:
    """E-mail the one-time link; return whether it was handed to the mail server."""
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    who = inviter.get_full_name() or inviter.get_username() if inviter else "A household owner"
    body = (
        f"{who} invited you to {household.name} on Hearth, the household's investment "
        f"dashboard.\n\nChoose your password here (the link works once, for {days} days):\n"
        f"{link}\n\nYour username is {person.get_username()}.\n"
    )
    try:
        send_mail(f"You are invited to {household.name} on Hearth", body, None, [person.email])
    except Exception:  # a mail server being down must not undo the invitation
        logger.exception("could not e-mail the invitation to user %s", person.pk)
        return False
    return True


@transaction.atomic
def member_invite_renew(*, membership: Membership, user=None, request=None) -> str:
    """Return a new one-time link for a member who has not set a password yet."""
    person = membership.user
    if person.has_usable_password():
        raise ApplicationError(
            f"{person.get_username()} already has a password; they log in as usual."
        )
    audit_record(
        action="member.invite_renew",
        household=membership.household,
        user=user,
        target=f"user {person.pk}: {person.get_username()}",
        request=request,
    )
    return invite_link(person, request)


@transaction.atomic
def member_role_set(*, membership: Membership, role: object, user=None, request=None) -> Membership:
    """Give a member another role; the last owner cannot stop being one."""
    errors = values.FieldErrors()
    chosen = errors.check("role", values.parse_choice, role, choices=Membership.Role.choices)
    errors.raise_if_any("The role was not changed.")
    locked = Membership.objects.select_for_update().select_related("household", "user")
    membership = locked.get(pk=membership.pk)
    if chosen == membership.role:
        return membership
    if membership.role == Membership.Role.OWNER and _owners(membership.household).count() == 1:
        message = (
            f"{membership.household.name} needs at least one owner; make someone else an "
            "owner first."
        )
        raise ApplicationError(message, errors={"role": [message]})
    old = membership.role
    membership.role = chosen
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        action="member.role",
        household=membership.household,
        user=user,
        target=f"user {membership.user_id}: {membership.user.get_username()}",
        request=request,
        changes={"role": [old, chosen]},
    )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, user=None, request=None) -> None:
    """Take a person out of the household and revoke their tokens for it; their login
    and other households stay. The last owner cannot be removed."""
    membership = (
        Membership.objects.select_for_update()
        .select_related("household", "user")
        .get(pk=membership.pk)
    )
    household, person = membership.household, membership.user
    if membership.role == Membership.Role.OWNER and _owners(household).count() == 1:
        message = f"{household.name} needs at least one owner; the last owner cannot be removed."
        raise ApplicationError(message, errors={"member": [message]})
    revoked = ApiToken.objects.filter(
        household=household, user=person, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    membership.delete()
    audit_record(
        action="member.remove",
        household=household,
        user=user,
        target=f"user {person.pk}: {person.get_username()}",
        request=request,
        changes={"role": [membership.role, None], "tokens_revoked": [None, revoked]},
    )


def invite_user(uidb64: str, token: str):
    """Return the user an invitation link is for, or None when it is unknown, used or
    expired."""
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        person = get_user_model().objects.get(pk=pk)
    except (TypeError, ValueError, OverflowError, get_user_model().DoesNotExist):
        return None
    if not default_token_generator.check_token(person, token):
        return None
    if is_mfa_enabled(person):
        # the link logs in: never for someone whose login needs a second factor
        return None
    return person


@transaction.atomic
def invite_accept(*, person, password1: str, password2: str, request=None):
    """Set the invited person's password (checked by the site's password rules)."""
    errors = values.FieldErrors()
    if not password1:
        errors.add("password1", "is required")
    elif password1 != password2:
        errors.add("password2", "does not match the password above")
    else:
        try:
            password_validation.validate_password(password1, person)
        except ValidationError as problem:
            for message in problem.messages:
                errors.add("password1", message)
    errors.raise_if_any("The password was not set.")
    person.set_password(password1)
    person.save(update_fields=["password"])
    for membership in Membership.objects.filter(user=person).select_related("household"):
        audit_record(
            action="member.join",
            household=membership.household,
            user=person,
            target=f"user {person.pk}: {person.get_username()}",
            request=request,
        )
    return person
