"""Turn parsed rows into the transactions an import would write, finding every problem.

The parsers (``portfolios.imports``) check what a file can tell on its own. This module
checks what needs the household: which account each row goes to (``accounts``), which
rows are already stored, which symbols are new, which lots a sale names, what the rows
mean against the positions held (``completion``: shares held before the file starts,
split ratios, expiries, basis carried through exchanges), and that the ledger still
replays with the new rows in it. It reads the database and writes nothing;
``plan_write`` does the writing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from portfolios.calculations.lots import AccountInfo, LedgerError, LedgerTxn, TaxTreatment
from portfolios.fields import quantize_money, quantize_quantity
from portfolios.imports import FileAccount, ParsedRow, RowError, StatementPosition
from portfolios.models import Account, Household, ImportBatch, Security, Transaction
from portfolios.selectors.as_of import household_today
from portfolios.services.imports import completion
from portfolios.services.imports.accounts import (
    AccountMap,
    HouseholdAccounts,
    accounts_create,
    map_accounts,
    resolve_row_accounts,
)
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
COPY_ROWS = 1000  # from this many new rows on PostgreSQL, ``plan_store`` writes with COPY
# A trade dated after tomorrow, household time, is a typo or a file of the future.
FUTURE_DAYS = 1

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
    added_by_import: bool = False  # an OPENING the import made up (--open-missing)


@dataclass
class ImportPlan:
    """What an import would do: rows to add, rows already stored, and every problem."""

    rows: list[PlannedRow]
    errors: list[RowError] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # not tied to one line of the file
    new_symbols: list[str] = field(default_factory=list)
    accounts: AccountMap = field(default_factory=AccountMap)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # dropped while planning
    opening_csv: str = ""  # OPENING rows to fill in, when sales exceed what is held
    reconciliation: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    new_symbol_ids: dict[str, int] = field(default_factory=dict)

    @property
    def new_rows(self) -> list[PlannedRow]:
        return [planned for planned in self.rows if planned.status == NEW]

    @property
    def duplicates(self) -> int:
        return sum(1 for planned in self.rows if planned.status == DUPLICATE)

    @property
    def earliest(self) -> date | None:
        return min((planned.row.trade_date for planned in self.new_rows), default=None)

    @property
    def openings(self) -> list[PlannedRow]:
        return [planned for planned in self.new_rows if planned.added_by_import]

    def accounts_id(self, account: Account) -> int:
        """Return the account's id, provisional (negative) when it is still to be created."""
        return self.accounts.account_id(account)


def plan_rows(
    *,
    household: Household,
    rows: Sequence[ParsedRow],
    ledger: StoredLedger,
    account: Account | None = None,
    replacing: Transaction | None = None,
    check_ledger: bool = True,
    file_accounts: Iterable[FileAccount] = (),
    positions: Sequence[StatementPosition] = (),
    create_accounts: bool = False,
    open_missing: bool = False,
    format: str = "hearth",
    today: date | None = None,
    complete: bool = True,
) -> ImportPlan:
    """Return what storing ``rows`` in the household would do.

    1. Resolve each row's account and ``to_account`` (``accounts``): by name (Hearth CSV)
       or number (broker files); ``account`` maps a one-account file; ``create_accounts``
       plans the accounts the file names that the household lacks.
    2. Refuse trades dated after tomorrow, household time.
    3. A row whose (account, external id) is stored already is a duplicate; ``replacing``
       (an edit) does not count as a duplicate of itself.
    4. Find each symbol's security; unknown symbols will be created for review.
    5. Resolve the lots a SELL names: an id of the account's stored rows, a row of the file
       (its ``id``), or a stored transaction's number.
    6. Check that numbers fit their columns.
    7. Complete the rows against the positions held (``completion``): split ratios,
       expiries, fractions, the basis an exchange carries; sales beyond what is held are
       refused (naming each, with OPENING rows to fill in) or, with ``open_missing``,
       covered by OPENING lots of unknown basis.
    8. If all that is clean (and ``check_ledger``: the caller found no other problem),
       replay the ledger with the new rows (``ledger_verify``) and compare the result
       with the statement's ``positions``.
    """
    plan = ImportPlan(rows=[PlannedRow(row=row) for row in rows])
    accounts = HouseholdAccounts(household)
    plan.accounts = map_accounts(
        household=household,
        accounts=accounts,
        rows=list(rows),
        file_accounts=file_accounts,
        chosen=account,
        create_accounts=create_accounts,
        format=format,
        position_numbers=(
            [p.account_number for p in positions if p.account_number] if open_missing else ()
        ),
    )
    plan.problems.extend(plan.accounts.problems)
    if not plan.problems:
        plan.errors.extend(resolve_row_accounts(plan.rows, accounts, plan.accounts, account))
    _check_dates(plan, today or household_today(household), format=format)
    _mark_duplicates(plan, ledger, replacing)
    _resolve_securities(plan, household)
    _resolve_lots(plan, ledger)
    for planned in plan.new_rows:
        plan.errors.extend(_size_errors(planned.row))
    if check_ledger and not plan.errors and not plan.problems:
        if replacing is None and complete:
            completion.complete_rows(
                plan,
                household=household,
                ledger=ledger,
                open_missing=open_missing,
                positions=list(positions),
            )
        plan.new_symbols = _new_to_household(
            household, {p.row.symbol for p in plan.new_rows if p.row.symbol}
        )
    if check_ledger and not plan.errors and not plan.problems:
        _verify_ledger(plan, household, ledger, replacing)
        if not plan.errors and not plan.problems and replacing is None:
            completion.reconcile_positions(plan, ledger=ledger, positions=list(positions))
    error_lines = {error.line for error in plan.errors}
    for planned in plan.rows:
        if planned.row.line in error_lines and planned.status == NEW:
            planned.status = ERROR
    return plan


def _check_dates(plan: ImportPlan, today: date, *, format: str) -> None:
    """Refuse rows dated after tomorrow in the household's time zone, naming the line (and,
    in an OFX file, whose transactions are told apart by id, the FITID and memo)."""
    latest = today + timedelta(days=FUTURE_DAYS)
    for planned in plan.rows:
        row = planned.row
        if row.trade_date > latest:
            where = ""
            if format == "ofx" and row.external_id:
                memo = f", '{row.memo[:40]}'" if row.memo else ""
                where = f" (FITID {row.external_id[:40]}{memo})"
            plan.errors.append(
                RowError(
                    row.line,
                    "date",
                    f"{row.trade_date.isoformat()} is in the future (after "
                    f"{latest.isoformat()}); check the date, or import the file once the "
                    f"trade has happened{where}",
                )
            )


def _mark_duplicates(plan: ImportPlan, ledger: StoredLedger, replacing: Transaction | None) -> None:
    first_line: dict[tuple[int, str], int] = {}
    for planned in plan.rows:
        if planned.account is None:
            continue
        key = (plan.accounts_id(planned.account), planned.row.external_id)
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
    plan.new_symbols = _new_to_household(household, symbols)
    plan.new_symbol_ids = {symbol: -(index + 1) for index, symbol in enumerate(plan.new_symbols)}


def _new_to_household(household: Household, symbols: set[str]) -> list[str]:
    """Return the symbols that are new to the household, sorted: unknown ones, and ones
    only another household holds (so they look unknown); market data nobody holds and the
    household's own securities are known."""
    held_here = Transaction.objects.filter(security=OuterRef("pk"), account__household=household)
    held_anywhere = Transaction.objects.filter(security=OuterRef("pk"))
    known_here = set(
        Security.objects.filter(symbol__in=symbols)
        .filter(Exists(held_here) | ~Exists(held_anywhere))
        .values_list("symbol", flat=True)
    )
    return sorted(symbols - known_here)


def security_id_of(plan: ImportPlan, planned: PlannedRow) -> int | None:
    """Return the row's security id, or the provisional one of a symbol still to create."""
    if planned.security is not None:
        return planned.security.pk
    if planned.row.symbol:
        if planned.row.symbol not in plan.new_symbol_ids:
            plan.new_symbol_ids[planned.row.symbol] = -(len(plan.new_symbol_ids) + 1)
            plan.new_symbols = sorted({*plan.new_symbols, planned.row.symbol})
        return plan.new_symbol_ids[planned.row.symbol]
    return None


def _resolve_lots(plan: ImportPlan, ledger: StoredLedger) -> None:
    in_file = {
        (plan.accounts_id(planned.account), planned.row.external_id): planned
        for planned in plan.new_rows
        if planned.account is not None
    }
    for planned in plan.new_rows:
        if not planned.row.lots or planned.account is None:
            continue
        for ref, quantity in planned.row.lots:
            key = (plan.accounts_id(planned.account), ref)
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


def provisional_accounts(plan: ImportPlan) -> dict[int, AccountInfo]:
    """Return the accounts the import would create, as the lot engine sees them."""
    infos = {}
    for pk, account in plan.accounts.provisional.items():
        treatment = Account.TAX_TREATMENT_BY_TYPE[Account.Type(account.type)]
        infos[pk] = AccountInfo(pk, account.lot_method, TaxTreatment(str(treatment)))
    return infos


def ledger_of(plan: ImportPlan, ledger: StoredLedger) -> StoredLedger:
    """Return the stored ledger with the accounts the import would create."""
    if not plan.accounts.provisional:
        return ledger
    return dataclasses.replace(ledger, accounts={**ledger.accounts, **provisional_accounts(plan)})


def ledger_refs(
    plan: ImportPlan, ledger: StoredLedger, replacing: Transaction | None
) -> dict[str, PlannedRow]:
    """Give every new row a provisional id and return the rows by the engine's ``ref``
    ("line N"; OFX can give two rows one line, a sale and its tax)."""
    new_rows = plan.new_rows
    for offset, planned in enumerate(new_rows):
        planned.provisional_id = replacing.pk if replacing is not None else ledger.next_id + offset
    by_ref: dict[str, PlannedRow] = {}
    for planned in new_rows:
        ref = f"line {planned.row.line}"
        if ref in by_ref:
            ref = f"{ref} ({planned.row.type}, #{len(by_ref) + 1})"
        by_ref[ref] = planned
    return by_ref


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
    by_ref = ledger_refs(plan, ledger, replacing)
    txns = [ledger_txn(plan, planned, ref) for ref, planned in by_ref.items()]
    try:
        if replacing is not None:
            ledger_verify(ledger=ledger_of(plan, ledger), replace={replacing.pk: txns[0]})
        else:
            ledger_verify(ledger=ledger_of(plan, ledger), add=txns)
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


def ledger_txn(plan: ImportPlan, planned: PlannedRow, ref: str) -> LedgerTxn:
    """Return a planned row as the lot engine sees it."""
    row = planned.row
    values = stored_values(row)
    return LedgerTxn(
        id=planned.provisional_id,
        account_id=plan.accounts_id(planned.account),
        trade_date=row.trade_date,
        type=row.type,
        security_id=security_id_of(plan, planned),
        quantity=values["quantity"],
        price=values["price"],
        amount=values["amount"],
        fees=values["fees"],
        split_new=values["split_new"],
        split_old=values["split_old"],
        to_account_id=plan.accounts_id(planned.to_account) if planned.to_account else None,
        lot_selection=tuple(
            (target if isinstance(target, int) else target.provisional_id, quantity)
            for target, quantity in planned.lot_refs
        ),
        ref=ref,
        basis_unknown=row.basis_unknown,
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


def planned_values(planned: PlannedRow, *, batch: ImportBatch | None = None) -> dict:
    """Return the field values of a planned row's Transaction (lots naming rows of the same
    file are left out: they have no ids yet)."""
    row = planned.row
    account = planned.account
    return {
        "account": account,
        "trade_date": row.trade_date,
        "type": row.type,
        "security": planned.security,
        "currency": (row.currency or account.currency)[:3],
        "income_class": row.income_class or "",
        "to_account": planned.to_account,
        "lot_selection": lot_selection_text(
            (target, quantity) for target, quantity in planned.lot_refs if isinstance(target, int)
        ),
        "external_id": row.external_id,
        "import_batch": batch,
        "memo": row.memo[:500],
        "basis_unknown": row.basis_unknown,
        **stored_values(row),
    }


def planned_transaction(planned: PlannedRow, *, batch: ImportBatch | None = None) -> Transaction:
    """Return the unsaved Transaction of a planned row (lots naming rows of the same file
    are filled in by ``plan_write`` once those rows have ids)."""
    return Transaction(**planned_values(planned, batch=batch))


def plan_write(plan: ImportPlan, *, batch: ImportBatch | None = None) -> list[Transaction]:
    """Store the plan's new rows and return them; call inside ``transaction.atomic``.

    1. Create the accounts the file names that the household lacks, and the new symbols.
    2. Insert the new rows in file order (``bulk_create``; the unique (account, external
       id) constraint turns a concurrent import of the same rows into an IntegrityError).
    3. Point lot selections that name rows of the same file at their new ids.
    """
    accounts_create(plan.accounts)
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


def plan_store(plan: ImportPlan, *, batch: ImportBatch | None = None) -> int:
    """Store the plan's new rows as ``plan_write`` does and return how many, without making
    a Transaction of each: an import of many rows on PostgreSQL reserves their ids (in
    file order) and writes them with one ``COPY``, lot selections naming rows of the same
    file included. The constraints hold as for ``bulk_create`` (a concurrent import of the
    same rows is an IntegrityError)."""
    new_rows = plan.new_rows
    if connection.vendor != "postgresql" or len(new_rows) < COPY_ROWS:
        return len(plan_write(plan, batch=batch))
    accounts_create(plan.accounts)
    plan_securities(plan)
    meta = Transaction._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) AS id "
            "FROM generate_series(1, %s) ORDER BY id",
            [meta.db_table, meta.pk.column, len(new_rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        id_of = {id(planned): pk for planned, pk in zip(new_rows, ids, strict=True)}
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        now = timezone.now()
        # What each column takes when the row gives no value: the field's default, the
        # time for auto_now fields, as Model.save would.
        defaults = {
            f.name: now
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default()
            for f in fields
        }
        relations = {f.name for f in fields if f.is_relation}
        columns = ", ".join(connection.ops.quote_name(f.column) for f in [meta.pk, *fields])
        names = [f.name for f in fields]
        statement = f"COPY {meta.db_table} ({columns}) FROM STDIN"
        # The driver's own COPY: its errors become Django's (IntegrityError) as a query's do.
        with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
            for planned, pk in zip(new_rows, ids, strict=True):
                values = {**defaults, **planned_values(planned, batch=batch)}
                if any(not isinstance(target, int) for target, _ in planned.lot_refs):
                    values["lot_selection"] = lot_selection_text(
                        (target if isinstance(target, int) else id_of[id(target)], quantity)
                        for target, quantity in planned.lot_refs
                    )
                for name in relations:
                    related = values[name]
                    values[name] = getattr(related, "pk", related)  # an instance or None
                copy.write_row([pk, *(values[name] for name in names)])
    return len(new_rows)


__all__ = [
    "DUPLICATE",
    "ERROR",
    "NEW",
    "ImportPlan",
    "PlannedRow",
    "household_today",
    "ledger_txn",
    "plan_rows",
    "plan_securities",
    "plan_store",
    "plan_write",
    "planned_transaction",
    "planned_values",
    "stored_values",
]
