"""Give every parsed row a stable external id, so re-importing a file adds nothing.

A row keeps the id its file gives it (Hearth ``id`` column, OFX FITID, broker transaction
id). Without one, its id is a hash of its content: the same row always hashes the same,
in any file. Two identical rows in one file are two real trades (two buys of 10 shares at
the same price on one day), so the second gets "#2", the third "#3", and so on; a file
that overlaps an earlier one repeats the same rows in the same order and gets the same ids.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter

from portfolios.imports.rows import MAX_EXTERNAL_ID_LENGTH, ParsedRow
from portfolios.imports.values import decimal_text

CONTENT_HASH_LENGTH = 32


def content_hash(row: ParsedRow) -> str:
    """Return the first 32 hex digits of the SHA-256 of the row's normalized content.

    The content is what the row does: date, account, type, security, numbers (spelled
    canonically, so "10" and "10.00" agree), currency, ratio, target account, lot
    selection and income class. Free text (memo, security name) and the line number are
    left out, so a reworded description or a reordered file does not create a new row.
    """
    lots = ";".join(f"{lot_id}:{decimal_text(quantity)}" for lot_id, quantity in row.lots)
    fields = (
        row.trade_date.isoformat(),
        (row.account or "").strip().casefold(),
        row.type,
        row.symbol or "",
        decimal_text(row.quantity),
        decimal_text(row.price),
        decimal_text(row.amount),
        decimal_text(row.fees),
        row.currency or "",
        decimal_text(row.split_new),
        decimal_text(row.split_old),
        (row.to_account or "").strip().casefold(),
        lots,
        row.income_class or "",
    )
    # Fields newer than the hash itself only join it when set, so the rows earlier imports
    # stored keep their ids (re-importing an old file still adds nothing).
    if row.basis_unknown:
        fields += ("basis-unknown",)
    if row.to_account_number:
        fields += (f"to:{row.to_account_number}",)
    if row.split_shares is not None:
        fields += (f"split-shares:{decimal_text(row.split_shares)}",)
    for flag in ("only_if_held", "sell_fraction", "basis_proceeds"):
        if getattr(row, flag):
            fields += (flag,)
    if row.carry_basis_from:
        fields += (f"carry:{row.carry_basis_from}",)
    digest = hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()
    return digest[:CONTENT_HASH_LENGTH]


def _bounded(external_id: str) -> str:
    """Return the id, or a hash of it when it is too long to store."""
    if len(external_id) <= MAX_EXTERNAL_ID_LENGTH:
        return external_id
    return "id-" + hashlib.sha256(external_id.encode("utf-8")).hexdigest()[:CONTENT_HASH_LENGTH]


def assign_external_ids(rows: list[ParsedRow]) -> list[ParsedRow]:
    """Return the rows with ids filled in and repeats within the file made distinct."""
    seen: Counter[tuple[str, str]] = Counter()
    assigned = []
    for row in rows:
        base = _bounded(row.external_id) if row.external_id else content_hash(row)
        # Ids are unique per account (DESIGN §3), so repeats are counted per account.
        key = (row.account_key, base)
        seen[key] += 1
        occurrence = seen[key]
        external_id = base if occurrence == 1 else f"{base}#{occurrence}"
        if external_id != row.external_id:
            row = dataclasses.replace(row, external_id=external_id)
        assigned.append(row)
    return assigned
