"""The stored received income by month (``income.services.received``) and its reads.

The `received` fixture (conftest) is household A's income from November 2024 to March
2025; today is frozen at 10 April 2025.
"""

from datetime import date
from decimal import Decimal

import pytest

from income.calculations import IncomeSource
from income.models import ReceivedIncomeMonth, ReceivedIncomeState
from income.selectors import received_payments, received_totals
from income.services.received import (
    received_months_rebuild,
    received_months_refresh_if_stale,
)
from portfolios.models import Account, Security, SecurityProfile, Transaction
from portfolios.services.recompute import recompute_pending_clear, recompute_pending_get
from portfolios.services.transactions import transaction_create
from tests.conftest import client_for
from tests.income.builders import income, security
from tests.portfolios.factories import AccountFactory

pytestmark = [pytest.mark.usefixtures("frozen_today")]
D = Decimal


def _stored(household) -> set[tuple[str, str, str, Decimal, int]]:
    return {
        (row.month.isoformat(), row.account.name, row.source, row.amount, row.payments)
        for row in ReceivedIncomeMonth.objects.filter(household=household).select_related("account")
    }


def test_rebuild_sums_each_month_account_and_source(cast, received):
    # given a second KO dividend in March: 51.00 + 49.00 qualified in Taxable
    income(received["taxable"], date(2025, 3, 28), "49.00", held=received["ko"])

    # when
    written = received_months_rebuild(household=cast.household_a)

    # then one row per month, account and source; tax withheld is not a source, return of
    # capital is kept (readers leave it out), the O dividends are ordinary (REIT default)
    assert written == 9
    assert _stored(cast.household_a) == {
        ("2024-11-01", "Taxable", "bond_coupon", D("200.00"), 1),
        ("2024-12-01", "Taxable", "capital_gain_distribution", D("5.00"), 1),
        ("2025-01-01", "Taxable", "option_premium", D("85.00"), 1),
        ("2025-01-01", "Taxable", "preferred_dividend", D("20.00"), 1),
        ("2025-02-01", "Taxable", "interest", D("12.34"), 1),
        ("2025-02-01", "IRA", "ordinary_dividend", D("52.50"), 1),
        ("2025-03-01", "Taxable", "qualified_dividend", D("100.00"), 2),
        ("2025-03-01", "Taxable", "return_of_capital", D("10.00"), 1),
        ("2025-03-01", "IRA", "ordinary_dividend", D("52.50"), 1),
    }


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        # Jan: PFF 20 (31st; the 17 Jan premium is before the start) | Feb: 12.34 + 52.50 |
        # Mar: KO 51 (14th; O on the 17th and return of capital after the end)
        (
            "month",
            [
                (date(2025, 1, 1), "2025-01-01", D("20.00")),
                (date(2025, 2, 1), "2025-02-01", D("64.84")),
                (date(2025, 3, 1), "2025-03-01", D("51.00")),
            ],
        ),
        # alice's Taxable: 20 + 12.34 + 51 | carol's IRA: 52.50 (February's)
        ("member", [("alice", "alice", D("83.34")), ("carol", "carol", D("52.50"))]),
        (
            "tax_treatment",
            [("tax_deferred", "tax_deferred", D("52.50")), ("taxable", "taxable", D("83.34"))],
        ),
    ],
)
def test_totals_read_whole_months_stored_and_cut_months_from_payments(
    cast, received, group_by, expected
):
    # given the stored months
    received_months_rebuild(household=cast.household_a)

    # when 20 January to 15 March is asked for (February whole, the others cut)
    totals = received_totals(
        household=cast.household_a,
        group_by=group_by,
        start=date(2025, 1, 20),
        end=date(2025, 3, 15),
    )

    # then
    assert totals == expected


def test_totals_of_whole_months_come_from_the_stored_rows_alone(cast, received):
    # given stored months, then a row written behind the recompute's back
    received_months_rebuild(household=cast.household_a)
    income(received["taxable"], date(2025, 2, 10), "1000.00", type=Transaction.Type.INTEREST)

    # when February is asked for, whole, and then cut
    whole = received_totals(
        household=cast.household_a, group_by="month", start=date(2025, 2, 1), end=date(2025, 2, 28)
    )
    cut = received_totals(
        household=cast.household_a, group_by="month", start=date(2025, 2, 1), end=date(2025, 2, 27)
    )

    # then the whole month is the stored 12.34 + 52.50; the cut one reads the payments:
    # 1000 (10th) + 52.50 (18th), the 12.34 of the 28th after the end
    assert whole == [(date(2025, 2, 1), "2025-02-01", D("64.84"))]
    assert cut == [(date(2025, 2, 1), "2025-02-01", D("1052.50"))]


def test_a_new_transaction_refreshes_the_months_from_its_own(cast, received):
    # given stored months, current
    received_months_rebuild(household=cast.household_a)
    assert received_months_refresh_if_stale(household=cast.household_a) is False
    january = ReceivedIncomeMonth.objects.get(
        household=cast.household_a, month=date(2025, 1, 1), source="option_premium"
    )

    # when a 49.00 KO dividend on 28 March is written as a user does (it marks the household)
    transaction_create(
        household=cast.household_a,
        fields={
            "date": "2025-03-28",
            "account": "Taxable",
            "type": "DIVIDEND",
            "symbol": "KO",
            "amount": "49.00",
            "income_class": "qualified",
        },
    )

    # then the read before the worker sums March again, and January's row is untouched
    assert received_months_refresh_if_stale(household=cast.household_a) is True
    assert ("2025-03-01", "Taxable", "qualified_dividend", D("100.00"), 2) in _stored(
        cast.household_a
    )
    assert ReceivedIncomeMonth.objects.filter(pk=january.pk).exists()
    assert received_months_refresh_if_stale(household=cast.household_a) is False

    # and after the recompute chain: its derived step sums from the marked day, then the
    # chain ends the pending mark; the rows stay current
    pending = recompute_pending_get(household_id=cast.household_a.pk)
    assert pending is not None
    received_months_rebuild(household=cast.household_a, from_date=pending.from_date)
    assert recompute_pending_clear(household_id=cast.household_a.pk, version=pending.version)
    assert received_months_refresh_if_stale(household=cast.household_a) is False
    assert ("2025-03-01", "Taxable", "qualified_dividend", D("100.00"), 2) in _stored(
        cast.household_a
    )


def test_the_api_reads_a_change_made_since_the_last_read(cast, received):
    # given the months read once
    client = client_for(cast.owner)
    assert client.get("/api/v1/income/?group_by=month").json()["results"][-1] == {
        "month": "2025-03-01",
        "amount": "103.5",
    }

    # when a 49.00 dividend is added in March through the API
    response = client.post(
        "/api/v1/transactions/",
        {
            "date": "2025-03-28",
            "account": "Taxable",
            "type": "DIVIDEND",
            "symbol": "KO",
            "amount": "49.00",
            "income_class": "qualified",
        },
        format="json",
    )
    assert response.status_code == 201, response.content

    # then March is 51 + 52.50 + 49
    assert client.get("/api/v1/income/?group_by=month").json()["results"][-1] == {
        "month": "2025-03-01",
        "amount": "152.5",
    }


def test_a_classification_change_sums_every_month_again(cast, received):
    # given stored months: the O dividends are ordinary (the REIT's default)
    received_months_rebuild(household=cast.household_a)

    # when household A says O's dividends are qualified
    SecurityProfile.objects.create(
        household=cast.household_a,
        security=received["o"],
        kind=Security.Kind.REIT,
        asset_class=Security.AssetClass.REAL_ESTATE,
        qualified_default=True,
    )

    # then both IRA months (February, March) turn qualified
    assert received_months_refresh_if_stale(household=cast.household_a) is True
    ira = {row for row in _stored(cast.household_a) if row[1] == "IRA"}
    assert ira == {
        ("2025-02-01", "IRA", "qualified_dividend", D("52.50"), 1),
        ("2025-03-01", "IRA", "qualified_dividend", D("52.50"), 1),
    }


def test_another_households_income_is_never_summed(cast, received):
    # given household B's own 999.00 dividend in March, same security
    other = AccountFactory(household=cast.household_b, name="Taxable", type=Account.Type.TAXABLE)
    income(other, date(2025, 3, 14), "999.00", held=received["ko"])

    # when both are summed
    received_months_rebuild(household=cast.household_a)
    received_months_rebuild(household=cast.household_b)

    # then each has its own rows, and A's API shows only A's
    assert _stored(cast.household_b) == {
        ("2025-03-01", "Taxable", "qualified_dividend", D("999.00"), 1)
    }
    assert ("2025-03-01", "Taxable", "qualified_dividend", D("51.00"), 1) in _stored(
        cast.household_a
    )
    body = client_for(cast.owner).get("/api/v1/income/?group_by=account").json()
    assert [(row["account"], row["amount"]) for row in body["results"]] == [
        ("IRA", "105"),
        ("Taxable", "373.34"),
    ]
    assert ReceivedIncomeState.objects.filter(household=cast.household_b).count() == 1


def test_the_sources_summed_in_the_database_are_received_sources_every_time(cast):
    # given one payment in its own month for every type, income class and kind (the
    # reference kind and qualified default, and two overridden by household A's profiles)
    account = AccountFactory(household=cast.household_a, name="Taxable")
    held = [
        security("STK", kind=Security.Kind.STOCK, qualified_default=True),
        security("REI", kind=Security.Kind.REIT, qualified_default=False),
        security("PRF", kind=Security.Kind.PREFERRED),
        security("BND", kind=Security.Kind.BOND),
        security("NOW", kind=Security.Kind.STOCK, qualified_default=True),  # preferred in A
        security("NQL", kind=Security.Kind.STOCK, qualified_default=True),  # not qualified in A
    ]
    for symbol, kind, qualified in (
        ("NOW", Security.Kind.PREFERRED, True),
        ("NQL", Security.Kind.STOCK, False),
    ):
        SecurityProfile.objects.create(
            household=cast.household_a,
            security=next(s for s in held if s.symbol == symbol),
            kind=kind,
            asset_class=Security.AssetClass.US_EQUITY,
            qualified_default=qualified,
        )
    payments = [
        (kind, income_class, paid)
        for kind in ("DIVIDEND", "REINVEST")
        for income_class in ("", "qualified", "ordinary", "return_of_capital", "capital_gain")
        for paid in held
    ]
    payments += [("INTEREST", "", paid) for paid in (None, *held)]
    payments += [("OPTION_PREMIUM", "", held[0]), ("RETURN_OF_CAPITAL", "", held[1])]
    for index, (kind, income_class, paid) in enumerate(payments):
        day = date(2010 + index // 12, index % 12 + 1, 15)
        income(account, day, f"{index + 1}.00", type=kind, held=paid, income_class=income_class)

    # when summed in the database
    received_months_rebuild(household=cast.household_a)

    # then each month holds the one payment, under the source received_source gives it
    ledger = received_payments(household=cast.household_a)
    expected = {
        (payment.pay_date.replace(day=1), str(payment.source), payment.amount)
        for payment in ledger.payments
    }
    stored = {
        (month, source, amount)
        for month, source, amount in ReceivedIncomeMonth.objects.filter(
            household=cast.household_a
        ).values_list("month", "source", "amount")
    }
    assert len(expected) == len(payments)
    assert stored == expected
    # every source a payment can have was met
    assert {source for _, source, _ in stored} == {
        str(source) for source in IncomeSource if source != IncomeSource.BOND_PRINCIPAL
    }


def _received_keys() -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, convalidated, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'income_receivedincomemonth'::regclass AND contype = 'f' "
            "ORDER BY 1"
        )
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)  # the household's own rows owe no checks
def test_every_month_written_again_checks_its_keys_at_once_and_keeps_them(cast, received):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's keys")
    # given the months stored, and the table's keys
    household = cast.household_a
    received_months_rebuild(household=household)
    before, keys = _stored(household), _received_keys()
    assert len(keys) == 2  # the household and the account
    # when every month is summed again, then only March
    with CaptureQueriesContext(connection) as every_month:
        received_months_rebuild(household=household)
    with CaptureQueriesContext(connection) as from_march:
        received_months_rebuild(household=household, from_date=date(2025, 3, 1))
    # then the keys were set aside and validated for every month only, and are as they were
    statements = [query["sql"] for query in every_month.captured_queries]
    assert sum("DROP CONSTRAINT" in sql for sql in statements) == 2
    assert sum("VALIDATE CONSTRAINT" in sql for sql in statements) == 2
    assert not any("CONSTRAINT" in query["sql"] for query in from_march.captured_queries)
    assert _received_keys() == keys
    # and the months are the ones stored before
    assert _stored(household) == before
