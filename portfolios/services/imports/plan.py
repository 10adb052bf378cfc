"""Turn parsed rows into the transactions an import would write, finding every problem.

The parsers (``portfolios.imports``) check what a file can tell on its own. This module
checks what needs the household: that accounts exist, which rows are already stored,
which symbols are new, which lots a sale names, and that the ledger still replays with the
new rows in it. It reads the database and writes nothing; ``plan_write`` does the writing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef

from portfolios.calculations.lots import LedgerError, LedgerTxn
from portfolios.fields import quantize_money, quantize_quantity
from portfolios.imports import ParsedRow, RowError
from portfolios.models import Account, Household, ImportBatch, Security, Transaction
from portfolios.services.ledger_check import (
    StoredLedger,
    ledger_verify,
    lot_selection_text,
    stored_ref,
)
from portfolios.services.market_data import security_get_or_create

PRICE_STEP = Decimal("1E-8")
# Largest magnitudes the columns hold (DESIGN §2: money 20,4; quantities 28,10; prices 24,8).
MONEY_LIMIT = Decimal(10) ** 16
QUANTITY_LIMIT = Decimal(10) ** 18
PRICE_LIMIT = Decimal(10) ** 16
BULK_BATCH = 1000

NEW, DUPLICATE, ERROR = "new", "duplicate", "error"


@dataclass(eq=False)
class PlannedRow:
    """One parsed row with what it refers to in the household."""

    row: ParsedRow
    status: str = NEW
    account: Account | None = None
    to_account: Account | None = None
    security: Security | None = None  # None for a new symbol or a row without one
    lot_refs: list[tuple[int | PlannedRow, Decimal | None]] = field(default_factory=list)
    provisional_id: int = 0
    transaction: Transaction | None = None  # set by plan_write


@dataclass
class ImportPlan:
    """What an import would do: rows to add, rows already stored, and every problem."""

    rows: list[PlannedRow]
    errors: list[RowError] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # not tied to one line of the file
    new_symbols: list[str] = field(default_factory=list)

    @property
    def new_rows(self) -> list[PlannedRow]:
        return [planned for planned in self.rows if planned.status == NEW]

    @property
    def duplicates(self) -> int:
        return sum(1 for planned in self.rows if planned.status == DUPLICATE)

    @property
    def earliest(self) -> date | None:
        return min((planned.row.trade_date for planned in self.new_rows), default=None)


class _Accounts:
    """Find the household's accounts by name: exactly, else ignoring case if unambiguous."""

    def __init__(self, household: Household) -> None:
        self.by_name = {account.name: account for account in household.accounts.all()}
        self.by_folded: dict[str, list[Account]] = {}
        for account in self.by_name.values():
            self.by_folded.setdefault(account.name.casefold(), []).append(account)

    def find(self, name: str) -> Account | None:
        name = name.strip()
        if name in self.by_name:
            return self.by_name[name]
        matches = self.by_folded.get(name.casefold(), [])
        return matches[0] if len(matches) == 1 else None


def plan_rows(
    *,
    household: Household,
    rows: Sequence[ParsedRow],
    ledger: StoredLedger,
    account: Account | None = None,
    replacing: Transaction | None = None,
    check_ledger: bool = True,
) -> ImportPlan:
    """Return what storing ``rows`` in the household would do.

    1. Resolve each row's account (``account`` when the file names none) and
       ``to_account``; a row naming an account other than a chosen ``account`` is an error.
    2. A row whose (account, external id) is stored already is a duplicate; ``replacing``
       (an edit) does not count as a duplicate of itself.
    3. Find each symbol's security; unknown symbols will be created for review.
    4. Resolve the lots a SELL names: an id of the account's stored rows, a row of the file
       (its ``id``), or a stored transaction's number.
    5. Check that numbers fit their columns.
    6. If all that is clean (and ``check_ledger``: the caller found no other problem),
       replay the ledger with the new rows (``ledger_verify``).
    """
    plan = ImportPlan(rows=[PlannedRow(row=row) for row in rows])
    accounts = _Accounts(household)
    _resolve_accounts(plan, accounts, account)
    _mark_duplicates(plan, ledger, replacing)
    _resolve_securities(plan, household)
    _resolve_lots(plan, ledger)
    for planned in plan.new_rows:
        plan.errors.extend(_size_errors(planned.row))
    if check_ledger and not plan.errors and not plan.problems:
        _verify_ledger(plan, household, ledger, replacing)
    error_lines = {error.line for error in plan.errors}
    for planned in plan.rows:
        if planned.row.line in error_lines:
            planned.status = ERROR
    return plan


def _resolve_accounts(plan: ImportPlan, accounts: _Accounts, chosen: Account | None) -> None:
    if chosen is None and any(planned.row.account is None for planned in plan.rows):
        plan.problems.append(
            "the file names no account (OFX and broker exports do not): choose the account "
            "to import it into"
        )
    for planned in plan.rows:
        row = planned.row
        if row.account is None:
            planned.account = chosen
        else:
            found = accounts.find(row.account)
            if found is None:
                plan.errors.append(
                    RowError(row.line, "account", f"no account '{row.account}' in this household")
                )
            elif chosen is not None and found != chosen:
                plan.errors.append(
                    RowError(
                        row.line,
                        "account",
                        f"'{row.account}' is not the account chosen for this import "
                        f"('{chosen.name}')",
                    )
                )
            else:
                planned.account = found
        if row.to_account is not None:
            target = accounts.find(row.to_account)
            if target is None:
                plan.errors.append(
                    RowError(
                        row.line, "to_account", f"no account '{row.to_account}' in this household"
                    )
                )
            elif target == planned.account:
                plan.errors.append(
                    RowError(row.line, "to_account", "must be a different account than account")
                )
            else:
                planned.to_account = target


def _mark_duplicates(plan: ImportPlan, ledger: StoredLedger, replacing: Transaction | None) -> None:
    first_line: dict[tuple[int, str], int] = {}
    for planned in plan.rows:
        if planned.account is None:
            continue
        key = (planned.account.pk, planned.row.external_id)
        stored = ledger.external_ids.get(key)
        if stored is not None and (replacing is None or stored != replacing.pk):
            planned.status = DUPLICATE
            continue
        if key in first_line:
            plan.errors.append(
                RowError(
                    planned.row.line,
                    "id",
                    f"'{planned.row.external_id}' is already used on line {first_line[key]} "
                    f"for account '{planned.account.name}'",
                )
            )
            continue
        first_line[key] = planned.row.line


def _resolve_securities(plan: ImportPlan, household: Household) -> None:
    """Find each row's security; "new symbols" are the ones new to this household.

    A symbol only another household holds is new here too, as if unknown (it is stored
    once, but which symbols exist must not tell one household what another holds); market
    data that no household holds is known to all.
    """
    symbols = {planned.row.symbol for planned in plan.new_rows if planned.row.symbol}
    found: dict[str, Security] = {}
    for security in Security.objects.filter(symbol__in=symbols).order_by("symbol", "exchange"):
        found.setdefault(security.symbol, security)
    for planned in plan.new_rows:
        if planned.row.symbol:
            planned.security = found.get(planned.row.symbol)
    held_here = Transaction.objects.filter(security=OuterRef("pk"), account__household=household)
    held_anywhere = Transaction.objects.filter(security=OuterRef("pk"))
    known_here = set(
        Security.objects.filter(symbol__in=symbols)
        .filter(Exists(held_here) | ~Exists(held_anywhere))
        .values_list("symbol", flat=True)
    )
    plan.new_symbols = sorted(symbols - known_here)


def _resolve_lots(plan: ImportPlan, ledger: StoredLedger) -> None:
    in_file = {
        (planned.account.pk, planned.row.external_id): planned
        for planned in plan.new_rows
        if planned.account is not None
    }
    for planned in plan.new_rows:
        if not planned.row.lots or planned.account is None:
            continue
        for ref, quantity in planned.row.lots:
            key = (planned.account.pk, ref)
            target: int | PlannedRow | None = ledger.external_ids.get(key) or in_file.get(key)
            if target is None and ref.isascii() and ref.isdigit() and int(ref) in ledger.txns:
                target = int(ref)
            if target is None:
                plan.errors.append(
                    RowError(
                        planned.row.line,
                        "lots",
                        f"no transaction '{ref}' in account '{planned.account.name}' "
                        "or in this file",
                    )
                )
                continue
            planned.lot_refs.append((target, quantity))


def _size_errors(row: ParsedRow) -> list[RowError]:
    checks = (
        ("quantity", row.quantity, QUANTITY_LIMIT),
        ("price", row.price, PRICE_LIMIT),
        ("amount", row.amount, MONEY_LIMIT),
        ("fees", row.fees, MONEY_LIMIT),
        ("ratio", max(row.split_new or 0, row.split_old or 0), QUANTITY_LIMIT),
    )
    return [
        RowError(row.line, column, "is too large")
        for column, value, limit in checks
        if value is not None and abs(value) >= limit
    ]


def stored_values(row: ParsedRow) -> dict:
    """Return the row's numbers as the database stores them (money 4 places, quantities 10,
    prices 8)."""
    return {
        "quantity": quantize_quantity(row.quantity) if row.quantity is not None else None,
        "price": row.price.quantize(PRICE_STEP) if row.price is not None else None,
        "amount": quantize_money(row.amount),
        "fees": quantize_money(row.fees),
        "split_new": quantize_quantity(row.split_new) if row.split_new is not None else None,
        "split_old": quantize_quantity(row.split_old) if row.split_old is not None else None,
    }


def _verify_ledger(
    plan: ImportPlan, household: Household, ledger: StoredLedger, replacing: Transaction | None
) -> None:
    """Replay the ledger with the new rows; turn the engine's error into a row error."""
    if ledger.broken is not None:
        broken = ledger.broken
        plan.problems.append(
            "the household's stored transactions cannot be replayed: "
            f"{stored_ref(household=household, ref=broken.ref)}: {broken.message}"
        )
        return
    new_rows = plan.new_rows
    for offset, planned in enumerate(new_rows):
        planned.provisional_id = replacing.pk if replacing is not None else ledger.next_id + offset
    new_symbol_ids = {symbol: -(index + 1) for index, symbol in enumerate(plan.new_symbols)}
    # "line N" names a row; OFX can give two rows one position (a sale and its tax).
    by_ref: dict[str, PlannedRow] = {}
    for planned in new_rows:
        ref = f"line {planned.row.line}"
        if ref in by_ref:
            ref = f"{ref} ({planned.row.type}, #{len(by_ref) + 1})"
        by_ref[ref] = planned
    txns = [_ledger_txn(planned, ref, new_symbol_ids) for ref, planned in by_ref.items()]
    try:
        if replacing is not None:
            ledger_verify(ledger=ledger, replace={replacing.pk: txns[0]})
        else:
            ledger_verify(ledger=ledger, add=txns)
    except LedgerError as error:
        planned = by_ref.get(error.ref)
        if planned is None:
            stored = stored_ref(household=household, ref=error.ref)
            plan.problems.append(
                f"the new rows would break {stored}, already stored: {error.message}"
            )
        else:
            plan.errors.append(
                RowError(planned.row.line, _ledger_column(planned, error), error.message)
            )


def _ledger_column(planned: PlannedRow, error: LedgerError) -> str | None:
    if planned.row.lots and "lot" in error.message:
        return "lots"
    if planned.row.type in {"SELL", "TRANSFER"}:
        return "quantity"
    return None


def _ledger_txn(planned: PlannedRow, ref: str, new_symbol_ids: dict[str, int]) -> LedgerTxn:
    row = planned.row
    security_id = None
    if planned.security is not None:
        security_id = planned.security.pk
    elif row.symbol:
        security_id = new_symbol_ids[row.symbol]
    values = stored_values(row)
    return LedgerTxn(
        id=planned.provisional_id,
        account_id=planned.account.pk,
        trade_date=row.trade_date,
        type=row.type,
        security_id=security_id,
        quantity=values["quantity"],
        price=values["price"],
        amount=values["amount"],
        fees=values["fees"],
        split_new=values["split_new"],
        split_old=values["split_old"],
        to_account_id=planned.to_account.pk if planned.to_account else None,
        lot_selection=tuple(
            (target if isinstance(target, int) else target.provisional_id, quantity)
            for target, quantity in planned.lot_refs
        ),
        ref=ref,
    )


def plan_securities(plan: ImportPlan) -> None:
    """Create the plan's new symbols (kind and asset class unknown, flagged for review) and
    give every new row its security."""
    names = {
        planned.row.symbol: planned.row.security_name
        for planned in plan.new_rows
        if planned.row.symbol and planned.row.security_name
    }
    created: dict[str, Security] = {}
    for symbol in plan.new_symbols:
        security, was_created = security_get_or_create(symbol=symbol)
        if was_created and names.get(symbol):
            security.name = names[symbol][:200]
            security.save(update_fields=["name"])
        created[symbol] = security
    for planned in plan.new_rows:
        if planned.security is None and planned.row.symbol:
            planned.security = created[planned.row.symbol]


def planned_transaction(planned: PlannedRow, *, batch: ImportBatch | None = None) -> Transaction:
    """Return the unsaved Transaction of a planned row (lots naming rows of the same file
    are filled in by ``plan_write`` once those rows have ids)."""
    row = planned.row
    account = planned.account
    return Transaction(
        account=account,
        trade_date=row.trade_date,
        type=row.type,
        security=planned.security,
        currency=row.currency or account.currency,
        income_class=row.income_class or "",
        to_account=planned.to_account,
        lot_selection=lot_selection_text(
            (target, quantity) for target, quantity in planned.lot_refs if isinstance(target, int)
        ),
        external_id=row.external_id,
        import_batch=batch,
        memo=row.memo[:500],
        **stored_values(row),
    )


def plan_write(plan: ImportPlan, *, batch: ImportBatch | None = None) -> list[Transaction]:
    """Store the plan's new rows and return them; call inside ``transaction.atomic``.

    1. Create the new symbols.
    2. Insert the new rows in file order (``bulk_create``; the unique (account, external
       id) constraint turns a concurrent import of the same rows into an IntegrityError).
    3. Point lot selections that name rows of the same file at their new ids.
    """
    plan_securities(plan)
    new_rows = plan.new_rows
    for planned in new_rows:
        planned.transaction = planned_transaction(planned, batch=batch)
    created = Transaction.objects.bulk_create(
        [planned.transaction for planned in new_rows], batch_size=BULK_BATCH
    )
    fixed = []
    for planned in new_rows:
        if any(not isinstance(target, int) for target, _ in planned.lot_refs):
            planned.transaction.lot_selection = lot_selection_text(
                (target if isinstance(target, int) else target.transaction.pk, quantity)
                for target, quantity in planned.lot_refs
            )
            fixed.append(planned.transaction)
    if fixed:
        Transaction.objects.bulk_update(fixed, ["lot_selection"], batch_size=BULK_BATCH)
    return created
