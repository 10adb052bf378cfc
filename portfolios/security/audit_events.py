"""Signal receivers that put logins, second-factor changes and token endings on the audit
trail, whichever path (allauth's pages, the admin behind them, a command) caused them."""

from __future__ import annotations

from allauth.account.signals import user_logged_in
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_delete, post_save

from portfolios.models import ApiToken, AuditEvent, Household, Membership
from portfolios.services.audit import audit_record
from portfolios.services.households import api_tokens_revoke

Outcome = AuditEvent.Outcome
USERNAME_LENGTH = 150


def _households_of(user) -> list[Household | None]:
    """Every household of the user (so each owner sees it), or [None] for nobody's."""
    if user is None:
        return [None]
    households = [
        m.household for m in Membership.objects.filter(user=user).select_related("household")
    ]
    return households or [None]


def _record_for_user(*, action: str, user, username: str, outcome: str, request, **extra):
    for household in _households_of(user):
        audit_record(
            action=action,
            household=household,
            user=user,
            username=username[:USERNAME_LENGTH],
            outcome=outcome,
            request=request,
            **extra,
        )


def _known_user(username: str):
    if not username:
        return None
    return get_user_model().objects.filter(username__iexact=username).first()


def on_login(sender, request, user, **kwargs) -> None:
    _record_for_user(
        action="login",
        user=user,
        username=user.get_username(),
        outcome=Outcome.OK,
        request=request,
    )


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username") or credentials.get("email") or "")
    _record_for_user(
        action="login",
        user=_known_user(username),
        username=username,
        outcome=Outcome.FAILED,
        request=request,
        target="password",
    )


def login_throttled(*, request, username: str, stage: str = "password") -> None:
    """Record a login refused because of too many failures (called by the adapter)."""
    _record_for_user(
        action="login",
        user=_known_user(username),
        username=username,
        outcome=Outcome.DENIED,
        request=request,
        target=f"{stage}: too many attempts",
    )


def on_mfa_failed(sender, request, user, authenticator=None, **kwargs) -> None:
    action = "reauthenticate" if kwargs.get("reauthentication") else "login"
    _record_for_user(
        action=action,
        user=user,
        username=user.get_username(),
        outcome=Outcome.FAILED,
        request=request,
        target="second factor",
    )


def _mfa_change(action: str):
    def receiver(sender, request, user, authenticator=None, **kwargs) -> None:
        kind = getattr(authenticator, "type", "") or ""
        _record_for_user(
            action=action,
            user=user,
            username=user.get_username(),
            outcome=Outcome.OK,
            request=request,
            target=f"authenticator {kind}".strip(),
        )

    return receiver


on_mfa_added = _mfa_change("mfa.add")
on_mfa_removed = _mfa_change("mfa.remove")
on_mfa_reset = _mfa_change("mfa.reset")


def on_user_saved(sender, instance, created: bool, **kwargs) -> None:
    """A new password (``set_password`` then save) ends every token of the user.

    Django keeps the new raw password in ``_password`` until the save completes; a hash
    upgrade at login resets it first, so re-hashing the same password ends nothing.
    """
    if created or getattr(instance, "_password", None) is None:
        return
    api_tokens_revoke(tokens=ApiToken.objects.filter(user=instance), reason="password changed")


def on_membership_saved(sender, instance: Membership, created: bool, **kwargs) -> None:
    """A member made viewer keeps read tokens only."""
    if instance.role == Membership.Role.VIEWER:
        api_tokens_revoke(
            tokens=ApiToken.objects.filter(
                user_id=instance.user_id,
                household_id=instance.household_id,
                scope=ApiToken.Scope.WRITE,
            ),
            reason="role changed to viewer",
        )


def on_membership_deleted(sender, instance: Membership, **kwargs) -> None:
    """A user who leaves a household loses every token for it."""
    if not Household.objects.filter(pk=instance.household_id).exists():
        return  # the household itself is going; its tokens go with it
    api_tokens_revoke(
        tokens=ApiToken.objects.filter(
            user_id=instance.user_id, household_id=instance.household_id
        ),
        reason="left the household",
    )


def connect() -> None:
    """Connect the receivers (from ``PortfoliosConfig.ready``)."""
    uid = "hearth-audit-"
    user_logged_in.connect(on_login, dispatch_uid=uid + "login")
    user_login_failed.connect(on_login_failed, dispatch_uid=uid + "login-failed")
    mfa_signals.authentication_failed.connect(on_mfa_failed, dispatch_uid=uid + "mfa-failed")
    mfa_signals.authenticator_added.connect(on_mfa_added, dispatch_uid=uid + "mfa-added")
    mfa_signals.authenticator_removed.connect(on_mfa_removed, dispatch_uid=uid + "mfa-removed")
    mfa_signals.authenticator_reset.connect(on_mfa_reset, dispatch_uid=uid + "mfa-reset")
    post_save.connect(on_user_saved, sender=get_user_model(), dispatch_uid=uid + "user-saved")
    post_save.connect(on_membership_saved, sender=Membership, dispatch_uid=uid + "member-saved")
    post_delete.connect(
        on_membership_deleted, sender=Membership, dispatch_uid=uid + "member-deleted"
    )
