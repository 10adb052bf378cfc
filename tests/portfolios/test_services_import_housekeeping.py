from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from portfolios.models import ImportBatch
from portfolios.tasks import prune_import_previews_task

pytestmark = pytest.mark.django_db


def batch(household, status: str) -> ImportBatch:
    return ImportBatch.objects.create(
        household=household, file_name="f.csv", sha256="0" * 64, format="hearth",
        status=status, content=b"date,account,type\n",
    )  # fmt: skip


def test_old_previews_go_and_rejected_batches_lose_only_their_file(cast):
    # given batches made three days ago, and a preview made now
    with time_machine.travel(timezone.now() - timedelta(days=3)):
        old_preview = batch(cast.household_a, ImportBatch.Status.PREVIEW)
        old_rejected = batch(cast.household_a, ImportBatch.Status.REJECTED)
        old_imported = batch(cast.household_a, ImportBatch.Status.IMPORTED)
    fresh_preview = batch(cast.household_a, ImportBatch.Status.PREVIEW)
    # when the nightly task runs
    assert prune_import_previews_task() == 1
    # then
    assert not ImportBatch.objects.filter(pk=old_preview.pk).exists()
    old_rejected.refresh_from_db()
    assert old_rejected.content is None and old_rejected.status == "rejected"
    assert ImportBatch.objects.filter(pk=old_imported.pk).exists()
    fresh_preview.refresh_from_db()
    assert bytes(fresh_preview.content) == b"date,account,type\n"
