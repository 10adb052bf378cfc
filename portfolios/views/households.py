"""Browser pages: the dashboard, the household switcher and account pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portfolios.middleware import SESSION_KEY
from portfolios.models import Account
from portfolios.selectors.accounts import account_cash_balances, account_get, account_list
from portfolios.selectors.households import membership_for_household


def current_membership_or_404(request: HttpRequest):
    """Return the membership of the page's household; a user without one gets 404."""
    membership = request.membership
    if not membership:
        raise Http404("You do not belong to any household yet.")
    return membership


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = current_membership_or_404(request)
    household = membership.household
    accounts = list(account_list(household=household))
    balances = account_cash_balances(household=household)
    rows = [{"account": account, "cash": balances.get(account.pk, 0)} for account in accounts]
    return render(
        request,
        "portfolios/dashboard.html",
        {"accounts": rows, "total_cash": sum((row["cash"] for row in rows), 0)},
    )


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = current_membership_or_404(request)
    try:
        account = account_get(household=membership.household, ref=pk)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None
    balances = account_cash_balances(household=membership.household)
    transactions = account.transactions.select_related("security").order_by("-trade_date", "-id")[
        :200
    ]
    return render(
        request,
        "portfolios/account_detail.html",
        {"account": account, "cash": balances.get(account.pk, 0), "transactions": transactions},
    )


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
