"""Securities: the household's classification of what it holds or held.

Those needing review come first. Each row can be edited on its own page, or in place with
HTMX; ticked rows take the same values at once (bulk edit); a CSV of classifications can be
uploaded (the same file ``manage.py import_securities`` reads).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portfolios.errors import ApplicationError
from portfolios.forms.settings import SecurityBulkForm, SecurityForm, SecurityImportForm
from portfolios.imports import MAX_FILE_BYTES
from portfolios.models import IdentityGroup, Membership, Security
from portfolios.selectors.securities import security_get, security_view, security_view_list
from portfolios.services.classification import (
    CSV_COLUMNS,
    securities_classify_bulk,
    securities_import,
    security_classify,
    security_provider_lookup,
)
from portfolios.views.households import current_membership_or_404
from portfolios.views.settings import writer_or_403

# One "look up" press asks the provider about at most this many securities.
LOOKUP_BATCH = 25


def _security_or_404(membership: Membership, pk: int) -> Security:
    try:
        return security_get(household=membership.household, pk=int(pk))
    except Security.DoesNotExist:
        raise Http404("No such security in this household.") from None


def _groups(membership: Membership) -> list[str]:
    return list(
        IdentityGroup.objects.filter(household=membership.household).values_list("name", flat=True)
    )


@login_required
def securities_settings(request: HttpRequest) -> HttpResponse:
    membership = current_membership_or_404(request)
    household = membership.household
    only_review = request.GET.get("review") == "1"
    rows = security_view_list(household=household)
    if only_review:
        rows = rows.filter(view_needs_review=True)
    views = [security_view(security) for security in rows]
    return render(
        request,
        "settings/securities.html",
        {
            "views": views,
            "to_review": sum(1 for view in views if view.needs_review),
            "only_review": only_review,
            "bulk_form": SecurityBulkForm(),
            "import_form": SecurityImportForm(),
            "columns": ", ".join(CSV_COLUMNS),
            "max_megabytes": MAX_FILE_BYTES // (1024 * 1024),
            "groups": _groups(membership),
            "can_write": membership.can_write,
            "section": "securities",
        },
    )


@login_required
def security_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit one security's classification: a page, or a table row when HTMX asks."""
    membership = current_membership_or_404(request)
    security = _security_or_404(membership, pk)
    view = security_view(security)
    inline = bool(getattr(request, "htmx", False))
    form = SecurityForm(request.POST or None, initial=SecurityForm.initial_for(view))
    if request.method == "POST":
        writer_or_403(request)
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            if "provider" in request.POST:  # "use the provider's name and kind"
                changes = {"name": view.provider_name or view.name}
                if view.provider_kind:
                    changes["kind"] = view.provider_kind
            try:
                view = security_classify(
                    household=membership.household,
                    security=security,
                    changes=changes if changes else {"kind": view.kind},
                    request=request,
                )
            except ApplicationError as error:
                form.add_service_errors(error)
            else:
                if inline:
                    return render(
                        request,
                        "settings/_security_row.html",
                        {"view": view, "can_write": True, "saved": True},
                    )
                messages.success(request, f"Saved {view.symbol}.")
                return redirect("settings-securities")
    if inline and request.GET.get("cancel"):
        return render(request, "settings/_security_row.html", {"view": view, "can_write": True})
    template = "settings/_security_row_form.html" if inline else "settings/security_edit.html"
    return render(
        request,
        template,
        {
            "form": form,
            "view": view,
            "groups": _groups(membership),
            "can_write": membership.can_write,
            "section": "securities",
        },
    )


@login_required
@require_POST
def securities_bulk(request: HttpRequest) -> HttpResponse:
    membership = writer_or_403(request)
    household = membership.household
    form = SecurityBulkForm(request.POST)
    chosen = [int(pk) for pk in request.POST.getlist("security") if pk.isdigit()]
    held = set(security_view_list(household=household).values_list("pk", flat=True))
    if any(pk not in held for pk in chosen):
        raise Http404("No such security in this household.")
    if not form.is_valid():
        messages.error(request, "The bulk change was not applied.")
        return redirect("settings-securities")
    changes = form.changes()
    if "confirm" in request.POST and not changes:
        # "Mark as reviewed": keep each ticked security's values, confirm them as its own.
        changes = {}
    try:
        outcome = securities_classify_bulk(
            household=household,
            security_ids=chosen,
            changes=changes,
            request=request,
        )
    except ApplicationError as error:
        problems = "; ".join(f"{k}: {', '.join(v)}" for k, v in error.errors.items())
        messages.error(request, f"{error.message} {problems}".strip())
    else:
        messages.success(
            request,
            f"Updated {outcome.count} of {len(chosen)} securities."
            if outcome.count
            else "Nothing changed.",
        )
    return redirect("settings-securities")


@login_required
@require_POST
def securities_upload(request: HttpRequest) -> HttpResponse:
    membership = writer_or_403(request)
    form = SecurityImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a CSV file to upload.")
        return redirect("settings-securities")
    upload = form.cleaned_data["file"]
    try:
        result = securities_import(
            household=membership.household,
            content=upload.read(MAX_FILE_BYTES + 1),
            file_name=upload.name,
            request=request,
        )
    except ApplicationError as error:
        return render(
            request,
            "settings/securities_import_errors.html",
            {"error": error, "file_name": upload.name, "section": "securities"},
            status=400,
        )
    messages.success(request, f"Imported {result.summary()}.")
    return redirect("settings-securities")


@login_required
@require_POST
def securities_lookup(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Ask the price provider what one security (or those needing review) is."""
    membership = writer_or_403(request)
    if pk is not None:
        securities = [_security_or_404(membership, pk)]
    else:
        securities = list(
            security_view_list(household=membership.household).filter(view_needs_review=True)[
                :LOOKUP_BATCH
            ]
        )
    known = sum(1 for security in securities if security_provider_lookup(security=security))
    if pk is not None and not known:
        messages.info(request, f"The price provider does not know {securities[0].symbol}.")
    else:
        messages.info(
            request,
            f"The price provider described {known} of {len(securities)} securities; "
            "its suggestions are shown beside each.",
        )
    if pk is not None:
        return redirect("settings-security-edit", pk=pk)
    return redirect("settings-securities")
