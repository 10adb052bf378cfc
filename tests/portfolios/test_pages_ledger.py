"""The holdings, position-lots and realized-gains pages."""

from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from portfolios.models import Account
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, close, deposit, sell

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def wash_sale(cast):
    """Joint: 100 XYZ for 1,000, sold for 750, 100 bought back for 800 (Pub 550)."""
    joint = AccountFactory(household=cast.household_a, name="Joint")
    ira = AccountFactory(household=cast.household_a, name="IRA", type=Account.Type.ROTH_IRA)
    xyz = SecurityFactory(symbol="XYZ")
    deposit(joint, "2024-01-02", 2000)
    buy(joint, "2024-01-02", xyz, 100, 1000, external_id="first")
    sell(joint, "2024-03-01", xyz, 100, 750)
    buy(joint, "2024-03-15", xyz, 100, 800, external_id="again")
    deposit(ira, "2023-01-03", 90)
    buy(ira, "2023-01-03", xyz, 10, 90)
    close(xyz, "2024-05-31", 9)
    call_command("recompute", stdout=None)
    return {"joint": joint, "ira": ira, "xyz": xyz}


def page(user, url: str):
    client = Client()
    client.force_login(user)
    return client.get(url)


@time_machine.travel("2024-06-03")
def test_holdings_page_shows_values_gains_and_weights(cast, wash_sale):
    # given Joint's 100 XYZ costing 1,050 and the IRA's 10 costing 90, XYZ closing at 9,
    # and cash of 2,000 - 1,000 + 750 - 800 = 950 in Joint and 90 - 90 = 0 in the IRA
    # when
    response = page(cast.viewer, "/portfolio/holdings/")

    # then Joint: 100 x 9 = 900, a loss of 900 - 1,050 = -150 in red; the household is worth
    # 900 + 90 + 950 = 1,940, so Joint's weight is 900 / 1,940 = 46.39%
    html = response.content.decode()
    assert response.status_code == 200
    assert '<td class="num neg" data-label="Unrealized gain">−$150.00</td>' in html
    assert "46.39%" in html
    # and the IRA: 10 x 9 = 90, no gain; its weight 90 / 1,940 = 4.64%
    assert "4.64%" in html


@time_machine.travel("2024-06-03")
def test_consolidated_holdings_page_has_one_row_per_security(cast, wash_sale):
    response = page(cast.owner, "/portfolio/holdings/?view=consolidated")
    html = response.content.decode()
    # 110 shares costing 1,050 + 90 = 1,140, worth 990: a loss of 150
    assert response.status_code == 200
    assert html.count('data-symbol="XYZ"') == 1
    assert ">$1,140.00<" in html
    assert '<td class="num neg" data-label="Unrealized gain">−$150.00</td>' in html


@time_machine.travel("2024-06-03")
def test_lots_page_shows_basis_wash_sale_adjustment_and_term(cast, wash_sale):
    # when
    url = f"/portfolio/holdings/{wash_sale['xyz'].pk}/lots/?account={wash_sale['joint'].pk}"
    response = page(cast.owner, url)

    # then the replacement lot: acquired 2024-03-15, held from 2024-01-16, basis 1,050 of
    # which 250 is the wash-sale adjustment, short term on 2024-06-03
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("2024-03-15", "2024-01-16", "$1,050.00", "$250.00", "Short-term", "again"):
        assert text in html, text
    assert "IRA" not in html


@time_machine.travel("2024-06-03")
def test_realized_gains_page_totals_by_term_with_wash_sale_flags(cast, wash_sale):
    response = page(cast.viewer, "/portfolio/gains/?year=2024")
    html = response.content.decode()
    # the one sale: proceeds 750, basis 1,000, gain -250, 250 disallowed, taxable 0, code W
    assert response.status_code == 200
    assert '<span class="badge" title="Wash sale: loss disallowed">W</span>' in html
    assert '<td class="num neg" data-label="Gain">−$250.00</td>' in html
    assert "Short-term" in html and "Long-term" in html
    assert '<option value="2024" selected>' in html


def test_other_households_objects_answer_404(cast, wash_sale):
    # household B's owner asks for A's position and account
    xyz, joint = wash_sale["xyz"], wash_sale["joint"]
    assert page(cast.outsider, f"/portfolio/holdings/{xyz.pk}/lots/").status_code == 404
    assert page(cast.owner, f"/portfolio/holdings/{xyz.pk}/lots/").status_code == 200
    other = AccountFactory(household=cast.household_b, name="Bravo Brokerage")
    url = f"/portfolio/holdings/{xyz.pk}/lots/?account={other.pk}"
    assert page(cast.owner, url).status_code == 404
    assert (
        f"?account={joint.pk}" not in page(cast.outsider, "/portfolio/holdings/").content.decode()
    )


def test_pages_need_a_login():
    for url in ("/portfolio/holdings/", "/portfolio/gains/", "/portfolio/holdings/1/lots/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_stored_ledger_error_is_shown(cast, wash_sale):
    sell(wash_sale["joint"], "2024-04-01", wash_sale["xyz"], 500, 4000, external_id="too-many")
    with pytest.raises(Exception, match="too-many"):
        call_command("recompute", stdout=None)
    html = page(cast.owner, "/portfolio/holdings/").content.decode()
    assert "The ledger could not be rebuilt" in html
    assert "too-many" in html
