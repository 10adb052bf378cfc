"""The front page (`/`) and the account pages: thin views over ``alerts.selectors.dashboard``.

They live in the top layer because they show every layer at once: value and return
(reporting), the core-satellite picture (portfolios), income, and open alerts.
"""

import functools

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import date as date_filter

from alerts.selectors.dashboard import account_glance, household_glance
from portfolios import formatting
from portfolios.models import Account
from portfolios.remembered import data_version, figures_key, remembered
from portfolios.selectors.accounts import ALL_ACCOUNTS, account_get
from portfolios.selectors.as_of import household_today
from portfolios.selectors.ledger import OpenLotRow, open_lot_rows
from portfolios.selectors.transactions import transaction_list
from portfolios.services.ledger import ledger_refresh_if_stale
from portfolios.views.households import current_membership_or_404, first_run_page
from reporting.selectors.market import last_closed_session
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
    show = request.GET.get("show", ALL_ACCOUNTS)
    period = _period(request)
    # A function of the data, the household's day and the last closed session (stale prices).
    key = (household.pk, show, household_today(household), last_closed_session())
    version = data_version()  # once, after the refresh: the glance and its rendering

    @functools.cache
    def glance():
        return remembered(
            "household glance",
            *key,
            compute=lambda: household_glance(household=household, show=show),
            version=version,
        )

    # The page's figures are rendered once per version of the data (the template's cached
    # fragment); the glance is read only when they are not (the template calls it).
    return render(
        request,
        "dashboard/home.html",
        {
            "glance": glance,
            "figures_key": figures_key("dashboard", *key, period, version=version),
            "period": period,
            "periods": CHART_PERIODS,
            "chart_data": lambda: glance().chart_data | {"period": period},
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
    glance = remembered(
        "account glance",
        household.pk,
        account.pk,
        household_today(household),
        compute=lambda: account_glance(household=household, account=account),
    )
    ledger = Paginator(transaction_list(household=household, account=account), LEDGER_PAGE_SIZE)
    return render(
        request,
        "dashboard/account.html",
        {
            "account": account,
            "glance": glance,
            "holdings": glance.holdings,
            "cash": glance.cash,
            "lots": _lot_rows(open_lot_rows(household=household, account=account), account),
            "ledger": ledger.get_page(request.GET.get("page")),
            "period": _period(request),
            "periods": CHART_PERIODS,
            "chart_data": glance.chart_data | {"period": _period(request)},
        },
    )


def _lot_rows(lots: list[OpenLotRow], account: Account) -> list[dict]:
    """Return the account's open lots with every cell already formatted
    (``portfolios.formatting``): an account can hold a thousand lots, each costing a dozen
    template lookups and filters otherwise."""
    currency = account.currency
    rows = []
    for lot in lots:
        rows.append(
            {
                "security": formatting.security_text(lot.symbol, lot.name),
                "acquired": date_filter(lot.acquired, "M j, Y"),
                "shares": formatting.quantity_text(lot.quantity),
                "cost": (
                    "unknown"
                    if lot.basis_unknown
                    else formatting.money_text(lot.cost_basis, currency or "USD")
                ),
                "value": formatting.money_text(lot.market_value, currency or "USD"),
                "gain": formatting.signed_money_text(lot.unrealized_gain, currency or "USD"),
                "gain_class": formatting.gain_class(lot.unrealized_gain),
                "term": formatting.term_label(lot.term),
            }
        )
    return rows
