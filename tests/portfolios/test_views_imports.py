"""The import page: upload, preview of new / duplicate / bad rows, confirm (DESIGN §3)."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from portfolios.models import Account, ImportBatch, Transaction
from tests.portfolios.factories import AccountFactory, SecurityFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "import_files"
UPLOAD = "/portfolio/imports/"


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, name: str, **fields):
    content = (FILES / name).read_bytes()
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content, "text/csv"), **fields})


@pytest.fixture
def accounts(cast):
    SecurityFactory(symbol="VTI")
    return {
        "taxable": AccountFactory(household=cast.household_a, name="Taxable"),
        "roth": AccountFactory(household=cast.household_a, name="Roth IRA", type="roth_ira"),
    }


def test_upload_previews_then_confirm_imports(cast, accounts):
    client = browser(cast.member)
    assert client.get(UPLOAD).status_code == 200
    # when the file is uploaded
    preview = upload(client, "hearth_import.csv", format="", account="")
    # then its 9 rows are listed as to be added, and nothing is saved yet
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Nothing is saved until you confirm" in html
    assert 'data-count="added">9<' in html
    assert html.count('class="row-new"') == 9
    assert "SCHD" in html
    assert Transaction.objects.count() == 0
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows_added, batch.created_by) == ("preview", 9, cast.member)
    assert bytes(batch.content) == (FILES / "hearth_import.csv").read_bytes()
    # when confirmed
    done = client.post(f"/portfolio/imports/{batch.pk}/confirm/", follow=True)
    # then
    assert "Imported 9 transactions from hearth_import.csv (0 already there)." in (
        done.content.decode()
    )
    assert Transaction.objects.filter(import_batch=batch).count() == 9
    batch.refresh_from_db()
    assert (batch.status, batch.content) == ("imported", None)


def test_preview_of_an_overlapping_file_splits_new_and_duplicate_rows(cast, accounts):
    # given the first file is imported
    client = browser(cast.owner)
    upload(client, "hearth_import.csv")
    client.post(f"/portfolio/imports/{ImportBatch.objects.get().pk}/confirm/")
    # when the overlapping one is previewed: lines 2-4 are stored, 5-6 are new
    html = upload(client, "hearth_import_overlap.csv").content.decode()
    # then
    assert 'data-count="added">2<' in html
    assert 'data-count="duplicates">3<' in html
    assert html.count('class="row-duplicate"') == 3
    assert html.count('class="row-new"') == 2


def test_reupload_of_an_imported_file_says_so(cast, accounts):
    client = browser(cast.owner)
    upload(client, "hearth_import.csv")
    client.post(f"/portfolio/imports/{ImportBatch.objects.get().pk}/confirm/")
    html = upload(client, "hearth_import.csv").content.decode()
    assert "The same file was imported on" in html
    assert 'data-count="added">0<' in html


def test_bad_file_preview_names_every_bad_row_and_offers_no_confirm(cast, accounts):
    # when
    response = upload(browser(cast.member), "hearth_errors.csv")
    # then
    html = response.content.decode()
    assert "Rejected:" in html
    assert "Problems (16)" in html
    assert "line 2, column quantity: must be a positive number, got &#x27;-3&#x27;" in html
    assert "line 18, column ratio: only applies to SPLIT rows" in html
    assert 'id="import-confirm"' not in html
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.content) == ("rejected", None)
    # confirming it anyway changes nothing
    client = browser(cast.member)
    client.post(f"/portfolio/imports/{batch.pk}/confirm/")
    assert Transaction.objects.count() == 0


def test_broker_export_with_a_chosen_account(cast, accounts):
    client = browser(cast.member)
    html = upload(client, "vanguard.csv", account="Taxable").content.decode()
    assert 'data-count="added">9<' in html
    assert 'data-count="skipped">3<' in html
    batch = ImportBatch.objects.get()
    assert (batch.format, batch.account) == ("vanguard", accounts["taxable"])
    client.post(f"/portfolio/imports/{batch.pk}/confirm/")
    assert accounts["taxable"].transactions.count() == 9


def test_detail_of_a_waiting_preview_rechecks_the_file(cast, accounts):
    client = browser(cast.member)
    upload(client, "hearth_import.csv")
    batch = ImportBatch.objects.get()
    html = client.get(f"/portfolio/imports/{batch.pk}/").content.decode()
    assert html.count('class="row-new"') == 9
    assert 'id="import-confirm"' in html


def test_confirming_twice_imports_once(cast, accounts):
    client = browser(cast.member)
    upload(client, "hearth_import.csv")
    batch = ImportBatch.objects.get()
    client.post(f"/portfolio/imports/{batch.pk}/confirm/")
    again = client.post(f"/portfolio/imports/{batch.pk}/confirm/", follow=True)
    assert "no longer waiting for confirmation" in again.content.decode()
    assert Transaction.objects.count() == 9
    batch.refresh_from_db()
    assert batch.status == "imported"


def test_viewers_get_403_and_other_households_batches_404(cast, accounts):
    client = browser(cast.owner)
    upload(client, "hearth_import.csv")
    batch = ImportBatch.objects.get()
    viewer, outsider = browser(cast.viewer), browser(cast.outsider)
    assert viewer.get(UPLOAD).status_code == 403
    assert upload(viewer, "hearth_import.csv").status_code == 403
    assert viewer.post(f"/portfolio/imports/{batch.pk}/confirm/").status_code == 403
    assert outsider.get(f"/portfolio/imports/{batch.pk}/").status_code == 404
    assert outsider.post(f"/portfolio/imports/{batch.pk}/confirm/").status_code == 404
    assert Transaction.objects.count() == 0
    assert ImportBatch.objects.count() == 1


def test_upload_page_lists_recent_imports_and_loads_the_progress_script(cast, accounts):
    client = browser(cast.member)
    upload(client, "hearth_errors.csv")
    html = client.get(UPLOAD).content.decode()
    assert "hearth_errors.csv" in html
    assert "js/imports.js" in html
    assert 'id="import-progress"' in html


BROKERS = FILES / "brokers"


def upload_broker(client: Client, broker: str, name: str, **fields):
    content = (BROKERS / broker / name).read_bytes()
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content, "text/csv"), **fields})


def test_create_accounts_and_open_missing_choices_preview_what_they_do_then_import(cast):
    client = browser(cast.member)
    form = client.get(UPLOAD).content.decode()
    assert "Create missing accounts" in form and "Open missing positions" in form
    # when a Fidelity file of an unknown account, selling shares bought before it starts,
    # is uploaded with both choices
    preview = upload_broker(
        client, "fidelity", "History_for_Account_Z12345678.csv", create_accounts="on",
        open_missing="on",
    )  # fmt: skip
    html = preview.content.decode()
    # then the preview says what will be created and opened, and saves nothing
    assert "Accounts to be created:</strong> Fidelity …5678 (Taxable brokerage)" in html
    assert "MSFT in Fidelity …5678: 8 shares held before 2024-03-01, basis unknown" in html
    assert 'data-count="added">10<' in html
    assert "basis unknown" in html
    assert not Account.objects.filter(household=cast.household_a).exists()
    batch = ImportBatch.objects.get()
    assert (batch.create_accounts, batch.open_missing) == (True, True)
    # when confirmed, the same choices apply
    client.post(f"/portfolio/imports/{batch.pk}/confirm/")
    account = Account.objects.get(household=cast.household_a)
    assert account.name == "Fidelity …5678"
    assert Transaction.objects.filter(account=account).count() == 10
    batch.refresh_from_db()
    assert batch.review["openings"] == [
        "MSFT in Fidelity …5678: 8 shares held before 2024-03-01, basis unknown"
    ]


def test_a_refused_shortfall_offers_the_opening_rows_to_download(cast):
    client = browser(cast.member)
    html = upload_broker(
        client, "fidelity", "History_for_Account_Z12345678.csv", create_accounts="on"
    ).content.decode()
    assert 'id="import-opening-csv"' in html
    assert "2024-02-29,Fidelity …5678,OPENING,MSFT,8," in html
    assert 'download="opening-positions.csv"' in html


def test_the_statement_positions_that_differ_are_shown(cast):
    client = browser(cast.member)
    html = upload_broker(
        client, "vanguard", "OfxDownload.csv", create_accounts="on"
    ).content.decode()
    assert 'id="import-reconciliation"' in html
    assert '<td>Vanguard …1940</td><td>VTI</td><td class="num">125.3699</td>' in html
