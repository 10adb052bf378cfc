"""How the optimiser's lots are named in a proposal's ``lots`` column (DESIGN §3): the
opening transaction's own id in the lot's account, or its number when the lot opened in
another account (a transfer in kind) or its id would not survive "ID:QTY;…"."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from portfolios.models import Account, Transaction
from portfolios.selectors.rebalancing_inputs import rebalance_inputs
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory
from tests.portfolios.ledger_builders import buy, close, deposit

pytestmark = pytest.mark.django_db
D = Decimal


def test_lot_refs_name_the_purchase_in_its_own_account(cast):
    """Joint buys 10 VTI as "J-1" and 5 as "J;2"; the IRA buys 8 as "I-1" and moves all 8
    to Joint in kind. Joint's lots: "J-1" (its own id), the "J;2" purchase by its number
    (";" would break "ID:QTY;…"), and the 8 moved shares by the IRA purchase's number
    (an id of another account names nothing in Joint). The IRA has no lot left."""
    joint = AccountFactory(household=cast.household_a, name="Joint")
    ira = AccountFactory(household=cast.household_a, name="IRA", type=Account.Type.TRADITIONAL_IRA)
    vti = SecurityFactory(symbol="VTI")
    deposit(joint, "2024-01-02", 2000)
    deposit(ira, "2024-01-02", 1000)
    buy(joint, "2024-01-03", vti, 10, 1000, external_id="J-1")
    odd = buy(joint, "2024-01-04", vti, 5, 500, external_id="J;2")
    moved = buy(ira, "2024-01-05", vti, 8, 800, external_id="I-1")
    TransactionFactory(
        account=ira,
        to_account=joint,
        trade_date=date(2024, 2, 1),
        type=Transaction.Type.TRANSFER,
        security=vti,
        quantity=D(8),
        amount=D(0),
        external_id="I-2",
    )
    close(vti, "2025-05-30", 100)
    call_command("recompute", stdout=None)

    state = rebalance_inputs(household=cast.household_a, today=date(2025, 6, 2))

    assert [(lot.account_id, lot.ref, lot.quantity) for lot in state.lots] == [
        (joint.pk, "J-1", D(10)),
        (joint.pk, str(odd.pk), D(5)),
        (joint.pk, str(moved.pk), D(8)),
    ]
