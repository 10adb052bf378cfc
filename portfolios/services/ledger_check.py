"""Check that a household's ledger still replays after a change, before the change is saved.

Imports, edits and deletions run the pure lot engine (``portfolios.calculations.lots``) over
the household's stored transactions with the change applied. A change the engine cannot
apply (selling more shares than are held, a specific lot that has no open shares) raises
``LedgerError`` naming the row, and nothing is written.

Imports store ``Transaction.lot_selection`` as the ids (primary keys) of the transactions
that opened the lots, ``ID`` or ``ID:QTY``, ``;``-separated. The stored rows are converted
by the ledger's own reader (``portfolios.selectors.ledger_inputs``), so a check replays
exactly what a rebuild will.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max

from portfolios.calculations.lots import AccountInfo, LedgerError, LedgerTxn, build_ledger
from portfolios.models import Household, Transaction
from portfolios.selectors.ledger_inputs import (
    ACCOUNT,
    EXTERNAL_ID,
    ID,
    ledger_inputs,
    ledger_txns,
    lot_selection_targets,
    transaction_ref_by_id,
    transaction_rows,
)

LotSelection = tuple[tuple[int, Decimal | None], ...]


@dataclass(frozen=True)
class StoredLedger:
    """The household's stored transactions as the lot engine sees them."""

    txns: dict[int, LedgerTxn]  # by Transaction pk
    accounts: dict[int, AccountInfo]
    identity_groups: dict[int, str]
    external_ids: dict[tuple[int, str], int]  # (account id, external id) -> pk
    next_id: int  # above every stored pk: provisional ids for rows not saved yet
    broken: LedgerError | None = None  # a stored row that cannot even be converted


def stored_ledger(*, household: Household) -> StoredLedger:
    """Return the household's transactions, accounts and identity groups as the engine
    sees them, converted by the ledger's own reader (``portfolios.selectors.ledger_inputs``)
    so a check and a rebuild replay the same records."""
    inputs = ledger_inputs(household=household)
    rows = transaction_rows(household=household)
    targets = lot_selection_targets(household=household, rows=rows)
    txns: dict[int, LedgerTxn] = {}
    broken = None
    for row in rows:
        try:
            [txn] = ledger_txns(rows=[row], inputs=inputs, targets=targets)
        except LedgerError as error:
            broken = broken or error
            continue
        txns[txn.id] = txn
    top = Transaction.objects.aggregate(top=Max("pk"))["top"] or 0
    return StoredLedger(
        txns=txns,
        accounts=inputs.accounts,
        identity_groups=inputs.identity_groups,
        external_ids={(row[ACCOUNT], row[EXTERNAL_ID]): row[ID] for row in rows},
        next_id=top + 1,
        broken=broken,
    )


def stored_ref(*, household: Household, ref: str) -> str:
    """Return how a message names a stored transaction the engine called ``ref``
    ("transaction 12" becomes its external id, date, type, symbol and account)."""
    match = re.fullmatch(r"transaction (\d+)", ref)
    if match is None:
        return ref
    return transaction_ref_by_id(household=household, pk=int(match.group(1))) or ref


def lot_selection_text(selection: Iterable[tuple[int, Decimal | None]]) -> str:
    """Return the stored form of a lot selection: ``ID`` or ``ID:QTY``, ``;``-separated."""
    parts = []
    for pk, quantity in selection:
        parts.append(str(pk) if quantity is None else f"{pk}:{quantity.normalize():f}")
    return ";".join(parts)


def ledger_verify(
    *,
    ledger: StoredLedger,
    add: Iterable[LedgerTxn] = (),
    replace: Mapping[int, LedgerTxn] | None = None,
    remove: Collection[int] = (),
) -> None:
    """Replay the stored ledger with rows added, replaced and removed; raise LedgerError if
    the engine cannot apply one of them."""
    replace = replace or {}
    txns = [replace.get(pk, txn) for pk, txn in ledger.txns.items() if pk not in remove]
    txns.extend(add)
    build_ledger(txns, ledger.accounts)


__all__ = [
    "LedgerError",
    "LotSelection",
    "StoredLedger",
    "ledger_verify",
    "lot_selection_text",
    "stored_ledger",
    "stored_ref",
]
