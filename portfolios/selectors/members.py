"""Reads of a household's members and API tokens (the owners' settings pages)."""

from django.db.models import QuerySet

from portfolios.models import ApiToken, Household, Membership


def member_list(*, household: Household) -> QuerySet[Membership]:
    """Return the household's memberships with their users: owners first, then by name."""
    order = {Membership.Role.OWNER: 0, Membership.Role.MEMBER: 1, Membership.Role.VIEWER: 2}
    from django.db.models import Case, IntegerField, Value, When

    rank = Case(
        *(When(role=role, then=Value(position)) for role, position in order.items()),
        output_field=IntegerField(),
    )
    return (
        Membership.objects.filter(household=household)
        .select_related("user")
        .annotate(rank=rank)
        .order_by("rank", "user__username")
    )


def membership_get(*, household: Household, pk: int) -> Membership:
    """Return one membership of the household; Membership.DoesNotExist for any other."""
    return Membership.objects.select_related("user", "household").get(household=household, pk=pk)


def token_list(*, household: Household) -> QuerySet[ApiToken]:
    """Return the household's tokens, live ones first, newest first."""
    return (
        ApiToken.objects.filter(household=household)
        .select_related("user")
        .order_by("revoked_at", "-created_at")
    )


def token_get(*, household: Household, pk: int) -> ApiToken:
    """Return one token of the household; ApiToken.DoesNotExist for any other."""
    return ApiToken.objects.select_related("household", "user").get(household=household, pk=pk)
