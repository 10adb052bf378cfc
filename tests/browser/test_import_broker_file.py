"""A household member uploads a broker file of an account Hearth does not know yet, ticks
"Create missing accounts" and "Open missing positions", reads the preview and confirms."""

from pathlib import Path

import pytest

from portfolios.models import Account, Transaction
from portfolios.services.households import household_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE = (
    Path(__file__).parent.parent
    / "portfolios"
    / "import_files"
    / "brokers"
    / "fidelity"
    / "History_for_Account_Z12345678.csv"
)


def test_broker_file_with_new_account_and_missing_positions_goes_in_from_the_page(
    live_server, page
):
    household = household_create(name="Rivera", owner_username="sam", password="pw-sam-12345")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", "sam")
    page.fill("#id_password", "pw-sam-12345")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/portfolio/imports/")

    # when the file is chosen with both choices ticked
    page.set_input_files("#id_file", str(FILE))
    page.check("#id_create_accounts")
    page.check("#id_open_missing")
    page.click("text=Check the file")
    page.wait_for_selector("#import-review")

    # then the preview says what will be created and opened, and fits the phone
    review = page.locator("#import-review").inner_text()
    assert "Fidelity …5678 (Taxable brokerage)" in review
    assert "MSFT in Fidelity …5678: 8 shares held before 2024-03-01, basis unknown" in review
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not Account.objects.filter(household=household).exists()

    # when confirmed
    page.click("text=Import 10 transactions")
    page.wait_for_selector("text=Imported 10 transactions")

    # then the account and its rows are there
    account = Account.objects.get(household=household)
    assert account.name == "Fidelity …5678"
    assert Transaction.objects.filter(account=account).count() == 10
