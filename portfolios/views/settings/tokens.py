"""API tokens (owners only): create one (password again, and the authenticator app when it
is on), shown once with the spreadsheet formula; list; revoke."""

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portfolios.errors import ApplicationError
from portfolios.forms.settings import TokenForm
from portfolios.models import ApiToken, Membership
from portfolios.selectors.members import token_get, token_list
from portfolios.services.audit import audit_record
from portfolios.services.members import site_url
from portfolios.services.tokens import api_token_issue, api_token_revoke
from portfolios.views.settings import owner_membership_or_403

SHOWN_SESSION_KEY = "hearth_token_shown"


def passed_mfa_this_session(request: HttpRequest) -> bool:
    """Return whether the user proved their authenticator app in this browser session
    (at login or at a later re-authentication); True when they have none."""
    if not is_mfa_enabled(request.user):
        return True
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def sheets_formula(request: HttpRequest, raw_key: str, household_id: int) -> str:
    """Return the Google Sheets formula that pulls the holdings CSV with a read token."""
    query = urlencode({"format": "csv", "token": raw_key})
    return f'=IMPORTDATA("{site_url(request)}/api/v1/holdings/?{query}")'


@login_required
@never_cache
def tokens_settings(request: HttpRequest) -> HttpResponse:
    membership: Membership = owner_membership_or_403(request)
    household = membership.household
    form = TokenForm(request.POST or None)
    mfa_ok = passed_mfa_this_session(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not request.user.check_password(data["password"]):
            form.add_error("password", "is not your password")
            audit_record(
                action="token.create",
                household=household,
                target=data["name"],
                outcome="denied",
                request=request,
                changes={"reason": [None, "wrong password"]},
            )
        elif not mfa_ok:
            form.add_error(None, "Confirm with your authenticator app first.")
        else:
            try:
                issued = api_token_issue(
                    household=household,
                    user=request.user,
                    name=data["name"],
                    scope=data["scope"],
                    expiry=data["expiry"],
                    request=request,
                )
            except ApplicationError as error:
                form.add_service_errors(error)
            else:
                request.session[SHOWN_SESSION_KEY] = {
                    "name": issued.token.name,
                    "key": issued.raw_key,
                    "scope": issued.token.scope,
                }
                return redirect("settings-tokens")
    shown = request.session.pop(SHOWN_SESSION_KEY, None)
    if shown is not None:
        shown["formula"] = (
            sheets_formula(request, shown["key"], household.pk)
            if shown["scope"] == ApiToken.Scope.READ
            else ""
        )
        shown["curl"] = (
            f'curl -H "Authorization: Token {shown["key"]}" {site_url(request)}/api/v1/holdings/'
        )
    reauth = reverse("mfa_reauthenticate") + "?" + urlencode({"next": request.path})
    return render(
        request,
        "settings/tokens.html",
        {
            "tokens": token_list(household=household),
            "form": form,
            "shown": shown,
            "mfa_ok": mfa_ok,
            "mfa_reauthenticate": reauth,
            "section": "tokens",
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    membership = owner_membership_or_403(request)
    try:
        token = token_get(household=membership.household, pk=int(pk))
    except ApiToken.DoesNotExist:
        raise Http404("No such token.") from None
    try:
        api_token_revoke(token=token, user=request.user, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Revoked the token {token.name}; it stops working now.")
    return redirect("settings-tokens")
