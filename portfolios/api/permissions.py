"""Small named permissions; the household a request works in is resolved here."""

from rest_framework import exceptions, permissions

from portfolios.models import ApiToken, Membership
from portfolios.selectors.households import membership_current, membership_for_household

HOUSEHOLD_PARAM = "household"


def resolve_membership(request) -> Membership:
    """Return (and cache on the request) the membership this API request works in.

    A `?household=` the caller does not belong to answers 404, as if it did not exist.
    """
    cached = getattr(request, "_hearth_membership", None)
    if cached is not None:
        return cached
    requested = request.query_params.get(HOUSEHOLD_PARAM)
    token = request.auth if isinstance(request.auth, ApiToken) else None
    if token is not None:
        if requested not in (None, "", str(token.household_id)):
            raise exceptions.NotFound("No such household.")
        membership = membership_for_household(user=request.user, household_id=token.household_id)
        if membership is None:
            raise exceptions.AuthenticationFailed("The token's user left this household.")
    elif requested not in (None, ""):
        membership = membership_for_household(user=request.user, household_id=requested)
        if membership is None:
            raise exceptions.NotFound("No such household.")
    else:
        session_choice = request.session.get("hearth_household_id") if request.session else None
        membership = membership_current(user=request.user, household_id=session_choice)
        if membership is None:
            raise exceptions.NotFound("You do not belong to any household.")
    request._hearth_membership = membership
    return membership


class HouseholdRolePermission(permissions.BasePermission):
    """Members read; writing needs the member or owner role and, with a token, write scope."""

    message = "Your role in this household is read-only."

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if getattr(view, "household_free", False):
            return True
        membership = resolve_membership(request)
        if request.method in permissions.SAFE_METHODS:
            return True
        if isinstance(request.auth, ApiToken) and request.auth.scope != ApiToken.Scope.WRITE:
            self.message = "This token is read-only; use a write-scope token."
            return False
        return membership.can_write


class IsHouseholdOwner(permissions.BasePermission):
    """Only the household's owner (members, tokens)."""

    message = "Only the household's owner may do this."

    def has_permission(self, request, view) -> bool:
        return resolve_membership(request).is_owner
