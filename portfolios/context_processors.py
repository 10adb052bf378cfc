from django.conf import settings

from portfolios.selectors.households import memberships_of_user


def household(request) -> dict:
    """Expose the current household and the user's other households to templates."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"demo_mode": settings.DEMO_MODE}
    membership = request.membership
    return {
        "current_membership": membership or None,
        "current_household": membership.household if membership else None,
        "user_memberships": memberships_of_user(user=user),
        "demo_mode": settings.DEMO_MODE,
        "price_provider": settings.PRICE_PROVIDER,
    }
