"""foreign_keys_set_aside: a table's foreign keys dropped for a bulk write and added back as
they were, checked at once (PostgreSQL)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from portfolios.models import Price
from portfolios.services.bulk_keys import foreign_keys_set_aside
from tests.portfolios.factories import SecurityFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's keys"),
]


def _price_keys() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'portfolios_price'::regclass AND contype = 'f' ORDER BY 1"
        )
        return cursor.fetchall()


def _insert_close(security_id: int, day: date) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portfolios_price (security_id, date, close, source) "
            "VALUES (%s, %s, %s, 'test')",
            [security_id, day, Decimal("10")],
        )


@pytest.mark.parametrize("validated_apart", [False, True])
def test_keys_are_dropped_for_the_block_and_added_back_as_they_were(validated_apart):
    # given a close written earlier in the transaction, its deferred check still owed
    security = SecurityFactory(symbol="VTI")
    keys = _price_keys()
    assert len(keys) == 1
    _insert_close(security.pk, date(2024, 1, 2))
    # when the keys are set aside (the owed checks made first) for another close
    with foreign_keys_set_aside(
        Price, checks_owed_first=True, validated_apart=validated_apart
    ) as dropped:
        assert dropped
        assert _price_keys() == []
        _insert_close(security.pk, date(2024, 1, 3))
    # then the keys are back, the same, and both closes stored
    assert _price_keys() == keys
    assert Price.objects.filter(security=security).count() == 2


def test_a_row_without_its_security_fails_when_the_key_is_added_back():
    # given a close of a security that does not exist, written with the key set aside
    with pytest.raises(IntegrityError), transaction.atomic(), foreign_keys_set_aside(Price):
        _insert_close(999_999, date(2024, 1, 2))
    # then nothing of it stays, the key included
    assert _price_keys() != []
    assert not Price.objects.filter(security_id=999_999).exists()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_nothing_is_set_aside():
    with pytest.raises(RuntimeError), foreign_keys_set_aside(Price):
        pass
    assert len(_price_keys()) == 1
