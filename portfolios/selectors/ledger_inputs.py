"""Reads that feed the lot engine: a household's accounts, identity groups and transactions.

Transactions are read as plain row tuples straight from the database cursor (no model
instances, no per-field ORM converters), with decimals as text: a 50,000-row history loads
in a fraction of a second, and the same tuples are what the ledger service fingerprints to
find what changed.
``ledger_txns`` turns rows into the engine's ``LedgerTxn`` records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast

from portfolios.calculations.lots import AccountInfo, LedgerError, LedgerTxn, TaxTreatment
from portfolios.models import Account, Household, IdentityGroup, Transaction

# The columns of a transaction row, in this order (see ``TransactionRow``).
ROW_COLUMNS = (
    "id",
    "account_id",
    "trade_date",
    "type",
    "security_id",
    "quantity",
    "price",
    "amount",
    "fees",
    "split_new",
    "split_old",
    "to_account_id",
    "lot_selection",
    "lot_method",
    "external_id",
    "basis_unknown",
)
DECIMAL_COLUMNS = frozenset({"quantity", "price", "amount", "fees", "split_new", "split_old"})
ID, ACCOUNT, TRADE_DATE, TYPE, SECURITY = 0, 1, 2, 3, 4
LOT_SELECTION, EXTERNAL_ID = 12, 14

# The values of ROW_COLUMNS as the database driver returns them, decimals as text.
TransactionRow = tuple
ZERO = Decimal(0)


@dataclass(frozen=True)
class LedgerInputs:
    """Everything besides transactions that the engine's result depends on."""

    accounts: dict[int, AccountInfo]
    account_names: dict[int, str]
    # security id -> identity key; securities in one group (or in groups that share a
    # security) share a key "g<lowest group id>".
    identity_groups: dict[int, str]
    group_members: dict[str, frozenset[int]]
    fingerprint: str  # changes whenever a lot method, tax treatment or group changes

    def group_key(self, security_id: int | None) -> str:
        """Return the key of the security's identity group, "s<id>" alone, or "cash"."""
        if security_id is None:
            return "cash"
        return self.identity_groups.get(security_id) or f"s{security_id}"

    def securities_of(self, key: str) -> frozenset[int]:
        """Return the securities whose lots a group key covers (none for "cash")."""
        if key.startswith("s"):
            return frozenset({int(key[1:])})
        return self.group_members.get(key, frozenset())


def ledger_inputs(*, household: Household) -> LedgerInputs:
    """Return the household's accounts as the engine sees them and its identity groups."""
    accounts: dict[int, AccountInfo] = {}
    names: dict[int, str] = {}
    for pk, name, kind, lot_method in (
        Account.objects.filter(household=household)
        .order_by("pk")
        .values_list("pk", "name", "type", "lot_method")
    ):
        treatment = Account.TAX_TREATMENT_BY_TYPE[Account.Type(kind)]
        accounts[pk] = AccountInfo(pk, lot_method, TaxTreatment(str(treatment)))
        names[pk] = name
    groups, members = _identity_groups(household)
    fingerprint = hashlib.blake2b(
        repr((sorted(accounts.values(), key=lambda a: a.id), sorted(groups.items()))).encode(),
        digest_size=16,
    ).hexdigest()
    return LedgerInputs(accounts, names, groups, members, fingerprint)


def _identity_groups(household: Household) -> tuple[dict[int, str], dict[str, frozenset[int]]]:
    """Merge groups that share a security (substantially identical is taken as transitive)
    with a small union-find, and key each merged group by its lowest group id."""
    through = IdentityGroup.securities.through
    pairs = list(
        through.objects.filter(identitygroup__household=household).values_list(
            "identitygroup_id", "security_id"
        )
    )
    parent: dict[int, int] = {}

    def root(group: int) -> int:
        while parent.setdefault(group, group) != group:
            parent[group] = parent[parent[group]]
            group = parent[group]
        return group

    first_group_of: dict[int, int] = {}
    for group, security in pairs:
        other = first_group_of.setdefault(security, group)
        low, high = sorted((root(group), root(other)))
        parent[high] = low
    keys = {security: f"g{root(group)}" for security, group in first_group_of.items()}
    members: dict[str, set[int]] = {}
    for security, key in keys.items():
        members.setdefault(key, set()).add(security)
    return keys, {key: frozenset(securities) for key, securities in members.items()}


def transaction_rows(
    *,
    household: Household,
    since: date | None = None,
    until: date | None = None,
    security_ids: Collection[int] | None = None,
) -> list[TransactionRow]:
    """Return the household's transaction rows (``ROW_COLUMNS``), by trade date and id.

    ``since``/``until`` bound the trade date (inclusive); ``security_ids`` keeps the rows of
    those securities only. The SQL is Django's; only the row conversion is skipped.
    """
    rows = Transaction.objects.filter(account__household=household)
    if since is not None:
        rows = rows.filter(trade_date__gte=since)
    if until is not None:
        rows = rows.filter(trade_date__lte=until)
    if security_ids is not None:
        rows = rows.filter(security_id__in=list(security_ids))
    # Decimal columns are read as text: exact on every backend, and cheap both to digest
    # and to turn into Decimal (SQLite keeps them as REAL, PostgreSQL as numeric).
    as_text = {f"{name}_text": Cast(name, TextField()) for name in DECIMAL_COLUMNS}
    columns = [f"{name}_text" if name in DECIMAL_COLUMNS else name for name in ROW_COLUMNS]
    query = rows.annotate(**as_text).order_by("trade_date", "id").values_list(*columns).query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def lot_selection_targets(
    *, household: Household, rows: Iterable[TransactionRow]
) -> dict[tuple[int, str], int | None]:
    """Return, for every (account, lot id) named in the rows' lot selections, the id of the
    transaction that opened the lot, or None when nothing matches.

    A lot id is, in this order of preference:
    1. all digits and the primary key of a BUY, REINVEST or OPENING of the household (the
       rows that open lots): the form the import service stores
       (``portfolios.services.ledger_check``);
    2. the external id of a transaction in the selling row's account (the ``id`` column of
       the imported file, DESIGN §3);
    3. the external id of exactly one transaction of the household (shares moved in kind
       from another account).
    """
    wanted: dict[tuple[int, str], int | None] = {}
    for row in rows:
        if row[LOT_SELECTION]:
            for lot_id, _ in parse_selection(row[LOT_SELECTION]):
                wanted[(row[ACCOUNT], lot_id)] = None
    if not wanted:
        return wanted
    lot_ids = {lot_id for _, lot_id in wanted}
    household_rows = Transaction.objects.filter(account__household=household)
    purchases = set(
        household_rows.filter(
            pk__in=[int(lot_id) for lot_id in lot_ids if lot_id.isascii() and lot_id.isdigit()],
            type__in=[
                Transaction.Type.BUY,
                Transaction.Type.REINVEST,
                Transaction.Type.OPENING,
            ],
        ).values_list("pk", flat=True)
    )
    by_external_id: dict[str, list[tuple[int, int]]] = {}
    for external_id, account_id, pk in household_rows.filter(external_id__in=lot_ids).values_list(
        "external_id", "account_id", "pk"
    ):
        by_external_id.setdefault(external_id, []).append((account_id, pk))
    for account_id, lot_id in wanted:
        found = by_external_id.get(lot_id, [])
        same_account = [pk for account, pk in found if account == account_id]
        if lot_id.isascii() and lot_id.isdigit() and int(lot_id) in purchases:
            wanted[(account_id, lot_id)] = int(lot_id)
        elif same_account:
            wanted[(account_id, lot_id)] = same_account[0]
        elif len(found) == 1:
            wanted[(account_id, lot_id)] = found[0][1]
    return wanted


def ledger_txns(
    *,
    rows: Iterable[TransactionRow],
    inputs: LedgerInputs,
    targets: dict[tuple[int, str], int | None],
) -> list[LedgerTxn]:
    """Return the rows as ``LedgerTxn`` records; a lot selection naming an unknown
    transaction raises ``LedgerError`` naming the selling row."""
    return [_ledger_txn(row, inputs, targets) for row in rows]


def resolved_selection(
    row: TransactionRow, targets: dict[tuple[int, str], int | None]
) -> tuple[tuple[str, int | None], ...]:
    """Return the row's lot ids with the transactions they resolve to (None if unknown)."""
    return tuple(
        (lot_id, targets.get((row[ACCOUNT], lot_id)))
        for lot_id, _ in parse_selection(row[LOT_SELECTION] or "")
    )


def _ledger_txn(
    row: TransactionRow,
    inputs: LedgerInputs,
    targets: dict[tuple[int, str], int | None],
) -> LedgerTxn:
    (pk, account, trade_date, kind, security, quantity, price, amount, fees) = row[:9]
    (split_new, split_old, to_account, selection_text, lot_method, _) = row[9:15]
    basis_unknown = bool(row[15])
    selection: list[tuple[int, Decimal | None]] = []
    # Most rows select no lot: the text is then empty (or NULL), and not parsed.
    for lot_id, wanted in parse_selection(selection_text) if selection_text else ():
        target = targets.get((account, lot_id))
        if target is None:
            where = inputs.account_names.get(account, f"account {account}")
            raise LedgerError(
                f"transaction {pk}",
                f"lots: no transaction with id {lot_id!r} opened a lot in {where}",
            )
        selection.append((target, wanted))
    # ``ref`` stays empty: the engine then names the row "transaction <id>", and the ledger
    # service describes it fully (``transaction_ref_by_id``) only if it fails. Decimals are
    # made inline (no helper call per value: 300,000 of them in a heavy household).
    return LedgerTxn(
        id=pk,
        account_id=account,
        trade_date=trade_date if type(trade_date) is date else _as_date(trade_date),
        type=kind,
        security_id=security,
        quantity=None if quantity is None else Decimal(quantity),
        price=None if price is None else Decimal(price),
        amount=ZERO if amount is None else Decimal(amount) or ZERO,
        fees=ZERO if fees is None else Decimal(fees) or ZERO,
        split_new=None if split_new is None else Decimal(split_new),
        split_old=None if split_old is None else Decimal(split_old),
        to_account_id=to_account,
        lot_selection=tuple(selection),
        lot_method=lot_method or None,
        basis_unknown=basis_unknown,
    )


def transaction_ref(
    external_id: str, trade_date: object, kind: str, symbol: str | None, account_name: str
) -> str:
    """Return how an error names a transaction: its id, date, type, symbol and account."""
    what = " ".join(part for part in (str(trade_date), kind, symbol) if part)
    return f"transaction {external_id!r} ({what} in {account_name})"


def transaction_ref_by_id(*, household: Household, pk: int) -> str | None:
    """Return ``transaction_ref`` of the household's transaction ``pk``, None if none."""
    txn = (
        Transaction.objects.filter(pk=pk, account__household=household)
        .select_related("account", "security")
        .first()
    )
    if txn is None:
        return None
    symbol = txn.security.symbol if txn.security else None
    return transaction_ref(txn.external_id, txn.trade_date, txn.type, symbol, txn.account.name)


def parse_selection(text: str) -> list[tuple[str, Decimal | None]]:
    """Split "ID" / "ID:QTY" parts separated by ";"; an id may itself contain ":"."""
    parts: list[tuple[str, Decimal | None]] = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        lot_id, separator, quantity_text = part.rpartition(":")
        quantity: Decimal | None = None
        if separator:
            try:
                quantity = Decimal(quantity_text.strip())
            except InvalidOperation:
                lot_id, quantity = part, None
        else:
            lot_id = part
        parts.append((lot_id.strip(), quantity))
    return parts


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
