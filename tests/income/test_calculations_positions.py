"""Pure helpers of the income app: replayed positions, income sources, the bond ladder."""

from datetime import date
from decimal import Decimal

import pytest

from income.calculations import (
    HoldingInput,
    IncomeSource,
    PositionHistory,
    PositionTxn,
    bond_ladder,
    received_source,
)

D = Decimal
KO = 7


def _txn(id: int, day: date, type: str, quantity: str | None = None, **fields) -> PositionTxn:
    return PositionTxn(
        id=id,
        account_id=fields.pop("account_id", 1),
        trade_date=day,
        type=type,
        security_id=fields.pop("security_id", KO),
        quantity=D(quantity) if quantity else None,
        **fields,
    )


def test_replay_buys_sells_splits_and_transfers():
    # given 100 bought for 6,000 + 10 fees, a 2:1 split, 50 sold, 30 moved to account 2
    history = PositionHistory(
        [
            _txn(1, date(2024, 1, 5), "BUY", "100", amount=D(6000), fees=D(10)),
            _txn(2, date(2024, 6, 3), "SPLIT", split_new=D(2), split_old=D(1)),
            _txn(3, date(2024, 9, 2), "SELL", "50", amount=D(3500)),
            _txn(4, date(2024, 10, 1), "TRANSFER", "30", to_account_id=2),
            _txn(5, date(2024, 10, 1), "DIVIDEND", amount=D(12)),
        ]
    )

    # then 200 after the split; 150 after the sale keep 6,010 * 150 / 200 = 4,507.50;
    # 30 of them (901.50 of cost) move to account 2, which keeps the original date
    assert history.quantity_before(1, KO, date(2024, 6, 3)) == D(100)
    assert history.quantity_before(1, KO, date(2024, 6, 4)) == D(200)
    assert history.quantity_before(1, KO, date(2024, 10, 2)) == D(120)
    assert history.quantity_before(2, KO, date(2024, 10, 1)) == D(0)
    positions = [
        (p.account_id, p.quantity, p.cost_basis, p.acquired) for p in history.open_positions()
    ]
    assert positions == [
        (1, D(120), D("3606.00"), date(2024, 1, 5)),
        (2, D(30), D("901.50"), date(2024, 1, 5)),
    ]


def test_a_position_sold_out_and_bought_again_opens_on_the_new_date():
    # given 10 bought, all sold, 5 bought again; a same-day buy counts from the next day
    history = PositionHistory(
        [
            _txn(1, date(2024, 1, 5), "BUY", "10", price=D(50)),
            _txn(2, date(2024, 3, 1), "SELL", "10", price=D(55)),
            _txn(3, date(2024, 7, 1), "BUY", "5", price=D(40)),
        ]
    )

    # then cost 5 * 40 = 200 (no amount: quantity * price), acquired 1 July
    assert [(p.quantity, p.cost_basis, p.acquired) for p in history.open_positions()] == [
        (D(5), D(200), date(2024, 7, 1))
    ]
    assert history.quantity_before(1, KO, date(2024, 7, 1)) == D(0)


@pytest.mark.parametrize(
    ("fields", "source"),
    [
        ({"type": "DIVIDEND", "income_class": "qualified"}, IncomeSource.QUALIFIED_DIVIDEND),
        ({"type": "DIVIDEND", "income_class": "ordinary"}, IncomeSource.ORDINARY_DIVIDEND),
        ({"type": "DIVIDEND", "qualified_default": False}, IncomeSource.ORDINARY_DIVIDEND),
        ({"type": "REINVEST"}, IncomeSource.QUALIFIED_DIVIDEND),
        (
            {"type": "DIVIDEND", "income_class": "qualified", "kind": "preferred"},
            IncomeSource.PREFERRED_DIVIDEND,
        ),
        (
            {"type": "DIVIDEND", "income_class": "capital_gain"},
            IncomeSource.CAPITAL_GAIN_DISTRIBUTION,
        ),
        ({"type": "DIVIDEND", "income_class": "return_of_capital"}, IncomeSource.RETURN_OF_CAPITAL),
        ({"type": "RETURN_OF_CAPITAL"}, IncomeSource.RETURN_OF_CAPITAL),
        ({"type": "INTEREST", "kind": "bond"}, IncomeSource.BOND_COUPON),
        ({"type": "INTEREST", "kind": "money_market"}, IncomeSource.INTEREST),
        ({"type": "INTEREST"}, IncomeSource.INTEREST),
        ({"type": "OPTION_PREMIUM", "kind": "stock"}, IncomeSource.OPTION_PREMIUM),
    ],
)
def test_received_source_of_each_income_transaction(fields, source):
    assert received_source(**fields) == source


def test_received_source_refuses_a_non_income_type():
    with pytest.raises(ValueError, match="BUY is not an income transaction type"):
        received_source(type="BUY")


def test_bond_ladder_leaves_matured_bonds_and_stocks_out():
    # given a bond that matured yesterday, a stock, and 2 bonds of 500 face at 6% quarterly
    # maturing 30 June 2026
    today = date(2025, 4, 10)
    holdings = [
        HoldingInput(
            account_id=1,
            security_id=1,
            symbol="OLD",
            kind="bond",
            quantity=D(1),
            face_value=D(1000),
            coupon_rate=D("0.05"),
            coupon_frequency=2,
            maturity=date(2025, 4, 9),
        ),
        HoldingInput(account_id=1, security_id=2, symbol="KO", kind="stock", quantity=D(10)),
        HoldingInput(
            account_id=1,
            security_id=3,
            symbol="NEW",
            kind="bond",
            quantity=D(2),
            face_value=D(500),
            coupon_rate=D("0.06"),
            coupon_frequency=4,
            maturity=date(2026, 6, 30),
        ),
    ]

    # when
    years = bond_ladder(holdings, today=today)

    # then coupons of 0.06 * 500 * 2 / 4 = 15 on 30 June, 30 September, 30 December 2025
    # (stepped back from 30 June 2026), 30 March and 30 June 2026; 1,000 back in 2026
    assert [(y.year, y.maturing_face_value, y.coupon_income) for y in years] == [
        (2025, D(0), D("45.00")),
        (2026, D("1000.00"), D("30.00")),
    ]
    assert bond_ladder(holdings[:2], today=today) == []
