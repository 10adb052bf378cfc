"""Transaction imports written through ``COPY`` (``plan_store``'s way for files of many rows on
PostgreSQL): the import tests below run again with every import written that way, and a
file stored both ways gives the same rows."""

import pytest

from portfolios.models import Transaction
from portfolios.services.imports import plan
from tests.portfolios.test_services_imports import (  # noqa: F401 - run again here
    FILES,
    accounts,
    run_import,
    test_a_concurrent_import_of_the_same_rows_rejects_this_one,
    test_command_imports_each_sample_format,
    test_import_then_rebuild_gives_the_lots_the_file_describes,
    test_lots_may_name_rows_of_an_earlier_import,
    test_lots_naming_rows_of_the_file_store_their_transaction_ids,
    test_overlapping_file_adds_only_the_new_rows,
    test_reimporting_the_same_file_adds_nothing,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _every_import_copied(monkeypatch):
    monkeypatch.setattr(plan, "COPY_ROWS", 1)


def _stored_rows() -> list[tuple]:
    """Return every stored transaction's values in id order, with ids and times left out
    and lot selections naming the rows by their external ids."""
    external = dict(Transaction.objects.values_list("pk", "external_id"))
    skipped = {"id", "created_at", "updated_at", "import_batch"}
    fields = [f for f in Transaction._meta.concrete_fields if f.name not in skipped]
    rows = []
    for txn in Transaction.objects.order_by("pk"):
        values = {f.name: getattr(txn, f.attname) for f in fields}
        values["lot_selection"] = ";".join(
            ":".join([external[int(part.split(":")[0])], *part.split(":")[1:]])
            for part in txn.lot_selection.split(";")
            if part
        )
        values["in_batch"] = txn.import_batch_id is not None
        rows.append(tuple(sorted(values.items())))
    return rows


def test_copied_rows_are_the_rows_bulk_create_stores(accounts, monkeypatch):  # noqa: F811
    # given the sample file stored through COPY
    run_import(FILES / "hearth_import.csv", "--create-accounts")
    copied = _stored_rows()
    Transaction.objects.all().delete()
    # when it is stored again through bulk_create
    monkeypatch.setattr(plan, "COPY_ROWS", 10**9)
    run_import(FILES / "hearth_import.csv", "--create-accounts")
    # then every row is the same, in the same order, the sale naming b1:3 and b2:2
    assert _stored_rows() == copied
    assert len(copied) == 9
    assert ("lot_selection", "b1:3;b2:2") in next(r for r in copied if ("external_id", "s1") in r)
