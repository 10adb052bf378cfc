"""Transfers in kind of a whole position: every lot moves, whatever the lot method."""

from datetime import date
from decimal import Decimal

import pytest

from portfolios.calculations.lots import AccountInfo, LedgerError, TaxTreatment, build_ledger
from tests.portfolios.test_calculations_lots import buy, lot_by_id, sell, txn

D = Decimal
SPECIFIC = AccountInfo(id=1, lot_method="specific", tax_treatment=TaxTreatment.TAXABLE)
HIFO = AccountInfo(id=1, lot_method="hifo", tax_treatment=TaxTreatment.TAXABLE)
FIFO_TARGET = AccountInfo(id=2, lot_method="fifo", tax_treatment=TaxTreatment.TAXABLE)


def whole_transfer(txn_id: int, day: str, quantity) -> object:
    return txn(txn_id, day, "TRANSFER", security_id=1, quantity=quantity, to_account_id=2)


@pytest.mark.parametrize("source", [SPECIFIC, HIFO], ids=["specific", "hifo"])
def test_whole_position_moves_every_lot_unchanged_without_a_selection(source):
    # given two lots in account 1 (100 for 1,000 and 50 for 900) and all 150 moved
    txns = [
        buy(1, "2020-01-02", 100, 1000),
        buy(2, "2023-06-01", 50, 900),
        whole_transfer(3, "2024-02-01", 150),
    ]

    # when
    result = build_ledger(txns, {1: source, 2: FIFO_TARGET})

    # then both lots are in account 2, whole: same ids, shares, basis and acquired dates
    first, second = lot_by_id(result.lots, "1"), lot_by_id(result.lots, "2")
    assert (first.account_id, first.quantity_open, first.cost_open) == (2, D(100), D(1000))
    assert (second.account_id, second.quantity_open, second.cost_open) == (2, D(50), D(900))
    assert (first.acquired, second.acquired) == (date(2020, 1, 2), date(2023, 6, 1))
    assert len(result.lots) == 2
    # and no cash moves: account 1 paid 1,000 + 900 = 1,900
    assert result.cash == {1: D(-1900), 2: D(0)}


def test_moved_lots_keep_their_terms_when_sold_in_the_target_account():
    # given the whole position moved out of a specific-id account, then sold by FIFO
    txns = [
        buy(1, "2020-01-02", 100, 1000),
        buy(2, "2023-06-01", 50, 900),
        whole_transfer(3, "2024-02-01", 150),
        sell(4, "2024-03-01", 150, 3000, account=2),
    ]

    # when
    result = build_ledger(txns, {1: SPECIFIC, 2: FIFO_TARGET})

    # then 3,000 splits 100:50 into 2,000 and 1,000: long gain 2,000 - 1,000 = 1,000 on the
    # 2020 lot, short gain 1,000 - 900 = 100 on the 2023 lot (held under a year)
    first, second = result.reliefs
    assert (first.lot_id, first.proceeds, first.gain, first.term) == ("1", D(2000), D(1000), "long")
    assert (second.lot_id, second.proceeds, second.gain, second.term) == (
        "2",
        D(1000),
        D(100),
        "short",
    )


def test_partial_transfer_out_of_a_specific_id_account_still_needs_a_selection():
    # given 150 shares held and 100 of them moved without naming lots
    txns = [
        buy(1, "2020-01-02", 100, 1000),
        buy(2, "2023-06-01", 50, 900),
        whole_transfer(3, "2024-02-01", 100),
    ]

    # when / then the engine refuses, naming the transfer
    with pytest.raises(LedgerError, match="specific identification needs a lot selection"):
        build_ledger(txns, {1: SPECIFIC, 2: FIFO_TARGET})


def test_a_named_selection_still_decides_a_whole_transfer():
    # given both lots named explicitly, in reverse order
    txns = [
        buy(1, "2020-01-02", 100, 1000),
        buy(2, "2023-06-01", 50, 900),
        txn(
            3,
            "2024-02-01",
            "TRANSFER",
            security_id=1,
            quantity=150,
            to_account_id=2,
            lot_selection=((2, None), (1, None)),
        ),
    ]

    # when
    result = build_ledger(txns, {1: SPECIFIC, 2: FIFO_TARGET})

    # then the same two lots arrive whole
    assert sorted((lot.lot_id, lot.account_id, lot.quantity_open) for lot in result.lots) == [
        ("1", 2, D(100)),
        ("2", 2, D(50)),
    ]
