"""History that starts mid-way: OPENING lots, refusals with rows to fill in, unknown basis
through the ledger, the API and the pages."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.test import Client
from rest_framework.test import APIClient

from portfolios.models import LotRelief, TaxLot, Transaction
from portfolios.services.ledger import ledger_rebuild
from tests.portfolios.factories import AccountFactory
from tests.portfolios.import_summaries import BROKERS
from tests.portfolios.test_imports_every_broker_file import run_import

pytestmark = pytest.mark.django_db

FIDELITY = BROKERS / "fidelity" / "History_for_Account_Z12345678.csv"


@pytest.fixture
def brokerage(cast):
    return AccountFactory(household=cast.household_a, name="Brokerage", number="Z12345678")


def test_a_sale_beyond_what_is_held_is_refused_with_opening_rows_to_fill_in(brokerage):
    with pytest.raises(CommandError) as raised:
        run_import(FIDELITY)
    lines = str(raised.value).splitlines()
    # the sale of 8 MSFT on line 7 is named with its shortfall
    assert lines[1] == (
        "sales exceed the shares Hearth knows the account held (MSFT in Brokerage short by 8): "
        "import the OPENING rows shown (a Hearth CSV; fill in each amount, the cost basis, if "
        "you know it) and then this file, or import this file with --open-missing ('Open "
        "missing positions' when uploading) to open them with unknown basis, flagged for review"
    )
    assert lines[2].startswith(
        "line 7, column quantity: sells 8 MSFT but the account holds 0 then, 8 short"
    )
    # the rows to fill in: dated the day before the file's first MSFT row (2024-03-01)
    assert lines[-2:] == [
        "date,account,type,symbol,quantity,amount,memo",
        "2024-02-29,Brokerage,OPENING,MSFT,8,,"
        '"held before the statement starts; amount = cost basis, blank if unknown"',
    ]
    assert Transaction.objects.count() == 0


def test_the_filled_in_opening_rows_then_let_the_file_in_with_a_known_basis(
    brokerage, tmp_path: Path
):
    # given the household fills in the basis of the 8 MSFT: 2400.00
    openings = tmp_path / "openings.csv"
    openings.write_text(
        "date,account,type,symbol,quantity,amount\n2022-06-01,Brokerage,OPENING,MSFT,8,2400\n"
    )
    run_import(openings)
    # when
    assert "added 9," in run_import(FIDELITY)
    ledger_rebuild(household=brokerage.household)
    # then the sale's gain is known: 3282.00 - 0.05 - 2400.00, long term (held > 1 year)
    relief = LotRelief.objects.get(security__symbol="MSFT")
    assert (relief.gain, relief.term, relief.basis_unknown) == (D("881.95"), "long", False)


def test_open_missing_opens_the_shortfall_at_unknown_basis_and_reimport_adds_nothing(brokerage):
    # when
    output = run_import(FIDELITY, "--open-missing")
    # then
    assert "added 10," in output
    assert (
        "opened at unknown basis (enter the cost basis): MSFT in Brokerage: 8 shares held "
        "before 2024-03-01, basis unknown" in output
    )
    opening = Transaction.objects.get(type="OPENING")
    assert (opening.trade_date.isoformat(), opening.quantity, opening.basis_unknown) == (
        "2024-02-29",
        D("8"),
        True,
    )
    assert "added 0, duplicates 9" in run_import(FIDELITY, "--open-missing")

    ledger_rebuild(household=brokerage.household)
    relief = LotRelief.objects.get(security__symbol="MSFT")
    assert (relief.proceeds, relief.basis_unknown) == (D("3281.95"), True)


def test_unknown_basis_is_null_in_the_api_and_unknown_on_the_pages(cast, brokerage):
    run_import(FIDELITY, "--open-missing")
    ledger_rebuild(household=brokerage.household)
    api = APIClient()
    api.force_authenticate(cast.owner)

    # the realized gain of the sale from unknown basis: null, never a gain of 3281.95
    [gain] = api.get("/api/v1/realized-gains/", {"year": 2024, "symbol": "MSFT"}).json()["results"]
    assert (gain["proceeds"], gain["cost_basis"], gain["gain"], gain["basis_unknown"]) == (
        "3281.95",
        None,
        None,
        True,
    )
    page = Client()
    page.force_login(cast.owner)
    html = page.get("/portfolio/gains/?year=2024").content.decode()
    assert "sale of unknown basis (proceeds $3,281.95)" in html
    # the year's known gains leave it out: the totals hold no sale at all
    assert 'id="gain-totals-unknown-short"' in html


def test_an_opening_of_unknown_basis_still_open_shows_unknown_cost(cast, tmp_path: Path):
    account = AccountFactory(household=cast.household_a, name="Joint")
    path = tmp_path / "openings.csv"
    path.write_text("date,account,type,symbol,quantity,amount\n2020-01-02,Joint,OPENING,VTI,5,\n")
    run_import(path)
    ledger_rebuild(household=account.household)
    lot = TaxLot.objects.get()
    assert (lot.quantity, lot.cost_basis, lot.basis_unknown) == (D("5"), D("0"), True)
    api = APIClient()
    api.force_authenticate(cast.owner)
    [row] = api.get("/api/v1/lots/").json()["results"]
    assert (row["cost_basis"], row["unrealized_gain"], row["basis_unknown"]) == (None, None, True)
    [holding] = api.get("/api/v1/holdings/").json()["results"]
    assert (holding["basis_unknown"], holding["unrealized_gain"]) == (True, None)
    # harvesting never offers a lot whose loss cannot be known
    assert api.get("/api/v1/harvest/").json()["results"] == []
