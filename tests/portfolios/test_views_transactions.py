"""Transactions pages: list with filters and pages, edit and delete (roles and isolation)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from portfolios.models import LedgerState, Transaction
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory

pytestmark = pytest.mark.django_db

LIST = "/portfolio/transactions/"
D = Decimal


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ledger(cast):
    vti = SecurityFactory(symbol="VTI")
    taxable = AccountFactory(household=cast.household_a, name="Taxable")
    bravo = AccountFactory(household=cast.household_b, name="Bravo Brokerage")
    return {
        "taxable": taxable,
        "deposit": TransactionFactory(
            account=taxable, trade_date=date(2024, 1, 2), amount=D(10000), memo="opening"
        ),
        "buy": TransactionFactory(
            account=taxable, trade_date=date(2024, 1, 3), type="BUY", security=vti,
            quantity=D(10), price=D(200), amount=D(2000), fees=D(1), external_id="b1",
        ),
        "bravo": TransactionFactory(account=bravo, memo="bravo-only"),
    }  # fmt: skip


def test_list_shows_the_households_rows_and_filters_them(cast, ledger):
    client = browser(cast.viewer)
    # when
    page = client.get(LIST).content.decode()
    filtered = client.get(f"{LIST}?account=Taxable&type=BUY&symbol=vti").content.decode()
    # then
    assert "opening" in page
    assert "bravo-only" not in page
    assert "2 transactions, newest first" in page
    assert "1 transaction, newest first" in filtered
    assert "opening" not in filtered
    # a viewer gets no edit links
    assert "/edit/" not in page


def test_list_filters_by_date_range_and_reports_bad_dates(cast, ledger):
    client = browser(cast.owner)
    page = client.get(f"{LIST}?start=2024-01-03&end=2024-01-03").content.decode()
    assert "1 transaction, newest first" in page
    bad = client.get(f"{LIST}?start=2024-01-09&end=2024-01-01")
    assert bad.status_code == 200
    assert "must be on or after the start date" in bad.content.decode()


def test_list_is_paginated_keeping_the_filters(cast, ledger):
    # given 60 more deposits: 62 rows, 50 a page
    for offset in range(60):
        TransactionFactory(
            account=ledger["taxable"], trade_date=date(2023, 1, 1) + timedelta(days=offset)
        )
    client = browser(cast.member)
    # when
    first = client.get(f"{LIST}?account=Taxable").content.decode()
    second = client.get(f"{LIST}?account=Taxable&page=2").content.decode()
    # then
    assert "Page 1 of 2" in first
    assert "?account=Taxable&amp;page=2" in first
    assert second.count("/edit/") == 12


def test_member_edits_a_transaction_and_the_ledger_is_marked(cast, ledger):
    # given
    client = browser(cast.member)
    url = f"/portfolio/transactions/{ledger['buy'].pk}/edit/"
    form = client.get(url)
    assert form.status_code == 200
    assert 'value="200"' in form.content.decode()
    # when moving the buy two days earlier at price 199, amount left as shown
    data = {
        "date": "2024-01-01", "account": "Taxable", "type": "BUY", "symbol": "VTI",
        "quantity": "10", "price": "199", "amount": "2000", "fees": "1",
    }  # fmt: skip
    response = client.post(url, data)
    # then amount is recomputed (10 x 199 = 1990: only price changed), and the ledger is
    # dirty from the earlier of the two dates
    assert response.status_code == 302
    ledger["buy"].refresh_from_db()
    assert (ledger["buy"].trade_date, ledger["buy"].price, ledger["buy"].amount) == (
        date(2024, 1, 1), D(199), D(1990)
    )  # fmt: skip
    assert ledger["buy"].external_id == "b1"
    assert LedgerState.objects.get(household=cast.household_a).dirty_from == date(2024, 1, 1)


def test_edit_shows_the_importers_errors_on_the_form(cast, ledger):
    client = browser(cast.owner)
    url = f"/portfolio/transactions/{ledger['buy'].pk}/edit/"
    response = client.post(
        url, {"date": "2024-01-03", "account": "Taxable", "type": "SELL", "symbol": "VTI",
              "quantity": "-2", "price": "200"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "must be a positive number, got &#x27;-2&#x27;" in response.content.decode()
    ledger["buy"].refresh_from_db()
    assert ledger["buy"].type == "BUY"


def test_viewer_gets_403_and_other_households_rows_404(cast, ledger):
    viewer, outsider = browser(cast.viewer), browser(cast.outsider)
    for action in ("edit", "delete"):
        url = f"/portfolio/transactions/{ledger['buy'].pk}/{action}/"
        assert viewer.get(url).status_code == 403
        assert viewer.post(url, {}).status_code == 403
        assert outsider.get(url).status_code == 404
        assert outsider.post(url, {}).status_code == 404
    assert Transaction.objects.filter(pk=ledger["buy"].pk).exists()


def test_member_deletes_a_transaction(cast, ledger):
    client = browser(cast.member)
    url = f"/portfolio/transactions/{ledger['deposit'].pk}/delete/"
    assert "Delete this transaction?" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302
    assert not Transaction.objects.filter(pk=ledger["deposit"].pk).exists()
    assert LedgerState.objects.get(household=cast.household_a).dirty_from == date(2024, 1, 2)


def test_delete_is_refused_when_a_later_sale_needs_the_shares(cast, ledger):
    TransactionFactory(
        account=ledger["taxable"], trade_date=date(2024, 2, 1), type="SELL",
        security=ledger["buy"].security, quantity=D(4), price=D(210), amount=D(840),
    )  # fmt: skip
    client = browser(cast.owner)
    response = client.post(f"/portfolio/transactions/{ledger['buy'].pk}/delete/", follow=True)
    assert "SELL of 4 exceeds the 0 shares held" in response.content.decode()
    assert Transaction.objects.filter(pk=ledger["buy"].pk).exists()


def test_nav_links_to_transactions_and_for_writers_to_import(cast, ledger):
    viewer_page = browser(cast.viewer).get("/").content.decode()
    member_page = browser(cast.member).get("/").content.decode()
    assert 'href="/portfolio/transactions/"' in viewer_page
    assert 'href="/portfolio/imports/"' not in viewer_page
    assert 'href="/portfolio/imports/"' in member_page


def test_the_review_badge_follows_the_households_own_classification(cast):
    # given NEWCO, new to both households (the shared row flagged for review)
    newco = SecurityFactory(symbol="NEWCO", kind="unknown", asset_class="unknown")
    newco.needs_review = True
    newco.save(update_fields=["needs_review"])
    for household in (cast.household_a, cast.household_b):
        account = AccountFactory(household=household, name="Taxable")
        TransactionFactory(account=account, trade_date=date(2024, 1, 2), amount=D(500))
        TransactionFactory(
            account=account, trade_date=date(2024, 1, 3), type="BUY", security=newco,
            quantity=D(1), price=D(100), amount=D(100),
        )  # fmt: skip
    alice, bob = browser(cast.owner), browser(cast.outsider)
    badge = '<span class="badge" title="New symbol, check its kind and asset class">review</span>'
    assert badge in alice.get(LIST).content.decode()
    # when household A classifies it
    answer = alice.patch(
        f"/api/v1/securities/{newco.pk}/",
        {"kind": "stock", "asset_class": "us_equity"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    # then A's list drops the badge, and B, which has not classified it, still sees it
    assert badge not in alice.get(LIST).content.decode()
    assert badge in bob.get(LIST).content.decode()
    newco.refresh_from_db()
    assert newco.needs_review is True  # the shared row is untouched
