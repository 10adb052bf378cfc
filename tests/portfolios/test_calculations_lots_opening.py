"""OPENING lots and unknown basis in the lot engine (``portfolios.calculations.lots``).

Every expected number is worked out by hand in a comment.
"""

from datetime import date
from decimal import Decimal as D

from portfolios.calculations.lots import AccountInfo, LedgerTxn, TaxTreatment, build_ledger

TAXABLE = AccountInfo(id=1, lot_method="fifo", tax_treatment=TaxTreatment.TAXABLE)
ACCOUNTS = {1: TAXABLE}


def txn(txn_id: int, day: str, type_: str, **fields) -> LedgerTxn:
    for name in ("quantity", "amount", "fees"):
        if fields.get(name) is not None:
            fields[name] = D(str(fields[name]))
    return LedgerTxn(
        id=txn_id, account_id=1, trade_date=date.fromisoformat(day), type=type_, security_id=7,
        **fields,
    )  # fmt: skip


def test_an_opening_adds_a_lot_at_its_basis_without_moving_cash():
    result = build_ledger([txn(1, "2020-03-02", "OPENING", quantity=10, amount=1500)], ACCOUNTS)
    [lot] = result.lots
    assert (lot.acquired.isoformat(), lot.quantity_open, lot.cost_open, lot.basis_known) == (
        "2020-03-02",
        D("10"),
        D("1500"),
        True,
    )
    assert result.cash[1] == 0


def test_a_sale_from_unknown_basis_is_flagged_and_never_a_wash_sale():
    # given 10 opened at unknown basis, sold for 800 and bought back the same week
    result = build_ledger(
        [
            txn(1, "2024-01-02", "OPENING", quantity=10, amount=0, basis_unknown=True),
            txn(2, "2024-03-01", "SELL", quantity=4, amount=800),
            txn(3, "2024-03-05", "BUY", quantity=4, amount=700),
        ],
        ACCOUNTS,
    )
    [relief] = result.reliefs
    # the basis is unknown: the relief says so, and no loss is tested for a wash sale
    assert (relief.proceeds, relief.basis_unknown, relief.wash_sale_disallowed) == (
        D("800"),
        True,
        D("0"),
    )
    unknown, bought = result.lots
    assert (unknown.quantity_open, unknown.basis_known) == (D("6"), False)
    assert (bought.cost_open, bought.basis_known) == (D("700"), True)
    # cash: 800 in, 700 out
    assert result.cash[1] == D("100")


def test_a_return_of_capital_leaves_an_unknown_basis_unknown():
    result = build_ledger(
        [
            txn(1, "2024-01-02", "OPENING", quantity=10, amount=0, basis_unknown=True),
            txn(2, "2024-01-03", "BUY", quantity=10, amount=1000),
            txn(3, "2024-06-03", "RETURN_OF_CAPITAL", amount=20),
        ],
        ACCOUNTS,
    )
    unknown, bought = result.lots
    # 20 shared by quantity: 10 to each lot; only the known one lowers (1000 - 10)
    assert (unknown.cost_open, unknown.basis_known) == (D("0"), False)
    assert bought.cost_open == D("990")
    assert result.reliefs == []


def test_a_buy_of_unknown_basis_pays_its_cash_and_keeps_its_basis_unknown():
    # spun-off shares: a BUY of 0 whose basis is a part of the parent's, to be entered
    result = build_ledger(
        [txn(1, "2024-04-01", "BUY", quantity=2, amount=0, basis_unknown=True)], ACCOUNTS
    )
    [lot] = result.lots
    assert (lot.cost_open, lot.basis_known) == (D("0"), False)
