"""Another household's symbols look exactly like unknown ones; trade dates after tomorrow
are refused by the API and the edit form."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.test import Client

from alerts.services.recompute import household_recompute
from portfolios.models import Transaction
from tests.conftest import SECRET_SYMBOL, client_for, token_client
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit

pytestmark = [pytest.mark.django_db, pytest.mark.api]


@pytest.fixture
def bravo_valued(secret_household):
    """Household B with its own account and a valuation series; A holds ZQXW."""
    cast = secret_household
    account = AccountFactory(household=cast.household_b, name="Bravo Cash")
    deposit(account, "2025-01-02", 1000)
    household_recompute(household=cast.household_b)
    return cast


def _answer(client, symbol: str) -> tuple[int, dict]:
    response = client.get(f"/api/v1/performance/?benchmark={symbol}")
    body = response.json()
    # name the symbol generically so the two answers can be compared
    return response.status_code, {
        key: str(value).replace(symbol, "<SYMBOL>") for key, value in body.items()
    }


def test_a_symbol_only_another_household_holds_answers_as_unknown(bravo_valued, settings, tmp_path):
    # A symbol without closes the household may use is asked of the price provider (issue
    # 10); one with nothing to say answers both the same. (With a provider that knows the
    # symbol, the answer is the provider's closes, never A's: tests/reporting/
    # test_benchmark_fetch.py.)
    settings.PRICE_PROVIDER, settings.PRICE_CSV_DIR = "csv", str(tmp_path)
    outsider = client_for(bravo_valued.outsider)
    held_by_a = _answer(outsider, SECRET_SYMBOL)
    unknown = _answer(outsider, "QQZZX")
    assert held_by_a == unknown
    assert held_by_a[0] == 400
    # household A itself may use its own symbol as a benchmark
    owner = client_for(bravo_valued.owner)
    assert owner.get(f"/api/v1/performance/?benchmark={SECRET_SYMBOL}").status_code == 200


def test_market_data_and_public_benchmarks_stay_usable_by_everyone(bravo_valued):
    # VTI: a public benchmark, held by household A; MKT: market data no household holds
    vti, market = SecurityFactory(symbol="VTI"), SecurityFactory(symbol="MKT")
    a_account = bravo_valued.household_a.accounts.get(name="Zanzibar Trust")
    buy(a_account, "2025-01-02", vti, 1, 100)
    for security in (vti, market):
        close(security, "2025-01-02", 100)
        close(security, date.today().isoformat(), 110)
    outsider = client_for(bravo_valued.outsider)
    assert outsider.get("/api/v1/performance/?benchmark=VTI").status_code == 200
    assert outsider.get("/api/v1/performance/?benchmark=MKT").status_code == 200


def test_import_dry_run_lists_a_foreign_symbol_as_new(bravo_valued, tmp_path):
    from io import StringIO

    path = tmp_path / "b.csv"
    path.write_text(
        "date,account,type,symbol,quantity,price\n"
        f"2025-01-03,Bravo Cash,BUY,{SECRET_SYMBOL},1,10\n"
        "2025-01-03,Bravo Cash,BUY,QQZZX,1,10\n"
    )
    out = StringIO()
    call_command("import_transactions", str(path), "--household", "Bravo", "--dry-run", stdout=out)
    assert "new symbols 2" in out.getvalue()
    assert f"new symbols to review: QQZZX, {SECRET_SYMBOL}" in out.getvalue()


def test_the_api_refuses_trade_dates_after_tomorrow(cast):
    AccountFactory(household=cast.household_a, name="Taxable")
    client, _ = token_client(cast.owner, cast.household_a, "write")
    day_after = (date.today() + timedelta(days=2)).isoformat()
    row = {"date": day_after, "account": "Taxable", "type": "DEPOSIT", "amount": "10"}
    refused = client.post("/api/v1/transactions/", row, format="json")
    assert refused.status_code == 400
    assert "is in the future" in refused.json()["errors"]["date"][0]
    assert not Transaction.objects.exists()
    far = client.post("/api/v1/transactions/", {**row, "date": "9999-12-31"}, format="json")
    assert far.status_code == 400
    # tomorrow is accepted (a trade keyed just after midnight somewhere else)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    accepted = client.post("/api/v1/transactions/", {**row, "date": tomorrow}, format="json")
    assert accepted.status_code == 201


def test_the_edit_form_refuses_trade_dates_after_tomorrow(cast):
    account = AccountFactory(household=cast.household_a, name="Taxable")
    txn = deposit(account, "2025-01-02", 100, external_id="d1")
    member = Client()
    member.force_login(cast.member)
    page = member.post(
        f"/portfolio/transactions/{txn.pk}/edit/",
        {"date": "9999-12-31", "account": "Taxable", "type": "DEPOSIT", "amount": "100"},
    )
    assert page.status_code == 200
    assert b"is in the future" in page.content
    txn.refresh_from_db()
    assert txn.trade_date == date(2025, 1, 2)
