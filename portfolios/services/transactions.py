"""Writes of single transactions (API and pages), checked exactly like an imported row.

A transaction given as Hearth CSV fields (DESIGN §3: ``date``, ``account``, ``type``, …)
goes through the Hearth CSV parser and the import plan, so a row the importer would refuse
is refused here with the same messages, keyed by field. Every change is checked against
the household's ledger before it is saved and marks the ledger changed from its date.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction

from portfolios.calculations.lots import LedgerError
from portfolios.errors import ApplicationError
from portfolios.imports import ParsedRow, RowError, parse_hearth_csv
from portfolios.models import Account, Household, Transaction
from portfolios.selectors.ledger_inputs import parse_selection
from portfolios.services.audit import audit_record, field_changes, model_values
from portfolios.services.imports.plan import (
    DUPLICATE,
    ImportPlan,
    plan_rows,
    plan_securities,
    plan_write,
    planned_transaction,
)
from portfolios.services.ledger_check import ledger_verify, stored_ledger, stored_ref
from portfolios.services.recompute import ledger_mark_changed

HEARTH_COLUMNS = (
    "date",
    "account",
    "type",
    "symbol",
    "quantity",
    "price",
    "amount",
    "fees",
    "currency",
    "ratio",
    "to_account",
    "lots",
    "income_class",
    "id",
    "memo",
)
TRADE_TYPES = frozenset({"BUY", "SELL", "REINVEST"})
NON_FIELD = "non_field_errors"
_UPDATED_FIELDS = (
    "account",
    "trade_date",
    "type",
    "security",
    "quantity",
    "price",
    "amount",
    "fees",
    "currency",
    "income_class",
    "split_new",
    "split_old",
    "to_account",
    "lot_selection",
    "external_id",
    "memo",
    "basis_unknown",
)


def transaction_fields(txn: Transaction) -> dict[str, str]:
    """Return a stored transaction as Hearth CSV fields (what an edit form starts from).

    Lots name the opening transaction by its external id when it is in the same account
    (as the user wrote it), else by its number.
    """
    lots = ""
    if txn.lot_selection:
        selection = parse_selection(txn.lot_selection)
        opening = dict(
            Transaction.objects.filter(
                pk__in=[int(ref) for ref, _ in selection if ref.isascii() and ref.isdigit()],
                account_id=txn.account_id,
            ).values_list("pk", "external_id")
        )
        lots = ";".join(
            (opening.get(int(ref), ref) if ref.isascii() and ref.isdigit() else ref)
            + ("" if quantity is None else f":{_plain(quantity)}")
            for ref, quantity in selection
        )
    return {
        "date": txn.trade_date.isoformat(),
        "account": txn.account.name,
        "type": txn.type,
        "symbol": txn.security.symbol if txn.security_id else "",
        "quantity": _plain(txn.quantity),
        "price": _plain(txn.price),
        "amount": "" if txn.basis_unknown else _plain(txn.amount),
        "fees": _plain(txn.fees),
        "currency": txn.currency,
        "ratio": (
            f"{_plain(txn.split_new)}:{_plain(txn.split_old)}"
            if txn.split_new is not None and txn.split_old is not None
            else ""
        ),
        "to_account": txn.to_account.name if txn.to_account_id else "",
        "lots": lots,
        "income_class": txn.income_class,
        "id": txn.external_id,
        "memo": txn.memo,
    }


@transaction.atomic
def transaction_create(
    *, household: Household, fields: Mapping[str, object], user=None, request=None
) -> Transaction:
    """Create one transaction from Hearth CSV fields; raise ApplicationError naming fields.

    Without an ``id`` the row's content hash is its external id, as in a file, so posting
    the same row twice is refused as a duplicate the second time. Trade dates after
    tomorrow (household time) are refused by the import plan's date check.
    """
    Household.objects.select_for_update().filter(pk=household.pk).first()
    row = _parse_fields(_with_account_names(household, fields))
    plan = plan_rows(
        household=household, rows=[row], ledger=stored_ledger(household=household), complete=False
    )
    _raise_problems(plan)
    try:
        with transaction.atomic():
            [created] = plan_write(plan)
    except IntegrityError:
        raise _duplicate_error(plan) from None
    ledger_mark_changed(household=household, from_date=row.trade_date)
    audit_record(
        action="transaction.create",
        household=household,
        user=user,
        request=request,
        target=created,
        changes=model_values(created, _UPDATED_FIELDS),
    )
    return created


@transaction.atomic
def transaction_update(
    *, txn: Transaction, fields: Mapping[str, object], user=None, request=None
) -> Transaction:
    """Change a transaction; ``fields`` holds only what changes (Hearth CSV names).

    Changing a BUY/SELL/REINVEST's quantity or price without giving an amount recomputes
    the amount as quantity x price. Raise ApplicationError naming fields.
    """
    household = txn.account.household
    Household.objects.select_for_update().filter(pk=household.pk).first()
    changes = {key: value for key, value in fields.items() if key in HEARTH_COLUMNS}
    merged: dict[str, object] = {**transaction_fields(txn), **changes}
    if (
        str(merged.get("type", "")).upper() in TRADE_TYPES
        and ({"quantity", "price"} & changes.keys())
        and "amount" not in changes
    ):
        merged["amount"] = ""
    row = _parse_fields(_with_account_names(household, merged))
    plan = plan_rows(
        household=household,
        rows=[row],
        ledger=stored_ledger(household=household),
        replacing=txn,
    )
    _raise_problems(plan)
    plan_securities(plan)
    updated = planned_transaction(plan.rows[0], batch=txn.import_batch)
    old_date = txn.trade_date
    before = model_values(txn, _UPDATED_FIELDS)
    for name in _UPDATED_FIELDS:
        setattr(txn, name, getattr(updated, name))
    try:
        with transaction.atomic():
            txn.save(update_fields=[*_UPDATED_FIELDS, "updated_at"])
    except IntegrityError:
        raise _duplicate_error(plan) from None
    ledger_mark_changed(household=household, from_date=min(old_date, txn.trade_date))
    audit_record(
        action="transaction.update",
        household=household,
        user=user,
        request=request,
        target=txn,
        changes=field_changes(before, model_values(txn, _UPDATED_FIELDS)),
    )
    return txn


@transaction.atomic
def transaction_delete(*, txn: Transaction, user=None, request=None) -> date:
    """Delete a transaction unless the ledger needs it (e.g. a later sale of its shares);
    return its trade date. The audit event keeps every stored value (the tombstone)."""
    household = txn.account.household
    Household.objects.select_for_update().filter(pk=household.pk).first()
    try:
        ledger_verify(ledger=stored_ledger(household=household), remove={txn.pk})
    except LedgerError as error:
        stored = stored_ref(household=household, ref=error.ref)
        raise ApplicationError(
            f"It cannot be deleted: without it, {stored} fails: {error.message}."
        ) from None
    trade_date = txn.trade_date
    tombstone = {"id": txn.pk, **model_values(txn)}
    target = f"transaction {txn.pk}: {txn}"
    txn.delete()
    ledger_mark_changed(household=household, from_date=trade_date)
    audit_record(
        action="transaction.delete",
        household=household,
        user=user,
        request=request,
        target=target,
        changes=tombstone,
    )
    return trade_date


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    normalized = value.normalize()
    return "0" if normalized == 0 else format(normalized, "f")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _with_account_names(household: Household, fields: Mapping[str, object]) -> dict:
    """Return the fields with an account given by number replaced by its name (an API
    caller may send either; a name wins when an account is literally called "12")."""
    resolved = dict(fields)
    accounts = None
    for column in ("account", "to_account"):
        value = str(resolved.get(column) or "").strip()
        if not (value.isascii() and value.isdigit()):
            continue
        if accounts is None:
            accounts = {a.name: a for a in Account.objects.filter(household=household)}
        if value in accounts:
            continue
        by_pk = {str(a.pk): a.name for a in accounts.values()}
        if value in by_pk:
            resolved[column] = by_pk[value]
    return resolved


def _parse_fields(fields: Mapping[str, object]) -> ParsedRow:
    """Return the fields parsed as one Hearth CSV row; raise ApplicationError by field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEARTH_COLUMNS)
    writer.writerow([_cell(fields.get(column)) for column in HEARTH_COLUMNS])
    parsed = parse_hearth_csv(buffer.getvalue())
    if parsed.errors or not parsed.rows:
        raise _error_of(parsed.errors or [RowError(2, None, "is not a transaction")])
    return parsed.rows[0]


def _error_of(errors: list[RowError], problems: list[str] = ()) -> ApplicationError:
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(error.column or NON_FIELD, []).append(error.message)
    for problem in problems:
        by_field.setdefault(NON_FIELD, []).append(problem)
    return ApplicationError("Invalid input.", errors=by_field)


def _raise_problems(plan: ImportPlan) -> None:
    if plan.errors or plan.problems:
        raise _error_of(plan.errors, plan.problems)
    if plan.rows[0].status == DUPLICATE:
        raise _duplicate_error(plan)


def _duplicate_error(plan: ImportPlan) -> ApplicationError:
    planned = plan.rows[0]
    account = planned.account.name if planned.account else ""
    return ApplicationError(
        "Invalid input.",
        errors={
            "id": [
                f"a transaction with id '{planned.row.external_id}' already exists in "
                f"account '{account}'; give this one its own id"
            ]
        },
    )
