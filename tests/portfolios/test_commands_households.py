"""The set-up commands of DESIGN §4, run as a user would."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from alerts.models import AlertRule
from portfolios.models import Account, ApiToken, Household, Membership

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_household_creates_owner_and_default_sleeves(django_user_model):
    # when
    output = run("create_household", "Smith family", "--owner", "ann", "--password", "pw-123456")
    # then
    household = Household.objects.get(name="Smith family")
    assert "created household Smith family" in output
    assert household.base_currency == "USD"
    membership = Membership.objects.get(household=household)
    assert membership.user.username == "ann"
    assert membership.role == "owner"
    assert membership.user.check_password("pw-123456")
    assert sorted(household.sleeves.values_list("name", "target_weight")) == [
        ("core", 70),
        ("growth", 10),
        ("income", 20),
    ]
    # and the default alert rules, created by the command itself (no signal): drift of the
    # household and of each sleeve, position weight, drawdown 15%, one-day move 8%, income
    # shortfall 10%, dividend cut 10%, stale prices 5 days, cash reserve, harvestable loss
    # $1,000, volatility spike 2x
    assert sorted(
        (kind, scope, None if threshold is None else int(threshold))
        for kind, scope, threshold in AlertRule.objects.filter(household=household).values_list(
            "kind", "scope", "threshold"
        )
    ) == sorted(
        [
            ("allocation_drift", "household", None),
            ("allocation_drift", "sleeve", None),
            ("position_weight", "security", None),
            ("drawdown", "household", 15),
            ("price_move", "security", 8),
            ("income_shortfall", "household", 10),
            ("dividend_cut", "security", 10),
            ("stale_price", "security", 5),
            ("cash_reserve", "household", None),
            ("harvestable_loss", "security", 1000),
            ("volatility_spike", "security", 2),
        ]
    )


def test_create_household_refuses_duplicates_and_bad_currency():
    run("create_household", "Smith family", "--owner", "ann")
    with pytest.raises(CommandError, match="already exists"):
        run("create_household", "Smith family", "--owner", "ann")
    with pytest.raises(CommandError, match="ISO 4217"):
        run("create_household", "Other", "--owner", "ann", "--currency", "dollars")


def test_create_account_with_type_and_lot_method():
    run("create_household", "Smith family", "--owner", "ann", "--currency", "eur")
    output = run(
        "create_account", "--household", "Smith family", "--name", "Roth",
        "--type", "roth_ira", "--institution", "Schwab", "--lot-method", "hifo",
    )  # fmt: skip
    account = Account.objects.get(name="Roth")
    assert "created account Roth" in output
    assert (account.type, account.lot_method, account.currency) == ("roth_ira", "hifo", "EUR")
    assert account.tax_treatment == "tax_exempt"
    with pytest.raises(CommandError, match="no household named"):
        run("create_account", "--household", "Nobody", "--name", "X", "--type", "taxable")


def test_create_api_token_prints_the_token_alone_on_the_last_line():
    run("create_household", "Smith family", "--owner", "ann")
    run("create_account", "--household", "Smith family", "--name", "Joint", "--type", "taxable")
    # when
    output = run("create_api_token", "ann", "--household", "Smith family", "--scope", "read")
    raw_key = output.strip().splitlines()[-1]
    # then the key works once for reading, and only its digest is stored
    assert raw_key.startswith("hr_")
    token = ApiToken.objects.get()
    assert raw_key not in (token.digest, token.prefix)
    response = APIClient().get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {raw_key}")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Joint"]


def test_viewer_cannot_get_a_write_token():
    run("create_household", "Smith family", "--owner", "ann")
    from portfolios.services.households import membership_add

    membership_add(household=Household.objects.get(), username="kid", role="viewer")
    with pytest.raises(CommandError, match="read tokens only"):
        run("create_api_token", "kid", "--scope", "write")
    assert run("create_api_token", "kid").strip().splitlines()[-1].startswith("hr_")
