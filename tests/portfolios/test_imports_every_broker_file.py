"""Every broker fixture goes in with --create-accounts --open-missing in one step, and a
second import adds nothing (issue: real broker files)."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from portfolios.models import ImportBatch, Transaction

pytestmark = pytest.mark.django_db

BROKERS = Path(__file__).parent / "import_files" / "brokers"
REFUSED = {"statement_of_funds_only.csv"}
FILES = sorted(path for path in BROKERS.rglob("*") if path.is_file() and path.name not in REFUSED)


def run_import(path: Path, *options: str) -> str:
    out = StringIO()
    call_command("import_transactions", str(path), "--household", "Alpha", *options, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("path", FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_each_broker_file_goes_in_in_one_step_and_again_adds_nothing(cast, path):
    # when
    first = run_import(path, "--create-accounts", "--open-missing")
    stored = Transaction.objects.count()
    again = run_import(path, "--create-accounts", "--open-missing")

    # then
    assert stored > 0, first
    assert "added 0," in again, again
    assert Transaction.objects.count() == stored
    assert ImportBatch.objects.filter(status="imported").count() == 2


def test_a_statement_of_funds_alone_is_refused_saying_what_to_export(cast):
    with pytest.raises(CommandError) as raised:
        run_import(BROKERS / "ibkr" / "statement_of_funds_only.csv", "--create-accounts")
    assert "run the Activity statement (Default)" in str(raised.value)
