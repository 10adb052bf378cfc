from decimal import Decimal

import pytest
from django.db.models import RestrictedError

from portfolios.models import Household, Transaction
from tests.portfolios.factories import AccountFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def test_household_with_transfers_can_be_deleted_but_a_transfer_target_cannot(cast):
    # given a cash transfer from Joint to Savings
    joint = AccountFactory(household=cast.household_a, name="Joint")
    savings = AccountFactory(household=cast.household_a, name="Savings")
    TransactionFactory(account=joint, amount=Decimal(500))
    TransactionFactory(
        account=joint, type=Transaction.Type.TRANSFER, to_account=savings, amount=Decimal(200)
    )
    # then the target account alone is protected by the transfer into it
    with pytest.raises(RestrictedError):
        savings.delete()
    # and the whole household goes, both ends of the transfer with it
    cast.household_a.delete()
    assert not Household.objects.filter(name="Alpha").exists()
    assert not Transaction.objects.exists()
