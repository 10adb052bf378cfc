"""Accounts: list, create, edit, close or reopen, delete (only without transactions)."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portfolios.errors import ApplicationError
from portfolios.forms.settings import AccountForm
from portfolios.models import Account, Membership
from portfolios.selectors.accounts import account_cash_balances, account_get, account_list
from portfolios.services.accounts import (
    account_add,
    account_close,
    account_delete,
    account_reopen,
    account_update,
)
from portfolios.views.households import current_membership_or_404
from portfolios.views.settings import writer_or_403


def _account_or_404(membership: Membership, pk: int) -> Account:
    try:
        return account_get(household=membership.household, ref=int(pk))
    except Account.DoesNotExist:
        raise Http404("No such account.") from None


@login_required
def accounts_settings(request: HttpRequest) -> HttpResponse:
    membership = current_membership_or_404(request)
    household = membership.household
    form = AccountForm(request.POST or None, household=household)
    if request.method == "POST":
        writer_or_403(request)
        if form.is_valid():
            try:
                account = account_add(
                    household=household, fields=form.cleaned_data, request=request
                )
            except ApplicationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"Created the account {account.name}.")
                return redirect("settings-accounts")
    accounts = account_list(household=household).annotate(
        transaction_count=Count("transactions", distinct=True)
    )
    balances = account_cash_balances(household=household)
    rows = [
        {"account": account, "cash": balances.get(account.pk, Decimal(0))}
        for account in accounts.order_by("closed_on", "name")
    ]
    return render(
        request,
        "settings/accounts.html",
        {
            "rows": rows,
            "open_rows": [r for r in rows if r["account"].closed_on is None],
            "closed_rows": [r for r in rows if r["account"].closed_on is not None],
            "form": form,
            "can_write": membership.can_write,
            "section": "accounts",
        },
    )


@login_required
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = current_membership_or_404(request)
    account = _account_or_404(membership, pk)
    form = AccountForm(
        request.POST or None,
        household=membership.household,
        initial=AccountForm.initial_for(account),
    )
    if request.method == "POST":
        writer_or_403(request)
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                account = account_update(account=account, changes=changes, request=request)
            except ApplicationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"Saved {account.name}.")
                return redirect("settings-accounts")
    transactions = account.transactions.count() + account.transfers_in.count()
    return render(
        request,
        "settings/account_edit.html",
        {
            "form": form,
            "account": account,
            "transactions": transactions,
            "can_write": membership.can_write,
            "section": "accounts",
        },
    )


@login_required
@require_POST
def account_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = writer_or_403(request)
    account = _account_or_404(membership, pk)
    try:
        if account.closed_on is None:
            account_close(account=account, request=request)
            messages.success(
                request, f"Closed {account.name}. Its history stays; the dashboard hides it."
            )
        else:
            account_reopen(account=account, request=request)
            messages.success(request, f"Reopened {account.name}.")
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("settings-account-edit", pk=account.pk)


@login_required
def account_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = writer_or_403(request)
    account = _account_or_404(membership, pk)
    if request.method == "POST":
        try:
            account_delete(account=account, request=request)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("settings-account-edit", pk=account.pk)
        messages.success(request, f"Deleted the account {account.name}.")
        return redirect("settings-accounts")
    return render(
        request, "settings/account_delete.html", {"account": account, "section": "accounts"}
    )
