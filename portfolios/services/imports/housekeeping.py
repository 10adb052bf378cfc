"""Housekeeping of uploaded files: a preview nobody confirmed does not keep its file forever."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from portfolios.models import ImportBatch

PREVIEW_LIFETIME = timedelta(days=2)


@transaction.atomic
def import_previews_prune(*, now: datetime | None = None) -> int:
    """Delete previews older than PREVIEW_LIFETIME and drop the files of rejected batches.

    A preview wrote no transaction, so deleting it loses nothing but the chance to confirm; a
    rejected batch keeps its record (file name, sha256, every bad row) without the file.
    Return the number of previews deleted.
    """
    cutoff = (now or timezone.now()) - PREVIEW_LIFETIME
    deleted, _ = ImportBatch.objects.filter(
        status=ImportBatch.Status.PREVIEW, created_at__lt=cutoff
    ).delete()
    ImportBatch.objects.filter(
        status=ImportBatch.Status.REJECTED, created_at__lt=cutoff, content__isnull=False
    ).update(content=None)
    return deleted
