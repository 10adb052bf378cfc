"""`manage.py refresh_prices`: pull closes now and recompute, as the after-close task does."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from portfolios.models import PendingRecompute, Price
from tests.conftest import client_for
from tests.portfolios.factories import AccountFactory, SecurityFactory
from tests.portfolios.ledger_builders import buy, deposit

pytestmark = pytest.mark.django_db


@time_machine.travel("2026-03-06 23:00:00+00:00", tick=False)
def test_csv_provider_closes_are_stored_and_holdings_revalued(
    cast, settings, tmp_path, django_capture_on_commit_callbacks
):
    # given 10 VTI bought on Monday 2026-03-02 and a price folder with three closes
    settings.PRICE_CSV_DIR = str(tmp_path)
    (tmp_path / "VTI.csv").write_text(
        "date,close\n2026-03-02,100.00\n2026-03-03,101.50\n2026-03-04,99.25\n"
    )
    vti = SecurityFactory(symbol="VTI")
    joint = AccountFactory(household=cast.household_a, name="Joint")
    deposit(joint, "2026-03-02", 1000)
    buy(joint, "2026-03-02", vti, 10, 1000)
    out = StringIO()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        call_command("refresh_prices", "--provider", "csv", stdout=out, stderr=StringIO())
    # then the three closes are stored and the household recomputed by the (eager) worker
    assert sorted(Price.objects.values_list("date", "close")) == [
        (date(2026, 3, 2), Decimal("100.00")),
        (date(2026, 3, 3), Decimal("101.50")),
        (date(2026, 3, 4), Decimal("99.25")),
    ]
    assert "csv: 3 closes for 1 symbols" in out.getvalue()
    assert "recompute of Alpha from 2026-03-02 handed to the worker" in out.getvalue()
    assert not PendingRecompute.objects.exists()
    # and the holding is worth 10 × 99.25 = 992.50, a loss of 7.50 on its 1,000 cost
    rows = client_for(cast.owner).get("/api/v1/holdings/").json()["results"]
    assert [(r["symbol"], r["market_value"], r["unrealized_gain"]) for r in rows] == [
        ("VTI", "992.5", "-7.5")
    ]
    # and running again fetches nothing new
    again = StringIO()
    call_command("refresh_prices", "--provider", "csv", stdout=again, stderr=StringIO())
    assert "csv: 0 closes for" in again.getvalue()
