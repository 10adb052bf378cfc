from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from portfolios.selectors.households import membership_current

SESSION_KEY = "hearth_household_id"


class CurrentHouseholdMiddleware:
    """Attach the membership the browser session is working in (`request.membership`), and
    show times in that household's time zone (times are stored in UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(
            lambda: membership_current(
                user=request.user, household_id=request.session.get(SESSION_KEY)
            )
        )
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            membership = request.membership
            if membership:
                try:
                    timezone.activate(ZoneInfo(membership.household.time_zone))
                except (ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
