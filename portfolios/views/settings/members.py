"""Members (owners only): invite, change roles, remove; and the invitation link's page."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portfolios.errors import ApplicationError
from portfolios.forms.settings import InviteAcceptForm, InviteForm, RoleForm
from portfolios.middleware import SESSION_KEY
from portfolios.models import Membership
from portfolios.selectors.members import member_list, membership_get
from portfolios.services.members import (
    invite_accept,
    invite_user,
    member_invite,
    member_invite_renew,
    member_remove,
    member_role_set,
)
from portfolios.views.settings import owner_membership_or_403

INVITE_SESSION_KEY = "hearth_invite_shown"


def _member_or_404(membership: Membership, pk: int) -> Membership:
    try:
        return membership_get(household=membership.household, pk=int(pk))
    except Membership.DoesNotExist:
        raise Http404("No such member.") from None


@login_required
@never_cache
def members_settings(request: HttpRequest) -> HttpResponse:
    membership = owner_membership_or_403(request)
    household = membership.household
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = member_invite(
                household=household,
                username=data["username"],
                email=data["email"],
                role=data["role"],
                method=data["method"],
                user=request.user,
                request=request,
            )
        except ApplicationError as error:
            form.add_service_errors(error)
        else:
            person = invitation.membership.user.get_username()
            if invitation.existing_user:
                messages.success(
                    request,
                    f"Added {person} as {invitation.membership.get_role_display().lower()}. "
                    f"They already have a Hearth login: {household.name} is now in their "
                    "household list.",
                )
                return redirect("settings-members")
            # Shown once: kept in the session for the next page only.
            request.session[INVITE_SESSION_KEY] = {
                "username": person,
                "link": invitation.link,
                "password": invitation.temporary_password,
                "emailed": invitation.emailed,
            }
            return redirect("settings-members")
    return render(
        request,
        "settings/members.html",
        {
            "members": member_list(household=household),
            "form": form,
            "role_choices": Membership.Role.choices,
            "shown": request.session.pop(INVITE_SESSION_KEY, None),
            "me": membership,
            "section": "members",
        },
    )


@login_required
@require_POST
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = owner_membership_or_403(request)
    target = _member_or_404(membership, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner, member or viewer.")
        return redirect("settings-members")
    try:
        changed = member_role_set(
            membership=target, role=form.cleaned_data["role"], user=request.user, request=request
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"{changed.user.get_username()} is now {changed.get_role_display().lower()}.",
        )
    return redirect("settings-members")


@login_required
@require_POST
def member_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = owner_membership_or_403(request)
    target = _member_or_404(membership, pk)
    name = target.user.get_username()
    try:
        member_remove(membership=target, user=request.user, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("settings-members")
    if target.user_id == request.user.pk:
        request.session.pop(SESSION_KEY, None)
        messages.success(request, f"You left {membership.household.name}.")
        return redirect("dashboard")
    messages.success(
        request, f"Removed {name} from {membership.household.name}; their tokens are revoked."
    )
    return redirect("settings-members")


@login_required
@require_POST
def member_renew(request: HttpRequest, pk: int) -> HttpResponse:
    membership = owner_membership_or_403(request)
    target = _member_or_404(membership, pk)
    try:
        link = member_invite_renew(membership=target, user=request.user, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        request.session[INVITE_SESSION_KEY] = {
            "username": target.user.get_username(),
            "link": link,
            "password": "",
            "emailed": False,
        }
    return redirect("settings-members")


@never_cache
def invite_accept_page(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The one-time link: the invited person chooses a password and is logged in."""
    person = invite_user(uidb64, token)
    if person is None:
        return render(request, "settings/invite_invalid.html", status=400)
    form = InviteAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invite_accept(
                person=person,
                password1=form.cleaned_data["password1"],
                password2=form.cleaned_data["password2"],
                request=request,
            )
        except ApplicationError as error:
            form.add_service_errors(error)
        else:
            login(request, person, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {person.get_username()}. Your password is set.")
            return redirect("dashboard")
    households = [m.household.name for m in person.memberships.select_related("household")]
    return render(
        request,
        "settings/invite_accept.html",
        {"form": form, "person": person, "households": households},
    )
