"""API writes of DESIGN §8: household/, accounts/, securities/<id>/, targets/ and audit/."""

from datetime import date

import pytest

from portfolios.models import Account, AuditEvent, LedgerState, Sleeve, Target
from tests.conftest import SECRET_ACCOUNT, SECRET_SYMBOL, client_for, token_client

pytestmark = [pytest.mark.django_db, pytest.mark.api]


@pytest.fixture
def writer(cast):
    client, _ = token_client(cast.owner, cast.household_a, scope="write")
    return client


def test_household_reads_and_patches_with_a_write_token(cast, writer):
    body = writer.get("/api/v1/household/").json()
    assert body["name"] == "Alpha"
    assert body["default_band"] == "5"
    response = writer.patch(
        "/api/v1/household/",
        {"monthly_income_target": "2,500.50", "default_benchmark": "vti:60, bnd:40",
         "time_zone": "Europe/Paris"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    assert response.json()["monthly_income_target"] == "2500.5"
    assert response.json()["default_benchmark"] == "VTI:60,BND:40"
    event = AuditEvent.objects.get(action="household.update")
    assert event.changes["monthly_income_target"] == ["0.0000", "2500.50"]
    assert event.username == "alice"
    # a policy change queues the recompute from today (in the household's time zone)
    assert LedgerState.objects.get(household=cast.household_a).dirty_from is not None


def test_household_patch_names_every_bad_field(cast, writer):
    AuditEvent.objects.all().delete()  # the cast's own creation is audited: start empty
    response = writer.patch(
        "/api/v1/household/",
        {
            "base_currency": "dollars",
            "time_zone": "Mars/Olympus",
            "default_band": "0",
            "federal_marginal_rate": "120",
            "default_benchmark": "VTI:60,BND:30",
            "cash_reserve_months": "-1",
            "default_lot_method": "random",
            "colour": "red",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The household settings were not saved.",
        "errors": {
            "colour": ["is not a household setting"],
            "base_currency": ["must be a three-letter currency code such as USD, got 'dollars'"],
            "time_zone": ["must be a time zone such as America/New_York, got 'Mars/Olympus'"],
            "default_band": ["must be above 0 and at most 100, got '0'"],
            "federal_marginal_rate": ["must be between 0 and 100, got '120'"],
            "default_benchmark": ["the weights of a blend must add up to 100, got 90"],
            "cash_reserve_months": ["must be between 0 and 120, got '-1'"],
            "default_lot_method": ["must be one of fifo, lifo, hifo, specific; got 'random'"],
        },
    }
    assert not AuditEvent.objects.exists()


def test_accounts_post_and_patch(cast, writer):
    created = writer.post(
        "/api/v1/accounts/",
        {"name": "Roth", "type": "roth_ira", "institution": "Vanguard", "number": "88001234",
         "owner": "carol", "default_sleeve": "growth"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    row = created.json()
    assert (row["number"], row["owner"], row["default_sleeve"], row["tax_treatment"]) == (
        "••••1234",
        "carol",
        "growth",
        "tax_exempt",
    )
    assert row["lot_method"] == "fifo"  # the household's default
    changed = writer.patch(
        f"/api/v1/accounts/{row['id']}/", {"lot_method": "hifo", "owner": ""}, format="json"
    )
    assert changed.status_code == 200
    assert (changed.json()["lot_method"], changed.json()["owner"]) == ("hifo", None)
    assert [
        e.action for e in AuditEvent.objects.filter(action__startswith="account.").order_by("id")
    ] == [
        "account.create",
        "account.update",
    ]
    # the audit keeps only the last four characters of the number
    assert AuditEvent.objects.get(action="account.create").changes["number"] == [None, "••••1234"]


def test_account_errors_are_named(cast, writer):
    writer.post("/api/v1/accounts/", {"name": "Roth", "type": "roth_ira"}, format="json")
    response = writer.post(
        "/api/v1/accounts/",
        {"name": "roth", "type": "savings", "owner": "bob", "default_sleeve": "bitcoin"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The account was not saved.",
        "errors": {
            "name": ["the household already has an account named roth"],
            "type": [
                "must be one of taxable, traditional_ira, roth_ira, 401k, 403b, hsa, 529, "
                "trust, cash; got 'savings'"
            ],
            "owner": ["must be a member of this household, got 'bob'"],
            "default_sleeve": [
                "must be one of the household's sleeves (core, income, growth), got 'bitcoin'"
            ],
        },
    }


def test_security_patch_is_the_households_own_view(secret_household, writer):
    security_id = (
        client_for(secret_household.owner).get("/api/v1/securities/").json()["results"][0]["id"]
    )
    response = writer.patch(
        f"/api/v1/securities/{security_id}/",
        {"asset_class": "intl_equity", "expense_ratio": "0.07", "identity_group": "World"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["symbol"], body["asset_class"], body["expense_ratio"], body["identity_group"]) == (
        SECRET_SYMBOL,
        "intl_equity",
        "0.07",
        "World",
    )
    # holdings/ reads the household's classification
    holdings = writer.get("/api/v1/holdings/").json()["results"]
    assert [h["asset_class"] for h in holdings] == ["intl_equity"]
    # a bad value is a 400 naming the field
    bad = writer.patch(f"/api/v1/securities/{security_id}/", {"kind": "fund"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"] == {
        "kind": [
            "must be one of stock, etf, mutual_fund, bond, preferred, reit, option, crypto, "
            "money_market, cash, unknown; got 'fund'"
        ]
    }


TARGETS = [
    {"sleeve": "core", "sleeve_target": "80", "asset_class": "us_equity", "target": "60",
     "band": "5", "band_kind": "absolute"},
    {"sleeve": "core", "sleeve_target": "80", "asset_class": "bonds", "target": "40",
     "band": "20", "band_kind": "relative"},
    {"sleeve": "income", "sleeve_target": "20", "asset_class": "real_estate", "target": "100"},
]  # fmt: skip


def test_targets_put_replaces_the_whole_set(cast, writer):
    response = writer.put("/api/v1/targets/", TARGETS, format="json")
    assert response.status_code == 200, response.json()
    rows = response.json()["results"]
    assert [
        (r["sleeve"], r["asset_class"], r["target"], r["band"], r["band_kind"]) for r in rows
    ] == [
        ("core", "us_equity", "60", "5", "absolute"),
        ("core", "bonds", "40", "20", "relative"),
        ("income", "real_estate", "100", None, "absolute"),
    ]
    # "growth" was left out: it is gone, the others keep their ids
    assert sorted(
        Sleeve.objects.filter(household=cast.household_a).values_list("name", flat=True)
    ) == [
        "core",
        "income",
    ]
    # the GET answers the same rows, and as CSV
    csv = writer.get("/api/v1/targets/?format=csv").content.decode().splitlines()
    assert csv[0] == "sleeve,sleeve_target,asset_class,target,band,band_kind"
    assert csv[1] == "core,80,us_equity,60,5,absolute"


def test_targets_put_names_the_rows_and_saves_nothing(cast, writer):
    rows = [
        {"sleeve": "core", "sleeve_target": "70", "asset_class": "us_equity", "target": "60"},
        {"sleeve": "core", "sleeve_target": "70", "asset_class": "bonds", "target": "30"},
        {"sleeve": "income", "sleeve_target": "20", "asset_class": "bonds", "target": "100"},
        {"sleeve": "income", "sleeve_target": "25", "asset_class": "gold", "target": "150"},
    ]
    response = writer.put("/api/v1/targets/", rows, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The targets were not saved.",
        "errors": {
            "row 4": [
                "income / gold: asset_class must be one of us_equity, intl_equity, bonds, "
                "real_estate, commodities, cash, crypto, alternatives; got 'gold'",
                "income / gold: target must be between 0 and 100, got '150'",
                "income / gold: sleeve_target 25 differs from 20 on row 3 for sleeve income",
            ]
        },
    }
    rows[3] = {"sleeve": "growth", "sleeve_target": "5", "asset_class": "us_equity",
               "target": "100"}  # fmt: skip
    response = writer.put("/api/v1/targets/", rows, format="json")
    assert response.json()["errors"] == {
        "sleeve_target": ["sleeve targets add up to 95, not 100 (core 70, income 20, growth 5)"],
        "target": ["sleeve core: asset-class targets add up to 90, not 100 (rows 1, 2)"],
    }
    assert not Target.objects.exists()


def test_targets_put_keeps_a_sleeve_an_account_uses(cast, writer):
    Account.objects.create(
        household=cast.household_a,
        name="Growth account",
        default_sleeve=Sleeve.objects.get(household=cast.household_a, name="growth"),
    )
    response = writer.put("/api/v1/targets/", TARGETS, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "sleeve": [
            "sleeve growth is the default sleeve of Growth account; keep it, or give those "
            "accounts another sleeve first"
        ]
    }


def test_audit_lists_for_owners_filtered(secret_household, writer):
    AuditEvent.objects.all().delete()  # the cast's own creation is audited: start empty
    writer.patch("/api/v1/household/", {"min_trade_amount": "250"}, format="json")
    writer.post("/api/v1/accounts/", {"name": "Cash", "type": "cash"}, format="json")
    owner = client_for(secret_household.owner)
    rows = owner.get("/api/v1/audit/").json()["results"]
    assert [(r["user"], r["action"], r["outcome"]) for r in rows] == [
        ("alice", "account.create", "ok"),
        ("alice", "household.update", "ok"),
    ]
    assert set(rows[0]) == {"at", "user", "action", "target", "outcome", "ip", "changes"}
    only = owner.get("/api/v1/audit/?action=household").json()["results"]
    assert [r["action"] for r in only] == ["household.update"]
    today = date.today().isoformat()
    assert owner.get(f"/api/v1/audit/?start={today}&end={today}").json()["count"] == 2
    assert client_for(secret_household.member).get("/api/v1/audit/").status_code == 403
    assert SECRET_ACCOUNT  # household A's own rows only; the sweep checks other households
