"""The pure replay behind valuations: quantities through splits, cash, flows and gains."""

from datetime import date

import pytest

from reporting.calculations.daily_series import DailySeries, decode_series, encode_series
from reporting.calculations.replay import (
    TYPE_PRIORITY,
    LedgerRow,
    ReplayAccount,
    replay_ledger,
)

JAN, APR, JUL, NOV = (date(2023, m, 2).toordinal() for m in (1, 4, 7, 11))


def _row(pk, day, kind, **fields) -> LedgerRow:
    return LedgerRow(id=pk, account_id=fields.pop("account", 1), day=day, type=kind, **fields)


def _one_account(method="fifo", currency="USD"):
    return {1: ReplayAccount(1, currency, method)}


def _usd(currency, day):
    return 1.0


def _sum(events):
    return sum(amount for _, amount in events)


@pytest.mark.parametrize(("method", "gain"), [("fifo", 2500), ("lifo", 500), ("hifo", 500)])
def test_lot_methods_realize_the_textbook_gains(method, gain):
    """Reference case 8: 100 shares at $30 (Jan), $40 (Apr), $50 (Jul); sell 100 at $55 (Nov).

    FIFO relieves the $30 lot: 5500 - 3000 = 2500; LIFO and HIFO the $50 lot: 5500 - 5000 = 500.
    """
    # given
    rows = [_row(0, JAN - 1, "DEPOSIT", amount=12000.0)]
    for pk, (day, price) in enumerate([(JAN, 30.0), (APR, 40.0), (JUL, 50.0)], start=1):
        rows.append(_row(pk, day, "BUY", security_id=7, quantity=100.0, price=price))
    rows.append(_row(9, NOV, "SELL", security_id=7, quantity=100.0, price=55.0))
    # when
    replay = replay_ledger(rows, _one_account(method), _usd).accounts[1]
    # then
    assert _sum(replay.realized) == pytest.approx(gain)
    assert replay.positions == {7: 200.0}
    assert replay.cash_balance == pytest.approx(12000 - 3000 - 4000 - 5000 + 5500)


def test_split_adds_the_new_shares_on_its_day_before_that_days_trades():
    # given 10 shares, a 2:1 split, and a sale of 5 on the split day (quoted post-split)
    rows = [
        _row(1, JAN, "BUY", security_id=7, quantity=10.0, price=100.0),
        _row(3, APR, "SELL", security_id=7, quantity=5.0, price=60.0),
        _row(2, APR, "SPLIT", security_id=7, split_new=2.0, split_old=1.0),
    ]
    # when
    replay = replay_ledger(rows, _one_account(), _usd).accounts[1]
    # then: +10 bought, +10 from the split, -5 sold; half a pre-split share cost 50 each
    assert replay.quantity_changes == [(JAN, 7, 10.0), (APR, 7, 10.0), (APR, 7, -5.0)]
    assert replay.positions == {7: 15.0}
    assert _sum(replay.realized) == pytest.approx(5 * 60 - 5 * 50)


def test_cost_moves_only_through_flows_and_gain_buckets():
    """cost = deposits - withdrawals + realized + income - fees - taxes, event by event."""
    # given a ledger touching every bucket: fees on a buy (basis) and on a dividend (fee)
    rows = [
        _row(1, JAN, "DEPOSIT", amount=1000.0),
        _row(2, JAN, "BUY", security_id=7, quantity=10.0, price=50.0, amount=500.0, fees=5.0),
        _row(3, APR, "DIVIDEND", security_id=7, amount=20.0, fees=1.0),
        _row(4, APR, "TAX_WITHHELD", security_id=7, amount=3.0),
        _row(5, JUL, "REINVEST", security_id=7, quantity=0.4, price=50.0, amount=20.0),
        _row(6, JUL + 1, "RETURN_OF_CAPITAL", security_id=7, amount=600.0),
        _row(7, NOV, "SELL", security_id=7, quantity=4.0, price=60.0, amount=240.0, fees=2.0),
        _row(8, NOV, "FEE", amount=10.0),
        _row(9, NOV, "WITHDRAWAL", amount=100.0),
    ]
    # when
    replay = replay_ledger(rows, _one_account(), _usd).accounts[1]
    # then: 1000 - 100 flows; income 20 + 20; fees 1 + 10; taxes 3; the return of capital
    # the day after the reinvestment (600) exceeds the basis 505 + 20 = 525 by 75, a gain;
    # the sale's basis is then 0, so it realizes 240 - 2 = 238.
    flows = sum(i - o for _, i, o in replay.deposits)
    assert flows == 900
    assert _sum(replay.income) == pytest.approx(40)
    assert _sum(replay.fees) == pytest.approx(11)
    assert _sum(replay.taxes) == pytest.approx(3)
    assert _sum(replay.realized) == pytest.approx(75 + 238)
    expected = flows + _sum(replay.realized) + _sum(replay.income) - 11 - 3
    assert _sum(replay.cost) == pytest.approx(expected)
    assert replay.cash_balance == pytest.approx(1000 - 505 + 19 - 3 + 600 + 238 - 10 - 100)


def test_transfer_in_kind_moves_quantity_and_basis_as_legs():
    # given 10 shares bought for 1000 in account 1, 4 moved to account 2
    accounts = {1: ReplayAccount(1, "USD"), 2: ReplayAccount(2, "USD")}
    rows = [
        _row(1, JAN, "BUY", security_id=7, quantity=10.0, amount=1000.0),
        _row(2, APR, "TRANSFER", security_id=7, quantity=4.0, to_account_id=2),
        _row(3, APR, "TRANSFER", amount=50.0, to_account_id=2, fees=1.0),
    ]
    # when
    replays = replay_ledger(rows, accounts, _usd).accounts
    # then
    source, target = replays[1], replays[2]
    assert source.positions == {7: 6.0}
    assert target.positions == {7: 4.0}
    in_kind_out, cash_out = source.legs
    assert (in_kind_out.direction, in_kind_out.quantity, in_kind_out.basis) == (-1, 4.0, 400.0)
    assert (cash_out.direction, cash_out.cash, cash_out.counterparty_id) == (-1, 50.0, 2)
    assert [leg.direction for leg in target.legs] == [1, 1]
    assert source.cash_balance == -1000 - 50 - 1
    assert target.cash_balance == 50


def test_foreign_account_books_cost_at_each_days_rate():
    # given a EUR account in a USD household: deposit at 1.10, dividend at 1.20
    def to_usd(currency, day):
        return {JAN: 1.10, APR: 1.20}[day] if currency == "EUR" else 1.0

    rows = [_row(1, JAN, "DEPOSIT", amount=100.0), _row(2, APR, "INTEREST", amount=10.0)]
    # when
    replay = replay_ledger(rows, _one_account(currency="EUR"), to_usd).accounts[1]
    # then cash stays in euros; flows and income are in dollars at their day's rate
    assert replay.cash_balance == 110
    assert replay.deposits == [(JAN, pytest.approx(110.0), 0.0)]
    assert replay.income == [(APR, pytest.approx(12.0))]


def test_replay_order_is_the_lot_engines():
    lot_rules = pytest.importorskip("portfolios.calculations.lot_rules")
    assert lot_rules.TYPE_PRIORITY == TYPE_PRIORITY


def test_stored_series_round_trips_exactly():
    # given money arrays with negatives, weekend repeats and big numbers
    import numpy as np

    money = {
        name: np.array([0, 12345678, 12345678, -5, 10**15], dtype=np.int64)
        for name in (
            "value",
            "cash",
            "inflow",
            "outflow",
            "cost",
            "income",
            "fees",
            "taxes",
            "realized",
            "carried",
        )
    }
    series = DailySeries(start=date(2024, 1, 1), money=money)
    # when
    for split in (0, 2, 5):
        packed = encode_series(series, split=split)
        decoded = decode_series(packed.recent, packed.history, date(2024, 1, 1))
        for name, column in money.items():
            assert decoded.money[name].tolist() == column.tolist()
    decoded = decode_series(packed.recent, packed.history, date(2024, 1, 1))
    # then
    for name, column in money.items():
        assert decoded.money[name].tolist() == column.tolist()
    assert decoded.end == date(2024, 1, 5)


def test_twr_index_is_derived_from_value_and_flows():
    """DESIGN §7: r_t = (V_t + out_t) / (V_{t-1} + in_t) - 1, chained.

    Values 0, 100 (deposit 100), 110, 60 (withdrawal 50 at the end of the day):
    day 1 100 / (0 + 100) = 1; day 2 110 / 100 = 1.1; day 3 (60 + 50) / 110 = 1.
    """
    import numpy as np

    zeros = np.zeros(4, dtype=np.int64)
    units = 10_000
    money = {
        name: zeros for name in ("cash", "cost", "income", "fees", "taxes", "realized", "carried")
    }
    money["value"] = np.array([0, 100, 110, 60]) * units
    money["inflow"] = np.array([0, 100, 0, 0]) * units
    money["outflow"] = np.array([0, 0, 0, 50]) * units
    series = DailySeries(start=date(2024, 1, 1), money=money)
    assert series.twr_index.tolist() == pytest.approx([1.0, 1.0, 1.1, 1.1])


def test_replay_from_a_checkpoint_continues_exactly():
    """A replay started from the state kept at a checkpoint ends where a full one does."""
    # given buys, a sale across lots, a split and a transfer on both sides of April
    accounts = {1: ReplayAccount(1, "USD"), 2: ReplayAccount(2, "USD", "lifo")}
    rows = [
        _row(1, JAN, "DEPOSIT", amount=5000.0),
        _row(2, JAN, "BUY", security_id=7, quantity=10.0, price=30.0),
        _row(3, JAN + 1, "BUY", security_id=7, quantity=10.0, price=40.0),
        _row(4, APR, "SELL", security_id=7, quantity=15.0, price=45.0),
        _row(5, APR + 2, "SPLIT", security_id=7, split_new=3.0, split_old=1.0),
        _row(6, JUL, "TRANSFER", security_id=7, quantity=6.0, to_account_id=2),
        _row(7, NOV, "SELL", security_id=7, quantity=4.0, price=16.0, account=2),
    ]
    checkpoint_day = APR
    full = replay_ledger(rows, accounts, _usd, checkpoint_day=checkpoint_day)
    # when
    state = type(full.checkpoint).unpack(full.checkpoint.pack())
    later = [row for row in rows if row.day >= checkpoint_day]
    resumed = replay_ledger(later, accounts, _usd, state=state)
    # then
    for pk in accounts:
        assert resumed.accounts[pk].positions == full.accounts[pk].positions
        assert resumed.accounts[pk].cash_units == full.accounts[pk].cash_units
        assert resumed.accounts[pk].realized == [
            e for e in full.accounts[pk].realized if e[0] >= APR
        ]
    assert state.cash == {1: (5000 - 300 - 400) * 10_000, 2: 0}
