"""The recompute chain keeps the stored received income by month current
(``alerts.services.derived``: the projections step sums it again from the changed day)."""

from datetime import date
from decimal import Decimal

from alerts.services.recompute import pending_recompute_run
from income.models import ReceivedIncomeMonth
from income.services.received import received_months_refresh_if_stale
from portfolios.models import PendingRecompute
from portfolios.services.recompute import ledger_mark_changed
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory

D = Decimal


def _dividend(account, day: date, amount: str, held) -> None:
    TransactionFactory(
        account=account, trade_date=day, type="DIVIDEND", security=held, amount=D(amount)
    )


def _stored(household) -> list[tuple[date, str, Decimal]]:
    return list(
        ReceivedIncomeMonth.objects.filter(household=household)
        .order_by("month", "source")
        .values_list("month", "source", "amount")
    )


def test_the_chain_sums_the_months_from_the_marked_day_and_ends_current(cast):
    # given a 10.00 dividend in January 2023, summed by a first run of the chain
    account = AccountFactory(household=cast.household_a, name="Taxable")
    ko = SecurityFactory(symbol="KO", qualified_default=True)
    _dividend(account, date(2023, 1, 16), "10.00", ko)
    ledger_mark_changed(household=cast.household_a, from_date=date(2023, 1, 16))
    pending_recompute_run(household_id=cast.household_a.pk)
    january = ReceivedIncomeMonth.objects.get(household=cast.household_a)

    # when 2.50 and 4.00 are paid in March 2024 and the worker runs the chain
    _dividend(account, date(2024, 3, 15), "2.50", ko)
    _dividend(account, date(2024, 3, 29), "4.00", ko)
    ledger_mark_changed(household=cast.household_a, from_date=date(2024, 3, 15))
    pending_recompute_run(household_id=cast.household_a.pk)

    # then March holds 2.50 + 4.00; 2023's row was left as it was (the ledger's own changes
    # start with 2024, the marked day's year); the mark is gone and the stored rows are
    # current without another sum
    assert _stored(cast.household_a) == [
        (date(2023, 1, 1), "qualified_dividend", D("10.00")),
        (date(2024, 3, 1), "qualified_dividend", D("6.50")),
    ]
    assert ReceivedIncomeMonth.objects.filter(pk=january.pk).exists()
    assert not PendingRecompute.objects.filter(household=cast.household_a).exists()
    assert received_months_refresh_if_stale(household=cast.household_a) is False


def test_a_full_recompute_sums_every_month_again(cast):
    # given stored months, then a row changed behind the chain's back (no mark)
    account = AccountFactory(household=cast.household_a, name="Taxable")
    ko = SecurityFactory(symbol="KO", qualified_default=True)
    _dividend(account, date(2024, 1, 16), "10.00", ko)
    pending_recompute_run(household_id=cast.household_a.pk, full=True)
    _dividend(account, date(2023, 6, 15), "1.25", ko)

    # when the household is recomputed in full
    pending_recompute_run(household_id=cast.household_a.pk, full=True)

    # then
    assert _stored(cast.household_a) == [
        (date(2023, 6, 1), "qualified_dividend", D("1.25")),
        (date(2024, 1, 1), "qualified_dividend", D("10.00")),
    ]
