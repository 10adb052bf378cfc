"""Browser pages: the dashboard, the household switcher and account pages."""

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portfolios.middleware import SESSION_KEY
from portfolios.models import Account
from portfolios.selectors.accounts import account_cash_balances, account_get, account_list
from portfolios.selectors.as_of import household_today
from portfolios.selectors.households import membership_for_household
from portfolios.selectors.ledger import holdings_report
from portfolios.services.ledger import ledger_refresh_if_stale


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
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = current_membership_or_404(request)
    household = membership.household
    if not household.accounts.exists():
        return first_run_page(request, membership)  # a short checklist, not an empty page
    ledger_refresh_if_stale(household=household)
    report = holdings_report(household=household)
    balances = report.cash_by_account
    invested_by_account: dict[int, Decimal] = defaultdict(Decimal)
    unpriced: set[int] = set()
    for holding in report.holdings:
        if holding.market_value is None:
            unpriced.add(holding.account_id)
        else:
            invested_by_account[holding.account_id] += holding.market_value
    rows = [
        {
            "account": account,
            "invested": invested_by_account[account.pk],
            "cash": balances.get(account.pk, Decimal(0)),
            "total": invested_by_account[account.pk] + balances.get(account.pk, Decimal(0)),
            "unpriced": account.pk in unpriced,
        }
        for account in account_list(household=household).filter(closed_on__isnull=True)
    ]
    sleeves = _sleeve_weights(household, rows, report.total)
    return render(
        request,
        "portfolios/dashboard.html",
        {
            "accounts": rows,
            "report": report,
            "unrealized": sum(
                (h.unrealized_gain for h in report.holdings if h.unrealized_gain is not None),
                Decimal(0),
            ),
            "sleeves": sleeves,
        },
    )


def _sleeve_weights(household, rows: list[dict], total: Decimal) -> list[dict]:
    """Return each sleeve's share of the household against its target (accounts' sleeves)."""
    by_sleeve: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        sleeve = row["account"].default_sleeve
        by_sleeve[sleeve.name if sleeve else "unassigned"] += row["total"]
    result = []
    for sleeve in household.sleeves.all():
        weight = by_sleeve.pop(sleeve.name, Decimal(0)) / total * 100 if total else Decimal(0)
        result.append(
            {
                "name": sleeve.name,
                "weight": weight,
                "target": sleeve.target_weight,
                "drift": weight - sleeve.target_weight,
            }
        )
    for name, value in by_sleeve.items():
        weight = value / total * 100 if total else Decimal(0)
        result.append({"name": name, "weight": weight, "target": None, "drift": None})
    return result


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = current_membership_or_404(request)
    try:
        account = account_get(household=membership.household, ref=pk)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None
    balances = account_cash_balances(
        household=membership.household, as_of=household_today(membership.household)
    )
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
