from django.utils.functional import SimpleLazyObject

from portfolios.selectors.households import membership_current

SESSION_KEY = "hearth_household_id"


class CurrentHouseholdMiddleware:
    """Attach the membership the browser session is working in (`request.membership`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(
            lambda: membership_current(
                user=request.user, household_id=request.session.get(SESSION_KEY)
            )
        )
        return self.get_response(request)
