"""The settings index and the first-run checklist."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portfolios.models import Membership
from portfolios.selectors.securities import security_review_count
from portfolios.selectors.setup import setup_progress
from portfolios.views.households import current_membership_or_404


@login_required
def settings_index(request: HttpRequest) -> HttpResponse:
    membership = current_membership_or_404(request)
    household = membership.household
    return render(
        request,
        "settings/index.html",
        {
            "progress": setup_progress(household=household),
            "to_review": security_review_count(household=household),
            "accounts": household.accounts.count(),
            "members": household.memberships.count(),
            "section": "index",
        },
    )


@login_required
def settings_start(request: HttpRequest) -> HttpResponse:
    return first_run_page(request, current_membership_or_404(request))


def first_run_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Return the first-run checklist (the dashboard shows it while there is no account)."""
    return render(
        request,
        "settings/start.html",
        {"progress": setup_progress(household=membership.household), "section": "start"},
    )
