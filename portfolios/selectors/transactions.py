"""Reads of transactions and import batches, always within one household."""

from datetime import date

from django.db.models import QuerySet

from portfolios.models import Account, Household, ImportBatch, LedgerState, Transaction

# Newest first: the latest activity is what a user checks after an import or an edit.
NEWEST_FIRST = ("-trade_date", "-pk")


def transaction_list(
    *,
    household: Household,
    account: Account | None = None,
    symbol: str | None = None,
    type: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[Transaction]:
    """Return the household's transactions, newest first, filtered as given.

    ``start`` and ``end`` are inclusive trade dates; ``symbol`` matches ignoring case.
    """
    rows = Transaction.objects.filter(account__household=household)
    if account is not None:
        rows = rows.filter(account=account)
    if symbol:
        rows = rows.filter(security__symbol__iexact=symbol.strip())
    if type:
        rows = rows.filter(type=type)
    if start is not None:
        rows = rows.filter(trade_date__gte=start)
    if end is not None:
        rows = rows.filter(trade_date__lte=end)
    rows = rows.select_related("account", "security", "to_account").order_by(*NEWEST_FIRST)
    if (account, symbol, type, start, end) == (None, None, None, None, None):
        count = _stored_count(household)
        if count is not None:
            return rows.with_count(count)
    return rows


def _stored_count(household: Household) -> int | None:
    """Return how many transactions the household has, as the last ledger rebuild counted
    them, while that count is current (no change marked since, the rebuild did not fail);
    None otherwise. One read of the state row in place of counting every transaction."""
    digest = (
        LedgerState.objects.current()
        .filter(household=household)
        .values_list("transactions_digest", flat=True)
        .first()
    )
    if not digest:
        return None
    # "count|highest id|latest change" (``portfolios.services.ledger._transactions_digest``)
    return int(digest.split("|", 1)[0])


def transaction_get(*, household: Household, pk: int) -> Transaction:
    """Return one transaction of the household; Transaction.DoesNotExist otherwise."""
    return (
        Transaction.objects.select_related("account__household", "security", "to_account")
        .filter(account__household=household)
        .get(pk=pk)
    )


def import_batch_list(*, household: Household) -> QuerySet[ImportBatch]:
    """Return the household's import batches, newest first, without the stored files."""
    return (
        ImportBatch.objects.filter(household=household)
        .select_related("account", "created_by")
        .defer("content")
        .order_by("-created_at", "-pk")
    )


def import_batch_get(*, household: Household, pk: int) -> ImportBatch:
    """Return one import batch of the household; ImportBatch.DoesNotExist otherwise."""
    return ImportBatch.objects.select_related("household", "account").get(
        household=household, pk=pk
    )
