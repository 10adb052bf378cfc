"""The settings pages through the Django test client: what a household does in a browser."""

from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from alerts.services.recompute import household_recompute
from portfolios.models import (
    Account,
    ApiToken,
    AuditEvent,
    Household,
    Membership,
    SecurityProfile,
    Target,
)
from portfolios.services.households import household_create
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_household_without_accounts_lands_on_the_checklist(db):
    household_create(name="Fresh", owner_username="fran", password="pw-fran-123")
    client = Client()
    client.post("/accounts/login/", {"login": "fran", "password": "pw-fran-123"})
    page = client.get("/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="setup-checklist"' in text
    for step in ("Create your accounts", "Import a broker file", "Classify your securities",
                 "Set your targets and income goal"):  # fmt: skip
        assert step in text
    assert "0 of 4 done" in text


def test_household_page_shows_each_problem_under_its_field(cast):
    client = browser(cast.member)
    response = client.post(
        "/settings/household/",
        {**_household_fields(cast.household_a), "base_currency": "dollars", "default_band": "-2"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "must be a three-letter currency code such as USD, got &#x27;dollars&#x27;" in text
    assert "must be above 0 and at most 100, got &#x27;-2&#x27;" in text
    assert Household.objects.get(pk=cast.household_a.pk).base_currency == "USD"
    saved = client.post(
        "/settings/household/",
        {**_household_fields(cast.household_a), "monthly_income_target": "1,250"},
    )
    assert saved.status_code == 302
    assert Household.objects.get(pk=cast.household_a.pk).monthly_income_target == Decimal(1250)


def _household_fields(household) -> dict:
    from portfolios.forms.settings import HouseholdForm

    return HouseholdForm.initial_for(household)


def test_viewer_reads_the_settings_but_cannot_save(cast):
    viewer = browser(cast.viewer)
    page = viewer.get("/settings/household/").content.decode()
    assert "your role cannot change them" in page
    assert (
        viewer.post("/settings/household/", _household_fields(cast.household_a)).status_code == 403
    )


@pytest.fixture
def holding(cast):
    """Taxable holds 10 VTI (bought for 1,000) and 500 of cash."""
    vti = SecurityFactory(symbol="VTI", name="Vanguard Total Stock Market ETF")
    account = AccountFactory(household=cast.household_a, name="Taxable")
    deposit(account, "2025-01-02", 1500)
    buy(account, "2025-01-02", vti, 10, 1000)
    close(vti, "2025-01-02", 100)
    household_recompute(household=cast.household_a)
    return account


def test_accounts_are_created_closed_and_deleted_on_the_page(cast, holding):
    client = browser(cast.member)
    created = client.post(
        "/settings/accounts/",
        {"name": "Emergency fund", "type": "cash", "institution": "Ally", "number": "123456789",
         "owner": "alice", "default_sleeve": "", "lot_method": "fifo", "currency": "USD"},
    )  # fmt: skip
    assert created.status_code == 302
    fund = Account.objects.get(name="Emergency fund")
    listing = client.get("/settings/accounts/").content.decode()
    assert "Ally ••••6789" in listing and "123456789" not in listing
    # an account still holding 10 VTI and 500 cash cannot be closed
    client.post(f"/settings/accounts/{holding.pk}/close/")
    page = client.get(f"/settings/accounts/{holding.pk}/").content.decode()
    assert "Taxable still has 1 holding and 500.00 USD in cash." in page
    # one with transactions cannot be deleted
    refused = client.post(f"/settings/accounts/{holding.pk}/delete/", follow=True)
    assert (
        "Taxable has 2 transactions, so it cannot be deleted. Close it instead: it keeps its "
        "history and leaves the dashboard." in refused.content.decode()
    )
    # the empty one closes, leaves the dashboard, and can be deleted
    client.post(f"/settings/accounts/{fund.pk}/close/")
    fund.refresh_from_db()
    assert fund.closed_on is not None
    dashboard = client.get("/").content.decode()
    assert "Emergency fund" not in dashboard.split('id="accounts-table"')[1]
    client.post(f"/settings/accounts/{fund.pk}/delete/")
    assert not Account.objects.filter(pk=fund.pk).exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="account.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["account.create", "account.close", "account.delete"]


def test_securities_inline_edit_bulk_and_upload(cast, holding):
    client = browser(cast.member)
    vti = holding.transactions.exclude(security=None).first().security
    listing = client.get("/settings/securities/").content.decode()
    assert f'id="security-{vti.pk}"' in listing
    # HTMX asks for the row's form, then posts it back and gets the row
    form = client.get(f"/settings/securities/{vti.pk}/", HTTP_HX_REQUEST="true")
    assert b'hx-post="/settings/securities/' in form.content and b"<html" not in form.content
    row = client.post(
        f"/settings/securities/{vti.pk}/",
        {"name": "Total market", "kind": "etf", "asset_class": "us_equity", "sector": "Broad",
         "expense_ratio": "0.03", "dividend_frequency": "quarterly", "qualified_default": "on",
         "identity_group": ""},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert row.status_code == 200
    assert b"<tr" in row.content and b"Total market" in row.content and b"0.03%" in row.content
    # bulk: asset class for the ticked ones
    client.post("/settings/securities/bulk/", {"security": [vti.pk], "asset_class": "intl_equity"})
    assert SecurityProfile.objects.get(security=vti).asset_class == "intl_equity"
    # upload: a bad line is listed and nothing changes
    bad = client.post(
        "/settings/securities/import/",
        {"file": SimpleUploadedFile("s.csv", b"symbol,asset_class\nVTI,stocks\n", "text/csv")},
    )
    assert bad.status_code == 400
    assert "line 2</strong>: column asset_class: must be one of" in bad.content.decode()
    assert SecurityProfile.objects.get(security=vti).asset_class == "intl_equity"


def test_targets_page_saves_a_set_and_previews_it(cast, holding):
    client = browser(cast.member)
    fields = {
        "sleeve-0-name": "core", "sleeve-0-target": "100",
        "sleeve-0-row-0-asset_class": "us_equity", "sleeve-0-row-0-target": "80",
        "sleeve-0-row-0-band": "5", "sleeve-0-row-0-band_kind": "absolute",
        "sleeve-0-row-1-asset_class": "cash", "sleeve-0-row-1-target": "20",
        "sleeve-0-row-1-band": "", "sleeve-0-row-1-band_kind": "absolute",
    }  # fmt: skip
    preview = client.post("/settings/targets/preview/", fields, HTTP_HX_REQUEST="true")
    text = preview.content.decode()
    # 10 VTI x 100 = 1,000 of 1,500: US equity 66.67% against 80% (drift -13.33 pp, band 5)
    assert "US equity" in text and "66.67%" in text and "80.00%" in text and "−13.3 pp" in text
    assert "Under target" in text
    bad = client.post("/settings/targets/", {**fields, "sleeve-0-row-1-target": "10"})
    assert bad.status_code == 400
    assert "sleeve core: asset-class targets add up to 90, not 100 (rows 1, 2)" in (
        bad.content.decode()
    )
    assert not Target.objects.exists()
    assert client.post("/settings/targets/", fields).status_code == 302
    assert sorted(Target.objects.values_list("asset_class", "target_weight")) == [
        ("cash", Decimal(20)),
        ("us_equity", Decimal(80)),
    ]


def test_an_invited_spouse_sets_a_password_with_the_one_time_link(cast):
    owner = browser(cast.owner)
    response = owner.post(
        "/settings/members/",
        {"username": "sam", "email": "sam@example.com", "role": "member", "method": "link"},
        follow=True,
    )
    text = response.content.decode()
    assert "Pass this on to sam" in text
    link = text.split('id="invite-link"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert "/invite/" in link
    assert mail.outbox[0].to == ["sam@example.com"] and link in mail.outbox[0].body
    path = link.split("testserver", 1)[1]
    guest = Client()
    assert guest.get(path).status_code == 200
    weak = guest.post(path, {"password1": "sam", "password2": "sam"})
    assert "This password is too short." in weak.content.decode()
    done = guest.post(path, {"password1": "a-long-pass-99", "password2": "a-long-pass-99"})
    assert done.status_code == 302
    assert guest.get("/settings/").status_code == 200  # logged in
    # the link works once
    assert Client().get(path).status_code == 400
    # shown once: the next visit to the page does not show it again
    assert "Pass this on" not in owner.get("/settings/members/").content.decode()


def test_inviting_an_existing_user_keeps_their_one_login(cast):
    owner = browser(cast.outsider)  # bob owns Bravo
    response = owner.post(
        "/settings/members/",
        {"username": "alice", "email": "", "role": "viewer", "method": "link"},
        follow=True,
    )
    assert "They already have a Hearth login" in response.content.decode()
    assert sorted(
        Membership.objects.filter(user=cast.owner).values_list("household__name", "role")
    ) == [
        ("Alpha", "owner"),
        ("Bravo", "viewer"),
    ]


def test_temporary_password_is_shown_once(cast):
    owner = browser(cast.owner)
    text = owner.post(
        "/settings/members/",
        {"username": "gran", "role": "viewer", "method": "password"},
        follow=True,
    ).content.decode()
    password = text.split('id="invite-password"')[0].rsplit('value="', 1)[1].split('"')[0]
    client = Client()
    client.post("/accounts/login/", {"login": "gran", "password": password})
    assert client.get("/").status_code == 200


def test_the_last_owner_stays_an_owner(cast):
    owner = browser(cast.owner)
    me = Membership.objects.get(user=cast.owner, household=cast.household_a)
    response = owner.post(f"/settings/members/{me.pk}/role/", {"role": "member"}, follow=True)
    assert "Alpha needs at least one owner; make someone else an owner first." in (
        response.content.decode()
    )
    response = owner.post(f"/settings/members/{me.pk}/remove/", follow=True)
    assert "Alpha needs at least one owner; the last owner cannot be removed." in (
        response.content.decode()
    )
    # removing another member revokes their tokens for this household
    carol = Membership.objects.get(user=cast.member, household=cast.household_a)
    from portfolios.services.households import api_token_create

    token = api_token_create(user=cast.member, household=cast.household_a).token
    owner.post(f"/settings/members/{carol.pk}/remove/")
    assert not Membership.objects.filter(pk=carol.pk).exists()
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_read_token_is_made_with_the_password_and_pulls_holdings_csv(cast, holding):
    owner = browser(cast.owner)
    wrong = owner.post(
        "/settings/tokens/", {"name": "Sheet", "scope": "read", "expiry": "90", "password": "x"}
    )
    assert "is not your password" in wrong.content.decode()
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.get(action="token.create").outcome == "denied"
    page = owner.post(
        "/settings/tokens/",
        {"name": "Sheet", "scope": "read", "expiry": "90", "password": "pw-alice-1"},
        follow=True,
    ).content.decode()
    key = page.split('id="token-key"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert key.startswith("hr_")
    assert "=IMPORTDATA(&quot;http://testserver/api/v1/holdings/?format=csv&amp;token=" in page
    # the spreadsheet's request
    sheet = Client().get(f"/api/v1/holdings/?format=csv&token={key}")
    assert sheet.status_code == 200
    lines = sheet.content.decode().splitlines()
    assert lines[0].startswith("account,symbol,quantity,cost_basis,market_value")
    assert lines[1].startswith("Taxable,VTI,10,1000,1000")
    # listed by prefix, never shown again; revoke stops it
    listing = owner.get("/settings/tokens/").content.decode()
    assert key not in listing and key.split(".")[0] in listing
    token = ApiToken.objects.get()
    owner.post(f"/settings/tokens/{token.pk}/revoke/")
    assert Client().get(f"/api/v1/holdings/?format=csv&token={key}").status_code == 401


def test_with_totp_on_a_token_needs_the_code_passed_this_session(cast):
    Authenticator.objects.create(user=cast.owner, type=Authenticator.Type.TOTP, data={})
    owner = browser(cast.owner)  # no second factor passed in this session
    page = owner.post(
        "/settings/tokens/",
        {"name": "Sheet", "scope": "read", "expiry": "90", "password": "pw-alice-1"},
    ).content.decode()
    assert "Confirm with your authenticator app first." in page
    assert "/accounts/2fa/reauthenticate/" in page
    assert not ApiToken.objects.exists()


def test_audit_page_is_filterable(cast):
    owner = browser(cast.owner)
    owner.post("/settings/accounts/", {"name": "Roth", "type": "roth_ira", "lot_method": "fifo"})
    owner.post("/settings/members/", {"username": "sam", "role": "viewer", "method": "link"})
    page = owner.get("/settings/audit/").content.decode()
    assert "Account created" in page and "Member invited" in page
    only = owner.get("/settings/audit/?action=member").content.decode()
    rows = only.split('id="audit-table"')[1]
    assert "Member invited" in rows and "Account created" not in rows


def test_rebalancing_settings_are_reached_from_the_settings_index_and_nav(cast):
    viewer = browser(cast.viewer)
    # given the settings index: a tile and a nav entry lead to the rebalancing settings
    index = viewer.get("/settings/").content.decode()
    nav = index.split('class="settings-nav"')[1].split("</nav>")[0]
    tiles = index.split('class="tiles"')[1]
    assert '<a href="/portfolio/allocation/settings/" >Rebalancing</a>' in nav
    assert '<a class="tile" href="/portfolio/allocation/settings/"><strong>Rebalancing' in tiles
    # and every settings section carries the same nav entry
    accounts = viewer.get("/settings/accounts/").content.decode()
    assert 'href="/portfolio/allocation/settings/"' in accounts.split('class="settings-nav"')[1]
    # when the rebalancing settings open, they sit in the settings layout, marked current
    page = viewer.get("/portfolio/allocation/settings/").content.decode()
    assert '<a href="/portfolio/allocation/settings/" aria-current="page">Rebalancing</a>' in page
    assert "<h1>Rebalancing settings</h1>" in page


def test_the_audit_log_names_an_accounts_owner_and_sleeve(cast):
    owner = browser(cast.owner)
    # given an account made on the page for Carol, in the income sleeve
    owner.post(
        "/settings/accounts/",
        {"name": "Carol Roth", "type": "roth_ira", "owner": "carol",
         "default_sleeve": "income", "lot_method": "fifo", "currency": "USD"},
    )  # fmt: skip
    account = Account.objects.get(name="Carol Roth")
    # when it moves to Alice and the growth sleeve
    owner.post(
        f"/settings/accounts/{account.pk}/",
        {"name": "Carol Roth", "type": "roth_ira", "owner": "alice",
         "default_sleeve": "growth", "lot_method": "fifo", "currency": "USD"},
    )  # fmt: skip
    # then the audit trail records both by name, never by id
    stored = {e.action: e.changes for e in AuditEvent.objects.filter(action__startswith="acc")}
    assert (stored["account.create"]["owner"], stored["account.create"]["default_sleeve"]) == (
        [None, "carol"],
        [None, "income"],
    )
    assert stored["account.update"] == {
        "owner": ["carol", "alice"],
        "default_sleeve": ["income", "growth"],
    }
    # and the audit API and page say so
    (update,) = owner.get("/api/v1/audit/?action=account.update").json()["results"]
    assert update["changes"] == ["owner: carol → alice", "default_sleeve: income → growth"]
    page = owner.get("/settings/audit/?action=account.update").content.decode()
    assert "<li>owner: carol → alice</li>" in page
    assert "<li>default sleeve: income → growth</li>" in page
