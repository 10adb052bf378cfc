"""Browser pages of the derived ledger: holdings, the lots of a position, realized gains."""

import functools

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from portfolios import formatting
from portfolios.calculations.lots import LedgerError
from portfolios.models import Account, Household, LedgerState, Security, Transaction
from portfolios.remembered import data_version, figures_key, remembered
from portfolios.selectors.accounts import account_get
from portfolios.selectors.as_of import household_today
from portfolios.selectors.ledger import (
    holdings_report,
    open_lots_list,
    realized_gain_totals,
    realized_gain_years,
    realized_gains_list,
)
from portfolios.services.ledger import ledger_refresh_if_stale
from portfolios.views.households import current_membership_or_404


class HoldingsForm(forms.Form):
    view = forms.ChoiceField(
        choices=[("accounts", "Per account"), ("consolidated", "Consolidated")],
        required=False,
    )
    as_of = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


@login_required
def holdings_page(request: HttpRequest) -> HttpResponse:
    household = current_membership_or_404(request).household
    ledger_refresh_if_stale(household=household)
    form = HoldingsForm(request.GET or None)
    valid = form.is_bound and form.is_valid()
    consolidated = valid and form.cleaned_data["view"] == "consolidated"
    as_of = form.cleaned_data["as_of"] if valid else None
    error = ""

    def figures():
        report = holdings_report(household=household, as_of=as_of, consolidated=consolidated)
        return report, _holding_rows(report, household.base_currency)

    key = (household.pk, as_of or household_today(household), consolidated)
    version = data_version()  # once, after the refresh: the figures and their rendering
    try:
        report, rows = remembered("holdings page", *key, compute=figures, version=version)
    except LedgerError as exc:
        report, rows, error = None, [], str(exc)
    return render(
        request,
        "portfolios/holdings.html",
        {
            "form": form,
            "report": report,
            "rows": rows,
            "figures_key": figures_key("holdings page", *key, version=version),
            "consolidated": consolidated,
            "ledger_error": error or _stored_error(household),
        },
    )


@login_required
def position_lots_page(request: HttpRequest, security_pk: int) -> HttpResponse:
    household = current_membership_or_404(request).household
    ledger_refresh_if_stale(household=household)
    security = _held_security_or_404(household, security_pk)
    account = None
    if request.GET.get("account"):
        account = _account_or_404(household, request.GET["account"])
    lots = open_lots_list(household=household, security=security, account=account)
    return render(
        request,
        "portfolios/position_lots.html",
        {
            "security": security,
            "account": account,
            "lots": lots,
            "today": household_today(household),
            "quantity": sum(row.lot.quantity for row in lots),
            "cost_basis": sum(row.lot.cost_basis for row in lots),
            "basis_unknown": any(row.lot.basis_unknown for row in lots),
        },
    )


@login_required
def realized_gains_page(request: HttpRequest) -> HttpResponse:
    household = current_membership_or_404(request).household
    ledger_refresh_if_stale(household=household)
    version = data_version()  # once, after the refresh
    years = remembered(
        "gain years",
        household.pk,
        compute=lambda: realized_gain_years(household=household),
        version=version,
    )
    year = _year_param(
        request.GET.get("year"),
        default=years[0] if years else household_today(household).year,
    )
    reliefs = realized_gains_list(household=household, year=year)

    @functools.cache
    def page():
        rows = reliefs.values_list(*GAIN_ROW_COLUMNS)
        return Paginator(rows, GAINS_PAGE_SIZE).get_page(request.GET.get("page"))

    # The year's totals and page of sales are read only when their rendered tables are not
    # kept for this version of the data (the template calls these).
    return render(
        request,
        "portfolios/realized_gains.html",
        {
            "year": year,
            "query": f"year={year}",  # the page links' other parameter
            "years": years,
            "page": page,
            "reliefs": functools.cache(
                lambda: _gain_rows(page().object_list, household.base_currency)
            ),
            "totals": functools.cache(lambda: realized_gain_totals(reliefs)),
            "ledger_error": _stored_error(household),
            "figures_key": figures_key("gains page", household.pk, year, request.GET.get("page")),
        },
    )


def _holding_rows(report, currency: str) -> list[dict]:
    """Return the holdings page's rows with every cell already formatted
    (``portfolios.formatting``): hundreds of positions, each formatted once here rather
    than through a dozen template lookups and filters per row."""
    lots_urls: dict[int, str] = {}
    rows = []
    for h in report.holdings:
        if h.security_id not in lots_urls:
            lots_urls[h.security_id] = reverse("position-lots", args=[h.security_id])
        lots_url = lots_urls[h.security_id]
        rows.append(
            {
                "symbol": h.symbol,
                "name": h.name if h.name and h.name != h.symbol else "",
                "account": h.account,
                "sleeve": formatting.sleeve_label(h.sleeve) if h.sleeve else "",
                "asset_class": formatting.asset_class_label(h.asset_class),
                "shares": formatting.quantity_text(h.quantity),
                "price": formatting.money_text(h.price, currency) if h.price is not None else "",
                "cost_basis": formatting.money_text(h.cost_basis, currency),
                "basis_unknown": h.basis_unknown,
                "market_value": formatting.money_text(h.market_value, currency),
                "gain": formatting.signed_money_text(h.unrealized_gain, currency),
                "gain_class": formatting.gain_class(h.unrealized_gain),
                "weight": formatting.percent_text(h.weight, 2),
                "lots_url": (f"{lots_url}?account={h.account_id}" if h.account_id else lots_url),
            }
        )
    return rows


# A page of a year's sales: a busy year has hundreds; the totals are the whole year's, and
# the CSV (API) has every row.
GAINS_PAGE_SIZE = 100
GAIN_ROW_COLUMNS = (
    "sold",
    "account__name",
    "security__symbol",
    "security__name",
    "acquired",
    "holding_period_start",
    "quantity",
    "proceeds",
    "cost_basis",
    "gain",
    "wash_sale_disallowed",
    "term",
    "code",
    "basis_unknown",
)


def _gain_rows(reliefs, currency: str) -> list[dict]:
    """Return the page's sales (tuples of ``GAIN_ROW_COLUMNS``) with every cell already
    formatted (``portfolios.formatting``) once here, rather than through a dozen template
    lookups and filters per row."""
    rows = []
    for row in reliefs:
        sold, account, symbol, name, acquired, start, quantity, proceeds, cost, gain = row[:10]
        disallowed, term, code, basis_unknown = row[10:]
        taxable = gain + disallowed
        rows.append(
            {
                "sold": sold.isoformat(),
                "account": account,
                "symbol": symbol,
                "name": name if name and name != symbol else "",
                "acquired": acquired.isoformat(),
                "holding_period_start": start.isoformat(),
                "shares": formatting.quantity_text(quantity),
                "proceeds": formatting.money_text(proceeds, currency),
                "basis_unknown": basis_unknown,
                "cost_basis": formatting.money_text(cost, currency),
                "gain": formatting.signed_money_text(gain, currency),
                "gain_class": formatting.gain_class(gain),
                "disallowed": formatting.money_text(disallowed, currency) if disallowed else "",
                "taxable_gain": formatting.signed_money_text(taxable, currency),
                "taxable_class": formatting.gain_class(taxable),
                "term": formatting.term_label(term),
                "code": code,
            }
        )
    return rows


def _held_security_or_404(household: Household, pk: int) -> Security:
    """Return a security the household has traded; any other answers 404."""
    traded = Transaction.objects.filter(account__household=household, security_id=pk)
    security = Security.objects.filter(pk=pk).first()
    if security is None or not traded.exists():
        raise Http404("No such position.")
    return security


def _account_or_404(household: Household, ref: str) -> Account:
    try:
        return account_get(household=household, ref=ref)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None


def _year_param(value: str | None, *, default: int) -> int:
    if value and value.isascii() and value.isdigit() and 1900 <= int(value) <= 2200:
        return int(value)
    return default


def _stored_error(household: Household) -> str:
    state = LedgerState.objects.filter(household=household).only("error").first()
    return state.error if state else ""
