"""The household switcher and what every page needs: the membership and the first-run page.

The dashboard and the account pages show every layer, so they live in ``alerts.dashboard``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portfolios.middleware import SESSION_KEY
from portfolios.selectors.households import membership_for_household


def first_run_page(request: HttpRequest, membership):
    from portfolios.views.settings.overview import first_run_page as page

    return page(request, membership)


def current_membership_or_404(request: HttpRequest):
    """Return the membership of the page's household; a user without one gets 404."""
    membership = request.membership
    if not membership:
        raise Http404("You do not belong to any household yet.")
    return membership


@login_required
@require_POST
def household_switch(request: HttpRequest) -> HttpResponse:
    membership = membership_for_household(
        user=request.user, household_id=request.POST.get("household")
    )
    if membership is None:
        raise Http404("No such household.")
    request.session[SESSION_KEY] = membership.household_id
    messages.info(request, f"Now working in {membership.household.name}.")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)
