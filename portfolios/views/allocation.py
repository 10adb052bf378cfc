"""Browser page of the household against its policy: allocation, rebalancing, harvesting."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portfolios.selectors.allocation import allocation_list, harvest_list, rebalance_list
from portfolios.services.ledger import ledger_refresh_if_stale
from portfolios.views.households import current_membership_or_404


@login_required
def allocation_page(request: HttpRequest) -> HttpResponse:
    household = current_membership_or_404(request).household
    ledger_refresh_if_stale(household=household)
    return render(
        request,
        "portfolios/allocation.html",
        {
            "by_asset_class": allocation_list(household=household, by="asset_class"),
            "by_sleeve": allocation_list(household=household, by="sleeve"),
            "trades": rebalance_list(household=household),
            "candidates": harvest_list(household=household),
        },
    )
