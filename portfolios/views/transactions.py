"""Browser pages: the transactions list with filters, edit and delete."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from portfolios.api.exceptions import ApplicationError
from portfolios.forms.transactions import TransactionFilterForm, TransactionForm
from portfolios.models import Membership, Transaction
from portfolios.remembered import figures_key
from portfolios.selectors.securities import security_profiles
from portfolios.selectors.transactions import transaction_get, transaction_list
from portfolios.services.transactions import (
    transaction_delete,
    transaction_fields,
    transaction_update,
)
from portfolios.views.households import current_membership_or_404

PAGE_SIZE = 50


def writer_membership_or_403(request: HttpRequest) -> Membership:
    """Return the page's membership when its role may change data; viewers get 403."""
    membership = current_membership_or_404(request)
    if not membership.can_write:
        raise PermissionDenied("Your role in this household is read-only.")
    return membership


def _transaction_or_404(membership: Membership, pk: int) -> Transaction:
    try:
        return transaction_get(household=membership.household, pk=pk)
    except Transaction.DoesNotExist:
        raise Http404("No such transaction.") from None


@login_required
def transaction_list_page(request: HttpRequest) -> HttpResponse:
    membership = current_membership_or_404(request)
    household = membership.household
    form = TransactionFilterForm(request.GET or None, household=household)
    filters = form.filters() if form.is_bound and form.is_valid() else {}
    query = request.GET.copy()
    query.pop("page", None)

    @functools.cache
    def page():
        rows = transaction_list(household=household, **filters)
        return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))

    @functools.cache
    def to_review() -> set[int]:
        # The household's own classification says what needs review, never the shared flag.
        shown = {t.security_id for t in page() if t.security_id}
        return {
            pk
            for pk, view in security_profiles(household=household, security_ids=shown).items()
            if view.needs_review
        }

    # The page of rows is read only when its rendered table is not kept for this version of
    # the data, these filters and this page (the template calls ``page``).
    return render(
        request,
        "portfolios/transactions/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_write": membership.can_write,
            "to_review": to_review,
            "figures_key": figures_key(
                "transactions page",
                household.pk,
                membership.can_write,
                sorted(request.GET.lists()),
            ),
        },
    )


@login_required
def transaction_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = writer_membership_or_403(request)
    txn = _transaction_or_404(membership, pk)
    initial = transaction_fields(txn)
    form = TransactionForm(request.POST or None, initial=initial, household=membership.household)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            transaction_update(txn=txn, fields=changes, user=request.user, request=request)
        except ApplicationError as error:
            for field, problems in error.errors.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(
                request, f"Saved the {txn.get_type_display().lower()} of {txn.trade_date}."
            )
            return redirect(reverse("transaction-list"))
    return render(
        request,
        "portfolios/transactions/edit.html",
        {"form": form, "transaction": txn, "external_id": initial["id"]},
    )


@login_required
def transaction_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    membership = writer_membership_or_403(request)
    txn = _transaction_or_404(membership, pk)
    if request.method == "POST":
        try:
            transaction_delete(txn=txn, user=request.user, request=request)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, f"Deleted the {txn.get_type_display().lower()} of {txn.trade_date}."
            )
            return redirect(reverse("transaction-list"))
    return render(request, "portfolios/transactions/delete.html", {"transaction": txn})
