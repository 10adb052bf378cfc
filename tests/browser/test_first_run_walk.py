"""A new household sets itself up in the browser, from `create_household` alone, at desktop
and phone widths: accounts, a broker file, classification, targets and income target,
members, a read token, and holdings pulled with it as a spreadsheet would."""

import pytest
from django.core.management import call_command

from portfolios.models import ApiToken, Membership, SecurityProfile, Target

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROKER_FILE = (
    "date,account,type,symbol,quantity,price,amount,fees,id\n"
    "2025-01-02,Joint,DEPOSIT,,,,10000,,d1\n"
    "2025-01-03,Joint,BUY,WALKX,20,100,,0,b1\n"
)


def fits(page, width: int) -> None:
    """The page is no wider than the screen (no sideways scroll)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", [1440, 390])
def test_first_run_checklist_walk(live_server, browser, width, tmp_path):
    call_command("create_household", "Walkers", "--owner", "wendy", "--password", "pw-wendy-77")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    url = live_server.url
    # log in: the dashboard is the checklist while there is no account
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_login", "wendy")
    page.fill("#id_password", "pw-wendy-77")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    assert page.locator("#setup-checklist").is_visible()
    fits(page, width)

    # 1. create an account
    page.click("text=Create your accounts")
    page.fill("#id_name", "Joint")
    page.select_option("#id_type", "taxable")
    page.fill("#id_institution", "Fidelity")
    page.fill("#id_number", "Z1234567")
    page.click("text=Add account")
    assert "Created the account Joint." in page.content()
    fits(page, width)

    # 2. import a small broker file (upload, preview, confirm)
    broker = tmp_path / "joint.csv"
    broker.write_text(BROKER_FILE)
    page.goto(f"{url}/settings/start/")
    page.click("text=Import a broker file")
    page.set_input_files("input[type=file]", str(broker))
    page.click("text=Check the file")
    page.click("#import-confirm button[type=submit]")
    assert "Imported 2 transactions" in page.content()

    # 3. classify the new symbol, in place
    page.goto(f"{url}/settings/start/")
    page.click("text=Classify your securities")
    assert page.locator("#review-notice").is_visible()
    page.click("#securities-table a.button")
    page.wait_for_selector("form.inline-edit")
    page.fill("form.inline-edit input[name=name]", "Walk Total Market ETF")
    page.select_option("form.inline-edit select[name=kind]", "etf")
    page.select_option("form.inline-edit select[name=asset_class]", "us_equity")
    page.click("form.inline-edit button[type=submit]")
    page.wait_for_selector("tr.just-saved")
    fits(page, width)
    profile = SecurityProfile.objects.get(security__symbol="WALKX")
    assert (profile.asset_class, profile.needs_review) == ("us_equity", False)

    # 4. sleeves and targets, with the live preview
    page.goto(f"{url}/settings/targets/")
    page.fill("#sleeve-0-name", "core")
    page.fill("#sleeve-0-target", "100")
    page.fill("#sleeve-1-target", "0")
    page.fill("#sleeve-2-target", "0")
    page.select_option("#s0r0a", "us_equity")
    page.fill("#s0r0t", "80")
    page.select_option("#s0r1a", "cash")
    page.fill("#s0r1t", "20")
    # 20 WALKX x 100 = 2,000 of 10,000: US equity 20% against 80%
    page.wait_for_selector("#preview-asset-class")
    assert "20.00%" in page.locator("#preview-asset-class").inner_text()
    fits(page, width)
    # let the last preview request finish (the test database is one in-memory SQLite)
    page.wait_for_load_state("networkidle")
    page.click("text=Save targets")
    assert "Saved the sleeves and targets" in page.content()
    assert Target.objects.count() == 2

    # 5. the monthly income target
    page.goto(f"{url}/settings/household/")
    page.fill("#id_monthly_income_target", "1200")
    page.click("#household-form button[type=submit]")
    assert "Saved the household settings." in page.content()
    fits(page, width)

    # 6. invite a spouse as member and a viewer
    page.goto(f"{url}/settings/members/")
    for username, role in (("walt", "member"), ("vera", "viewer")):
        page.fill("#id_username", username)
        page.select_option("#id_role", role)
        page.click("#invite button[type=submit]")
        assert page.locator("#invite-link").input_value().startswith(f"{url}/invite/")
    fits(page, width)
    roles = dict(
        Membership.objects.filter(household__name="Walkers").values_list("user__username", "role")
    )
    assert roles == {"wendy": "owner", "walt": "member", "vera": "viewer"}

    # 7. a read token, then the holdings CSV a spreadsheet pulls with it
    page.goto(f"{url}/settings/tokens/")
    page.fill("#id_name", "Budget sheet")
    page.check("input[name=scope][value=read]")
    page.fill("#id_password", "pw-wendy-77")
    page.click("#create-token button[type=submit]")
    key = page.locator("#token-key").input_value()
    formula = page.locator("#sheets-formula").input_value()
    assert formula == f'=IMPORTDATA("{url}/api/v1/holdings/?format=csv&token={key}")'
    fits(page, width)
    assert ApiToken.objects.get().scope == "read"
    sheet = context.request.get(f"{url}/api/v1/holdings/?format=csv&token={key}")
    assert sheet.status == 200
    lines = sheet.text().splitlines()
    assert lines[0].startswith("account,symbol,quantity,cost_basis")
    assert lines[1].startswith("Joint,WALKX,20,2000")

    # the checklist is complete
    page.goto(f"{url}/settings/start/")
    assert "4 of 4 done" in page.content()
    context.close()
