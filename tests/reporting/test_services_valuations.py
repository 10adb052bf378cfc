"""valuations_rebuild: scopes, flows at each scope's edge, FX, the gain breakdown, and an
incremental rebuild that stores exactly what a full one does."""

import dataclasses
import threading
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from portfolios.models import FxRate, Price, Transaction
from portfolios.providers.demo import DemoProvider
from portfolios.services.households import account_create
from reporting.calculations.daily_series import decode_series
from reporting.models import ValuationSeries
from reporting.selectors.performance import gain_breakdown, period_window
from reporting.selectors.series import series_get, series_list
from reporting.services import valuations as valuations_module
from reporting.services.valuations import valuations_rebuild
from tests.portfolios.factories import SecurityFactory, TransactionFactory

pytestmark = pytest.mark.django_db
Scope = ValuationSeries.Scope
YEAR_START, YEAR_END = date(2023, 1, 1), date(2023, 12, 31)


def _txn(account, day, kind, **fields):
    return TransactionFactory(account=account, trade_date=day, type=kind, **fields)


def _price_history(security, start=YEAR_START, end=YEAR_END):
    closes = DemoProvider().fetch_closes(security.symbol, start, end)
    Price.objects.bulk_create(Price(security=security, date=c.date, close=c.close) for c in closes)


def _close(security, day) -> Decimal:
    return Price.objects.filter(security=security, date__lte=day).order_by("-date").first().close


def _arrays(household):
    return {
        (row.scope, row.scope_key): decode_series(row.values, row.history, row.start_date)
        for row in ValuationSeries.objects.filter(household=household)
    }


@pytest.fixture
def ledger(cast):
    """Three accounts in three sleeves (one in euros), a split, transfers, income and costs."""
    household = cast.household_a
    sleeves = {s.name: s for s in household.sleeves.all()}
    joint = account_create(
        household=household, name="Joint", type="taxable", default_sleeve=sleeves["core"]
    )
    ira = account_create(
        household=household, name="IRA", type="roth_ira", default_sleeve=sleeves["growth"]
    )
    euro = account_create(
        household=household,
        name="Euro",
        type="taxable",
        currency="EUR",
        default_sleeve=sleeves["income"],
    )
    vti, bnd = SecurityFactory(symbol="VTI"), SecurityFactory(symbol="BND")
    sap = SecurityFactory(symbol="SAP", currency="EUR")
    for security in (vti, bnd, sap):
        _price_history(security)
    FxRate.objects.bulk_create(
        FxRate(base=r.base, quote=r.quote, date=r.date, rate=r.rate)
        for r in DemoProvider().fetch_fx("EUR", "USD", YEAR_START - timedelta(days=10), YEAR_END)
    )
    q = Decimal
    _txn(joint, date(2023, 1, 3), "DEPOSIT", amount=q(50000))
    _txn(
        joint,
        date(2023, 1, 3),
        "BUY",
        security=vti,
        quantity=q(100),
        amount=q(100) * _close(vti, date(2023, 1, 3)),
        fees=q(5),
    )
    _txn(ira, date(2023, 1, 4), "DEPOSIT", amount=q(20000))
    _txn(
        ira,
        date(2023, 1, 5),
        "BUY",
        security=bnd,
        quantity=q(150),
        amount=q(150) * _close(bnd, date(2023, 1, 5)),
    )
    _txn(euro, date(2023, 2, 1), "DEPOSIT", amount=q(10000))
    _txn(
        euro,
        date(2023, 2, 2),
        "BUY",
        security=sap,
        quantity=q(40),
        amount=q(40) * _close(sap, date(2023, 2, 2)),
        fees=q(3),
    )
    _txn(joint, date(2023, 3, 15), "DIVIDEND", security=vti, amount=q("152.30"))
    _txn(joint, date(2023, 3, 15), "TAX_WITHHELD", security=vti, amount=q("22.85"))
    _txn(
        joint, date(2023, 5, 1), "SPLIT", security=vti, split_new=q(2), split_old=q(1), amount=q(0)
    )
    _txn(
        joint,
        date(2023, 6, 1),
        "TRANSFER",
        security=vti,
        quantity=q(50),
        to_account=ira,
        amount=q(0),
    )
    _txn(joint, date(2023, 6, 2), "TRANSFER", to_account=ira, amount=q(2500), fees=q(1))
    _txn(
        ira,
        date(2023, 7, 3),
        "SELL",
        security=bnd,
        quantity=q(60),
        amount=q(60) * _close(bnd, date(2023, 7, 3)),
        fees=q(2),
    )
    _txn(
        euro,
        date(2023, 8, 1),
        "REINVEST",
        security=sap,
        quantity=q("0.5"),
        amount=q("0.5") * _close(sap, date(2023, 8, 1)),
    )
    _txn(joint, date(2023, 9, 1), "FEE", amount=q(25))
    _txn(ira, date(2023, 10, 2), "WITHDRAWAL", amount=q(1000))
    return {
        "household": household,
        "joint": joint,
        "ira": ira,
        "euro": euro,
        "vti": vti,
        "bnd": bnd,
        "sap": sap,
    }


def test_every_scope_is_stored_once_and_checks_pass(ledger):
    # when
    result = valuations_rebuild(household=ledger["household"], today=YEAR_END)
    # then: household, three accounts, three sleeves; the breakdown and cash checks hold
    assert result.problems == []
    scopes = sorted((s.scope, s.label) for s in series_list(household=ledger["household"]))
    assert scopes == [
        ("account", "Euro"),
        ("account", "IRA"),
        ("account", "Joint"),
        ("household", "Household"),
        ("sleeve", "core"),
        ("sleeve", "growth"),
        ("sleeve", "income"),
    ]
    stored = series_get(household=ledger["household"], scope=Scope.HOUSEHOLD)
    assert stored.series.start == date(2023, 1, 2)  # the day before the first transaction
    assert stored.series.end == YEAR_END


def test_household_value_is_the_sum_of_its_accounts_and_converts_euros(ledger):
    # given
    valuations_rebuild(household=ledger["household"], today=YEAR_END)
    arrays = _arrays(ledger["household"])
    household = arrays[(Scope.HOUSEHOLD, "")].money["value"]
    accounts = [
        arrays[(Scope.ACCOUNT, str(ledger[n].pk))].money["value"] for n in ("joint", "ira", "euro")
    ]
    # then
    assert np.array_equal(household, sum(accounts))
    # the euro account on 2023-12-29 (a Friday): 40.5 SAP x close x EUR/USD + cash x EUR/USD
    euro = arrays[(Scope.ACCOUNT, str(ledger["euro"].pk))]
    day = date(2023, 12, 29)
    rate = FxRate.objects.get(base="EUR", quote="USD", date=day).rate
    sap_close = _close(ledger["sap"], day)
    bought = Decimal(40) * _close(ledger["sap"], date(2023, 2, 2))
    cash_eur = Decimal(10000) - bought - 3
    expected = (Decimal("40.5") * sap_close + cash_eur) * rate
    assert euro.amounts("value")[euro.position(day)] == pytest.approx(float(expected), abs=0.01)


def test_transfer_in_kind_is_a_flow_for_accounts_but_not_the_household(ledger):
    """DESIGN §7: a transfer in kind counts at its market value at that day's close, and only
    for scopes whose edge it crosses."""
    # given 50 VTI (after the 2:1 split) moved Joint -> IRA on 2023-06-01
    valuations_rebuild(household=ledger["household"], today=YEAR_END)
    arrays = _arrays(ledger["household"])
    day = date(2023, 6, 1)
    worth = float(50 * _close(ledger["vti"], day))
    joint = arrays[(Scope.ACCOUNT, str(ledger["joint"].pk))]
    ira = arrays[(Scope.ACCOUNT, str(ledger["ira"].pk))]
    household = arrays[(Scope.HOUSEHOLD, "")]
    core = arrays[(Scope.SLEEVE, str(ledger["joint"].default_sleeve_id))]
    i = household.position(day)
    # then
    assert joint.amounts("outflow")[i] == pytest.approx(worth, abs=0.005)
    assert ira.amounts("inflow")[i] == pytest.approx(worth, abs=0.005)
    assert core.amounts("outflow")[i] == pytest.approx(worth, abs=0.005)
    assert household.money["inflow"][i] == household.money["outflow"][i] == 0
    # the cash transfer the next day likewise: 2500 out of Joint, into IRA, not household
    assert joint.amounts("outflow")[i + 1] == 2500
    assert household.money["outflow"][i + 1] == 0


def test_split_keeps_the_value_when_prices_are_as_traded(ledger):
    # given 100 VTI before the 2:1 split on 2023-05-01, 200 after; the demo closes are not
    # split-adjusted, so the value halves per share but the position doubles
    valuations_rebuild(household=ledger["household"], today=YEAR_END)
    joint = _arrays(ledger["household"])[(Scope.ACCOUNT, str(ledger["joint"].pk))]
    day = date(2023, 5, 1)
    market = joint.amounts("value") - joint.amounts("cash")
    assert market[joint.position(day)] == pytest.approx(
        200 * float(_close(ledger["vti"], day)), abs=0.01
    )
    before = day - timedelta(days=1)
    assert market[joint.position(before)] == pytest.approx(
        100 * float(_close(ledger["vti"], before)), abs=0.01
    )


def _assert_same_arrays(left, right):
    assert left.keys() == right.keys()
    for key, series in right.items():
        for name, column in series.money.items():
            assert np.array_equal(left[key].money[name], column), (key, name)
        assert np.array_equal(left[key].twr_index, series.twr_index), key


def test_incremental_rebuild_stores_exactly_what_a_full_rebuild_does(ledger):
    # given a stored valuation (its checkpoint: 2023-11-01, the first of the month 45 days
    # before the end), then a new transaction and a corrected close after it
    household = ledger["household"]
    valuations_rebuild(household=household, today=YEAR_END)
    day = date(2023, 11, 20)
    _txn(
        ledger["ira"],
        day,
        "BUY",
        security=ledger["bnd"],
        quantity=Decimal(5),
        amount=Decimal(5) * _close(ledger["bnd"], day),
    )
    _txn(
        ledger["joint"],
        day,
        "TRANSFER",
        security=ledger["vti"],
        quantity=Decimal(10),
        to_account=ledger["euro"],
        amount=Decimal(0),
    )
    Price.objects.filter(security=ledger["vti"], date=date(2023, 11, 22)).update(close=Decimal(1))
    # when
    with CaptureQueriesContext(connection) as queries:
        incremental = valuations_rebuild(household=household, from_date=day, today=YEAR_END)
    after_incremental = _arrays(household)
    full = valuations_rebuild(household=household, today=YEAR_END)
    # then
    assert incremental.incremental and not full.incremental
    assert incremental.recomputed_from == date(2023, 11, 1)
    assert incremental.problems == []
    _assert_same_arrays(after_incremental, _arrays(household))
    # and the years before the checkpoint were not rewritten, only the recent part
    upsert = next(q["sql"] for q in queries if "ON CONFLICT" in q["sql"])
    assert '"values" = EXCLUDED."values"' in upsert
    assert '"history" = EXCLUDED."history"' not in upsert


def test_a_change_before_the_checkpoint_rebuilds_everything(ledger):
    household = ledger["household"]
    valuations_rebuild(household=household, today=YEAR_END)
    _txn(ledger["ira"], date(2023, 9, 15), "DEPOSIT", amount=Decimal(100))
    # when
    result = valuations_rebuild(household=household, from_date=date(2023, 9, 15), today=YEAR_END)
    # then
    assert not result.incremental
    assert result.problems == []


def test_rebuild_extends_to_a_new_day_incrementally(ledger):
    household = ledger["household"]
    valuations_rebuild(household=household, today=date(2023, 12, 1))
    # when the next day's refresh asks from its first new close
    result = valuations_rebuild(household=household, from_date=date(2023, 12, 2), today=YEAR_END)
    # then
    assert result.incremental
    assert series_get(household=household, scope=Scope.HOUSEHOLD).end == YEAR_END


def test_changed_sleeves_force_a_full_rebuild(ledger):
    household = ledger["household"]
    valuations_rebuild(household=household, today=YEAR_END)
    ledger["ira"].default_sleeve = ledger["joint"].default_sleeve
    ledger["ira"].save(update_fields=["default_sleeve"])
    # when
    result = valuations_rebuild(household=household, from_date=date(2023, 12, 1), today=YEAR_END)
    # then the growth sleeve is gone and core holds two accounts, from a full rebuild
    assert not result.incremental
    sleeves = [s for s in series_list(household=household) if s.scope == Scope.SLEEVE]
    assert sorted(len(s.meta["accounts"]) for s in sleeves) == [1, 2]


def test_gain_breakdown_by_hand(cast):
    """start value + net flows + realized + unrealized + income - fees - taxes = end value.

    Deposit 1000; buy 10 at 50 with a fee of 1 (basis 501); dividend 10 with 1.50 tax;
    sell 4 at 60 with a fee of 1: realized (240 - 1) - 4/10 x 501 = 38.60; a fee of 2;
    the close ends at 70: unrealized 6 x 70 - 6/10 x 501 = 119.40. Cash 1000 - 501 + 10
    - 1.50 + 239 - 2 = 744.50; end value 744.50 + 420 = 1164.50
    = 0 + 1000 + 38.60 + 119.40 + 10 - 2 - 1.50.
    """
    # given
    household = cast.household_a
    account = account_create(household=household, name="Joint", type="taxable")
    share = SecurityFactory(symbol="ABC")
    for day, close in [(date(2024, 3, 1), 50), (date(2024, 3, 4), 60), (date(2024, 3, 8), 70)]:
        Price.objects.create(security=share, date=day, close=Decimal(close))
    q = Decimal
    _txn(account, date(2024, 3, 1), "DEPOSIT", amount=q(1000))
    _txn(
        account,
        date(2024, 3, 1),
        "BUY",
        security=share,
        quantity=q(10),
        price=q(50),
        amount=q(500),
        fees=q(1),
    )
    _txn(account, date(2024, 3, 4), "DIVIDEND", security=share, amount=q(10))
    _txn(account, date(2024, 3, 4), "TAX_WITHHELD", security=share, amount=q("1.50"))
    _txn(
        account,
        date(2024, 3, 5),
        "SELL",
        security=share,
        quantity=q(4),
        price=q(60),
        amount=q(240),
        fees=q(1),
    )
    _txn(account, date(2024, 3, 6), Transaction.Type.FEE, amount=q(2))
    result = valuations_rebuild(household=household, today=date(2024, 3, 10))
    stored = series_get(household=household, scope=Scope.HOUSEHOLD)
    # when the period starts before the first transaction (value 0)
    parts = gain_breakdown(stored, period_window(stored, start=date(2024, 2, 1)))
    # then
    assert result.problems == []
    assert (parts.start_value, parts.net_flows, parts.realized, parts.unrealized) == (
        Decimal("0"),
        Decimal("1000"),
        Decimal("38.6"),
        Decimal("119.4"),
    )
    assert (parts.income, parts.fees, parts.taxes, parts.end_value) == (
        Decimal("10"),
        Decimal("2"),
        Decimal("1.5"),
        Decimal("1164.5"),
    )


def test_gain_breakdown_adds_up_for_every_scope_and_period(ledger):
    valuations_rebuild(household=ledger["household"], today=YEAR_END)
    for stored in series_list(household=ledger["household"]):
        for start, end in [
            (None, None),
            (date(2023, 3, 1), date(2023, 6, 30)),
            (date(2023, 6, 1), None),
        ]:
            parts = gain_breakdown(stored, period_window(stored, start=start, end=end))
            total = (
                parts.start_value
                + parts.net_flows
                + parts.realized
                + parts.unrealized
                + parts.income
                - parts.fees
                - parts.taxes
            )
            assert abs(total - parts.end_value) <= Decimal("0.01"), (stored.label, start)


def test_a_security_without_any_close_uses_its_trade_price_and_one_never_priced_is_reported(cast):
    # given a security with no stored close, bought at 20, and one moved in without a price
    household = cast.household_a
    account = account_create(household=household, name="Joint", type="taxable")
    other = account_create(household=household, name="Other", type="taxable")
    fresh, ghost = SecurityFactory(symbol="FRESH"), SecurityFactory(symbol="GHOST")
    _txn(account, date(2024, 1, 2), "DEPOSIT", amount=Decimal(1000))
    _txn(
        account,
        date(2024, 1, 2),
        "BUY",
        security=fresh,
        quantity=Decimal(10),
        price=Decimal(20),
        amount=Decimal(200),
    )
    _txn(
        other,
        date(2024, 1, 3),
        "TRANSFER",
        security=ghost,
        quantity=Decimal(1),
        to_account=account,
        amount=Decimal(0),
    )
    # when
    result = valuations_rebuild(household=household, today=date(2024, 1, 5))
    # then
    stored = series_get(household=household, scope=Scope.ACCOUNT, key=str(account.pk))
    assert stored.series.amounts("value")[-1] == 1000
    assert result.problems[0] == "no price for GHOST; valued at 0"


def test_a_household_without_transactions_has_no_series(cast):
    result = valuations_rebuild(household=cast.household_a)
    assert result.scopes == 0
    assert not ValuationSeries.objects.exists()


def test_recompute_task_of_the_ledger_stores_valuations(ledger):
    """The ledger's recompute_household_task (eager in tests) ends with valuations_rebuild."""
    from alerts.tasks import recompute_household_task
    from portfolios.services.recompute import ledger_mark_changed

    ledger_mark_changed(household=ledger["household"], from_date=date(2000, 1, 1))
    summary = recompute_household_task.delay(ledger["household"].pk).get()
    assert summary["valuations"]["scopes"] == 7
    assert ValuationSeries.objects.filter(household=ledger["household"]).count() == 7


@pytest.mark.django_db(transaction=True)
def test_closes_read_on_a_second_connection_value_as_a_read_in_a_transaction(ledger, monkeypatch):
    # given the rows committed (no test transaction), and a note of where closes are read
    household = ledger["household"]
    readers = []
    real = valuations_module.price_book

    def noted(**kwargs):
        readers.append(threading.current_thread().name)
        return real(**kwargs)

    monkeypatch.setattr(valuations_module, "price_book", noted)

    # when the series are built outside a transaction, then again inside one
    valuations_rebuild(household=household, today=YEAR_END)
    threaded = _arrays(household)
    with transaction.atomic():
        valuations_rebuild(household=household, today=YEAR_END)
    in_transaction = _arrays(household)

    # then the first read ran in its own thread (its own connection), the second in this
    # one, and the stored series are the same
    assert readers == ["price-book", threading.current_thread().name]
    _assert_same_arrays(threaded, in_transaction)


@pytest.mark.django_db(transaction=True)
def test_a_full_rebuild_reads_its_closes_once_before_its_ledger_rows(ledger, monkeypatch):
    # given the rows committed, and a note of every read of closes and of the ledger rows
    household = ledger["household"]
    reads = []
    real_book, real_rows = valuations_module.price_book, valuations_module.ledger_rows

    def book(**kwargs):
        reads.append("closes")
        return real_book(**kwargs)

    def rows(**kwargs):
        reads.append("rows")
        return real_rows(**kwargs)

    monkeypatch.setattr(valuations_module, "price_book", book)
    monkeypatch.setattr(valuations_module, "ledger_rows", rows)
    with transaction.atomic():  # read in this thread, in order: the reference
        valuations_rebuild(household=household, today=YEAR_END)
    in_order = _arrays(household)
    reads.clear()

    # when the series are built again from the start, outside a transaction
    ValuationSeries.objects.filter(household=household).delete()
    valuations_rebuild(household=household, today=YEAR_END)

    # then the closes were read once, for the same series
    assert sorted(reads) == ["closes", "rows"]
    _assert_same_arrays(_arrays(household), in_order)


@pytest.mark.django_db(transaction=True)
def test_closes_read_early_for_another_window_are_read_again(ledger, monkeypatch):
    # given the reference series, and a transaction written between the window's read and
    # the ledger rows' (the window read early misses the last day)
    household = ledger["household"]
    valuations_rebuild(household=household, today=YEAR_END)
    reference = _arrays(household)
    ValuationSeries.objects.filter(household=household).delete()
    real_window = valuations_module.full_rebuild_window

    def stale_window(*, household, today):
        window = real_window(household=household, today=today)
        return dataclasses.replace(window, last_day=window.last_day - 1)

    monkeypatch.setattr(valuations_module, "full_rebuild_window", stale_window)
    reads = []
    real_book = valuations_module.price_book

    def book(**kwargs):
        reads.append(kwargs["last_day"])
        return real_book(**kwargs)

    monkeypatch.setattr(valuations_module, "price_book", book)
    # when the series are built from the start
    valuations_rebuild(household=household, today=YEAR_END)
    # then the closes were read twice, the second time for the rows' window, and the
    # series are the reference's
    assert reads == [YEAR_END.toordinal() - 1, YEAR_END.toordinal()]
    _assert_same_arrays(_arrays(household), reference)
