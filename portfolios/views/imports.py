"""Browser pages: upload a transactions file, preview what it adds, confirm the import."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portfolios.forms.transactions import ImportUploadForm
from portfolios.imports import MAX_FILE_BYTES
from portfolios.models import ImportBatch, Membership
from portfolios.selectors.transactions import import_batch_get, import_batch_list
from portfolios.services.imports import (
    ImportResult,
    transactions_import,
    transactions_import_confirm,
    transactions_import_preview,
)
from portfolios.views.transactions import writer_membership_or_403

# The preview lists this many rows and problems; the counts always cover the whole file.
PREVIEW_ROWS = 1000
SHOWN_ERRORS = 200
RECENT_BATCHES = 20


def _batch_or_404(membership: Membership, pk: int) -> ImportBatch:
    try:
        return import_batch_get(household=membership.household, pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404("No such import.") from None


def _render_batch(request: HttpRequest, batch: ImportBatch, result: ImportResult | None):
    rows = result.rows if result is not None else []
    errors = result.errors if result is not None else batch.errors
    review = result.review if result is not None else (batch.review or {})
    return render(
        request,
        "portfolios/imports/detail.html",
        {
            "batch": batch,
            "result": result,
            "rows": rows[:PREVIEW_ROWS],
            "rows_hidden": max(0, len(rows) - PREVIEW_ROWS),
            "errors": errors[:SHOWN_ERRORS],
            "error_count": len(errors),
            "errors_hidden": max(0, len(errors) - SHOWN_ERRORS),
            "rejected_rows": result.rejected if result is not None else batch.rows_rejected,
            "review": review,
            "opening_csv": review.get("opening_csv", ""),
            "waiting": batch.status == ImportBatch.Status.PREVIEW,
            "same_file": ImportBatch.objects.filter(
                household=batch.household,
                sha256=batch.sha256,
                status=ImportBatch.Status.IMPORTED,
            )
            .exclude(pk=batch.pk)
            .order_by("-created_at")
            .first(),
        },
    )


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload step: the file is checked in full and shown as a preview to confirm."""
    membership = writer_membership_or_403(request)
    household = membership.household
    form = ImportUploadForm(request.POST or None, request.FILES or None, household=household)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = transactions_import_preview(
            household=household,
            content=upload.read(MAX_FILE_BYTES + 1),
            filename=upload.name,
            format=form.cleaned_data["format"] or None,
            account=form.chosen_account(),
            user=request.user,
            create_accounts=form.cleaned_data["create_accounts"],
            open_missing=form.cleaned_data["open_missing"],
        )
        return _render_batch(request, result.batch, result)
    return render(
        request,
        "portfolios/imports/upload.html",
        {
            "form": form,
            "batches": import_batch_list(household=household)[:RECENT_BATCHES],
            "max_megabytes": MAX_FILE_BYTES // (1024 * 1024),
        },
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An import's outcome; a preview still waiting is checked again and listed in full."""
    membership = writer_membership_or_403(request)
    batch = _batch_or_404(membership, pk)
    result = None
    if batch.status == ImportBatch.Status.PREVIEW and batch.content is not None:
        result = transactions_import(
            household=batch.household,
            content=bytes(batch.content),
            filename=batch.file_name,
            format=batch.format or None,
            account=batch.account,
            dry_run=True,
            create_accounts=batch.create_accounts,
            open_missing=batch.open_missing,
        )
    return _render_batch(request, batch, result)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    membership = writer_membership_or_403(request)
    batch = _batch_or_404(membership, pk)
    result = transactions_import_confirm(batch=batch, user=request.user)
    if result.ok:
        messages.success(
            request,
            f"Imported {result.added} transactions from {batch.file_name} "
            f"({result.duplicates} already there).",
        )
    else:
        messages.error(request, f"{batch.file_name} was not imported: {result.errors[0]}")
    return redirect("import-detail", pk=batch.pk)
