"""Reads of households and memberships; everything else hangs off a membership."""

from django.db.models import QuerySet

from portfolios.formatting import person_name
from portfolios.models import Household, Membership

MAX_PK = 2**63 - 1


def _pk(value: int | str | None) -> int | None:
    """Return value as a primary key, or None when it cannot be one (text, '¹', 10**30)."""
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if 0 < number <= MAX_PK else None


def memberships_of_user(*, user) -> QuerySet[Membership]:
    """Return the user's memberships with their households, by household name."""
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("household")


def membership_current(*, user, household_id: int | str | None) -> Membership | None:
    """Return the membership for household_id, else the user's first; None if the user has none.

    A household the user does not belong to is never returned.
    """
    memberships = memberships_of_user(user=user)
    pk = _pk(household_id)
    if pk is not None:
        chosen = memberships.filter(household_id=pk).first()
        if chosen is not None:
            return chosen
    return memberships.first()


def membership_for_household(*, user, household_id: int | str) -> Membership | None:
    """Return the user's membership of exactly this household, or None."""
    pk = _pk(household_id)
    if pk is None:
        return None
    return memberships_of_user(user=user).filter(household_id=pk).first()


def household_by_name(*, name: str) -> Household:
    """Return the household named name (for commands), raising Household.DoesNotExist."""
    return Household.objects.get(name=name)


def member_names(*, household: Household) -> dict[str, str]:
    """Return the household's members by username, each as people call them (full name,
    else first name, else the username): for pages whose figures are keyed by username."""
    memberships = Membership.objects.filter(household=household).select_related("user")
    return {m.user.username: person_name(m.user) for m in memberships}
