"""The front page (`/`) and the account pages: thin views over ``alerts.selectors.dashboard``.

They live in the top layer because they show every layer at once: value and return
(reporting), the core-satellite picture (portfolios), income, and open alerts.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from alerts.selectors.dashboard import account_glance, household_glance
from portfolios.models import Account
from portfolios.selectors.accounts import ALL_ACCOUNTS, account_get
from portfolios.selectors.ledger import open_lots_list
from portfolios.selectors.transactions import transaction_list
from portfolios.services.ledger import ledger_refresh_if_stale
from portfolios.views.households import current_membership_or_404, first_run_page
from reporting.selectors.overview import CHART_PERIODS, DEFAULT_CHART_PERIOD

LEDGER_PAGE_SIZE = 50


def _period(request: HttpRequest) -> str:
    period = (request.GET.get("period") or "").upper()
    return period if period in dict(CHART_PERIODS) else DEFAULT_CHART_PERIOD


def _refresh(household) -> None:
    """Catch up the ledger if the worker has not yet (one query when it is current). The
    value series and the income projection are read as the worker stored them."""
    ledger_refresh_if_stale(household=household)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The household at a glance, or a group of its accounts (``?show=``)."""
    membership = current_membership_or_404(request)
    household = membership.household
    if not household.accounts.exists():
        return first_run_page(request, membership)  # a short checklist, not an empty page
    _refresh(household)
    glance = household_glance(household=household, show=request.GET.get("show", ALL_ACCOUNTS))
    return render(
        request,
        "dashboard/home.html",
        {
            "glance": glance,
            "period": _period(request),
            "periods": CHART_PERIODS,
            "chart_data": glance.chart_data | {"period": _period(request)},
            "open_alert_count": glance.open_alerts,
        },
    )


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One account: value and change, holdings with gains, open lots, income, return
    against the benchmark, then its ledger (``?page=``)."""
    membership = current_membership_or_404(request)
    household = membership.household
    try:
        account = account_get(household=household, ref=pk)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None
    if str(account.pk) != str(pk):
        raise Http404("No such account.")
    _refresh(household)
    glance = account_glance(household=household, account=account)
    ledger = Paginator(transaction_list(household=household, account=account), LEDGER_PAGE_SIZE)
    return render(
        request,
        "dashboard/account.html",
        {
            "account": account,
            "glance": glance,
            "holdings": glance.holdings,
            "cash": glance.cash,
            "lots": open_lots_list(household=household, account=account),
            "ledger": ledger.get_page(request.GET.get("page")),
            "period": _period(request),
            "periods": CHART_PERIODS,
            "chart_data": glance.chart_data | {"period": _period(request)},
        },
    )
