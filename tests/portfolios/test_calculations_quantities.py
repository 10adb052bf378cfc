"""The quantity replay that completes imports (``portfolios.calculations.quantities``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from portfolios.calculations.quantities import QuantityTxn, replay_quantities, split_factor

ACCOUNT, VTI, NVDA, OPT = 1, 10, 11, 12


def txn(key, day, kind, security=VTI, quantity=None, *, new=True, **fields) -> QuantityTxn:
    return QuantityTxn(
        key=key,
        order_id=key if isinstance(key, int) else 0,
        account_id=ACCOUNT,
        trade_date=date.fromisoformat(day),
        type=kind,
        security_id=security,
        quantity=D(quantity) if quantity is not None else None,
        new=new,
        **fields,
    )


def test_sales_beyond_the_position_sum_into_one_opening_before_the_files_first_row():
    # given 5 held from before (stored), then the file: buy 10, sell 18, sell 4
    result = replay_quantities(
        [
            txn(1, "2023-01-03", "BUY", quantity="5", new=False),
            txn(2, "2024-02-01", "BUY", quantity="10"),
            txn(3, "2024-03-01", "SELL", quantity="18"),
            txn(4, "2024-04-01", "SELL", quantity="4"),
        ]
    )
    # then 15 held on 03/01: 3 short; 0 held on 04/01: 4 short; 7 opened the day before
    # the file's first VTI row (2024-02-01)
    opening = result.openings[(ACCOUNT, VTI)]
    assert (opening.acquired.isoformat(), opening.quantity) == ("2024-01-31", D("7"))
    assert [(s.key, s.quantity, s.held) for s in opening.shortfalls] == [
        (3, D("3"), D("15")),
        (4, D("4"), D("0")),
    ]


def test_a_shortfall_after_a_split_is_opened_in_the_units_before_it():
    # 20 sold after a 2:1 split that the file shows on 05/01: 10 held before it
    result = replay_quantities(
        [
            txn(1, "2024-05-01", "SPLIT", split_new=D(2), split_old=D(1)),
            txn(2, "2024-06-01", "SELL", quantity="20"),
        ]
    )
    assert result.openings[(ACCOUNT, VTI)].quantity == D("10")


def test_split_ratio_from_the_shares_added():
    # 10 held, 90 added: 100:10
    result = replay_quantities(
        [
            txn(1, "2024-01-02", "BUY", NVDA, "10"),
            txn(2, "2024-06-10", "SPLIT", NVDA, split_shares=D(90)),
        ]
    )
    assert result.ratios[2] == (D("100"), D("10"))
    assert result.openings == {}


def test_a_split_of_shares_added_with_nothing_held_is_unresolved():
    result = replay_quantities([txn(1, "2024-06-10", "SPLIT", NVDA, split_shares=D(90))])
    assert result.unresolved_splits == {1: D("0")}


def test_an_expiry_applies_only_to_an_option_held():
    result = replay_quantities(
        [
            txn(1, "2024-01-02", "BUY", OPT, "2"),
            txn(2, "2024-03-15", "SELL", OPT, "2", only_if_held=True),
            # written: never held
            txn(3, "2024-04-19", "SELL", 13, "1", only_if_held=True),
        ]
    )
    assert result.held_for == {2: D("2")}
    assert result.dropped == {3}
    assert result.openings == {}


def test_cash_in_lieu_sells_the_fraction_held_that_day():
    # 15 x 3/2 = 22.5: the cash is for 0.5; none held of another security: none sold
    result = replay_quantities(
        [
            txn(1, "2024-01-02", "BUY", quantity="15"),
            txn(2, "2024-10-01", "SPLIT", split_new=D(3), split_old=D(2)),
            txn(3, "2024-10-01", "SELL", sell_fraction=True),
            txn(4, "2024-10-01", "SELL", NVDA, sell_fraction=True),
        ]
    )
    assert result.fractions == {3: D("0.5"), 4: D("0")}


def test_snapshots_at_a_date_and_at_the_end():
    rows = [
        txn(1, "2024-01-02", "BUY", quantity="10"),
        txn(2, "2024-07-01", "SELL", quantity="4"),
    ]
    assert replay_quantities(rows, snapshot_dates={ACCOUNT: date(2024, 6, 30)}).snapshots == {
        (ACCOUNT, VTI): D("10")
    }
    assert replay_quantities(rows, snapshot_dates={ACCOUNT: None}).snapshots == {
        (ACCOUNT, VTI): D("6")
    }


def test_split_factor_between_two_dates():
    rows = [
        txn(1, "2024-05-01", "SPLIT", split_new=D(2), split_old=D(1)),
        txn(2, "2024-08-01", "SPLIT", split_new=D(3), split_old=D(1)),
    ]
    position = (ACCOUNT, VTI)
    assert split_factor(rows, position, after=date(2024, 1, 1), upto=None) == D("6")
    assert split_factor(rows, position, after=date(2024, 1, 1), upto=date(2024, 6, 1)) == D("2")
