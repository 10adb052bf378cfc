"""Import a transactions file into a household: all or nothing, idempotent (DESIGN §3).

1. Parse the file (``portfolios.imports.parse_file``); a file that cannot be read at all
   (too big, not text, unknown layout) is rejected with one message.
2. Plan the rows against the household (``plan.plan_rows``): accounts, duplicates, new
   symbols, lots, and a replay of the ledger with the new rows.
3. Any problem rejects the whole file: nothing is written but an ``ImportBatch`` with
   status ``rejected`` and every bad row, ``line N, column C: what is wrong``.
4. Otherwise store the new rows under one ``ImportBatch`` and mark the ledger changed from
   the earliest new trade date, so the worker rebuilds it after commit.

Rows already stored (same account and external id) are duplicates: counted, never written
again, so re-importing a file or an overlapping one adds only what is new. The unique
constraint on (account, external_id) backs this if two imports race.

``create_accounts`` creates the accounts a broker file names that the household lacks;
``open_missing`` opens, at unknown basis, the shares a file sells without Hearth knowing
them (``completion``). Both are listed for review on the batch (``ImportBatch.review``),
with the differences between a statement's positions and Hearth's.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction

from portfolios.collector import cycle_collection_paused
from portfolios.imports import ImportFileError, ParseResult, RowError, parse_file
from portfolios.imports.values import decimal_text
from portfolios.models import Account, AuditEvent, Household, ImportBatch, Transaction
from portfolios.services.audit import audit_record
from portfolios.services.imports.plan import ImportPlan, plan_rows, plan_store
from portfolios.services.ledger_check import stored_ledger
from portfolios.services.planner_statistics import planner_statistics_refresh
from portfolios.services.recompute import ledger_mark_changed

logger = logging.getLogger(__name__)
# A rejected batch keeps this many messages (the count of bad rows is kept in full).
STORED_ERRORS = 1000

RACE_MESSAGE = (
    "another import stored some of these rows at the same moment; nothing was imported, "
    "import the file again to add what is still new"
)


@dataclass(frozen=True)
class PreviewRow:
    """One row of the file and what the import does with it: new, duplicate or error."""

    line: int
    trade_date: date
    account: str
    type: str
    symbol: str
    quantity: Decimal | None
    price: Decimal | None
    amount: Decimal
    fees: Decimal
    external_id: str
    status: str
    basis_unknown: bool = False


@dataclass
class ImportResult:
    """What an import did (or, for a dry run or a rejected file, would have done)."""

    format: str = ""
    batch: ImportBatch | None = None
    added: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    new_symbols: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rows: list[PreviewRow] = field(default_factory=list)
    rows_total: int = 0  # data rows in the file: parsed, skipped and unreadable
    earliest: date | None = None
    dry_run: bool = False
    accounts_created: list[str] = field(default_factory=list)
    openings: list[str] = field(default_factory=list)
    reconciliation: list[dict] = field(default_factory=list)
    opening_csv: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def review(self) -> dict:
        """Return what the household should look at after this import."""
        return {
            "accounts_created": self.accounts_created,
            "openings": self.openings,
            "reconciliation": self.reconciliation,
            "notes": self.notes,
            "opening_csv": self.opening_csv,
        }

    @property
    def ok(self) -> bool:
        """Return True when the file has no problem (and so was, or would be, imported)."""
        return not self.errors


class _BatchNotWaiting(Exception):
    """The preview batch being confirmed was confirmed (or rejected) meanwhile."""


@cycle_collection_paused()
def transactions_import(
    *,
    household: Household,
    content: bytes,
    filename: str,
    format: str | None = None,
    account: Account | None = None,
    user=None,
    dry_run: bool = False,
    batch: ImportBatch | None = None,
    create_accounts: bool = False,
    open_missing: bool = False,
) -> ImportResult:
    """Import a transactions file into the household, all or nothing.

    ``format`` is one of ``portfolios.imports.FORMATS`` (recognised from the content when
    None). ``account`` maps a file of one account (and receives the rows of a file that
    names none); a file naming another account number is refused. ``create_accounts`` and
    ``open_missing``: see the module docstring. ``dry_run`` checks everything and writes
    nothing. ``batch`` is a preview batch (``transactions_import_preview``) to confirm.
    """
    digest = hashlib.sha256(content).hexdigest()
    try:
        parsed = parse_file(content, filename=filename, format=format)
    except ImportFileError as error:
        result = ImportResult(format=(format or "").lower(), errors=[str(error)], dry_run=dry_run)
    except (ValueError, ArithmeticError, LookupError, RecursionError, UnicodeError):
        # A file no parser rule foresaw must still get an answer, never a server error.
        logger.exception("import of %s failed while reading the file", filename)
        result = ImportResult(
            format=(format or "").lower(),
            errors=[
                "the file could not be read: it does not look like any export Hearth knows; "
                "check it is the broker's CSV or OFX download, unchanged"
            ],
            dry_run=dry_run,
        )
    else:
        try:
            with transaction.atomic():
                result = _import_parsed(
                    household=household,
                    parsed=parsed,
                    account=account,
                    user=user,
                    filename=filename,
                    digest=digest,
                    dry_run=dry_run,
                    batch=batch,
                    create_accounts=create_accounts,
                    open_missing=open_missing,
                )
        except _BatchNotWaiting:
            return ImportResult(
                format=parsed.format,
                batch=batch,
                errors=["this import is no longer waiting for confirmation"],
            )
        except IntegrityError:
            result = ImportResult(format=parsed.format, errors=[RACE_MESSAGE])
    if not dry_run and not result.ok:
        result.batch = _batch_rejected(
            household=household,
            result=result,
            account=account,
            user=user,
            filename=filename,
            digest=digest,
            batch=batch,
            create_accounts=create_accounts,
            open_missing=open_missing,
        )
    if result.ok and not dry_run:
        # The accounts too: a few rows never analysed are planned as ten pages, and every
        # ``account__household`` join over the new transactions then scans by account.
        planner_statistics_refresh(Transaction, Account, rows=result.added)
    return result


def transactions_import_preview(
    *,
    household: Household,
    content: bytes,
    filename: str,
    format: str | None = None,
    account: Account | None = None,
    user=None,
    create_accounts: bool = False,
    open_missing: bool = False,
) -> ImportResult:
    """Check a file as ``transactions_import`` would and keep it for confirmation.

    The batch has status ``preview`` and holds the file, or ``rejected`` with every
    problem; confirming re-checks the file, since the household may have changed meanwhile.
    """
    result = transactions_import(
        household=household,
        content=content,
        filename=filename,
        format=format,
        account=account,
        user=user,
        dry_run=True,
        create_accounts=create_accounts,
        open_missing=open_missing,
    )
    result.batch = ImportBatch.objects.create(
        household=household,
        account=account,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        file_name=filename[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        format=result.format[:16],
        status=ImportBatch.Status.PREVIEW if result.ok else ImportBatch.Status.REJECTED,
        content=content if result.ok else None,
        create_accounts=create_accounts,
        open_missing=open_missing,
        **_batch_counts(result),
    )
    return result


def transactions_import_confirm(*, batch: ImportBatch, user=None) -> ImportResult:
    """Import a previewed file; a batch no longer waiting gives an error and changes nothing."""
    if batch.status != ImportBatch.Status.PREVIEW or batch.content is None:
        return ImportResult(
            format=batch.format,
            batch=batch,
            errors=["this import is no longer waiting for confirmation"],
        )
    return transactions_import(
        household=batch.household,
        content=bytes(batch.content),
        filename=batch.file_name,
        format=batch.format or None,
        account=batch.account,
        user=user,
        batch=batch,
        create_accounts=batch.create_accounts,
        open_missing=batch.open_missing,
    )


def _import_parsed(
    *,
    household: Household,
    parsed: ParseResult,
    account: Account | None,
    user,
    filename: str,
    digest: str,
    dry_run: bool,
    batch: ImportBatch | None,
    create_accounts: bool,
    open_missing: bool,
) -> ImportResult:
    if not dry_run:
        # One import per household at a time: the duplicate check and the ledger replay
        # must see the rows a concurrent import is adding (a no-op lock on SQLite, which
        # serializes writers anyway).
        Household.objects.select_for_update().filter(pk=household.pk).first()
        if batch is not None:
            status = (
                ImportBatch.objects.select_for_update()
                .filter(pk=batch.pk)
                .values_list("status", flat=True)
            )
            if list(status) != [ImportBatch.Status.PREVIEW]:
                raise _BatchNotWaiting
    plan = plan_rows(
        household=household,
        rows=parsed.rows,
        ledger=stored_ledger(household=household),
        account=account,
        check_ledger=parsed.ok,
        file_accounts=parsed.accounts,
        positions=parsed.positions,
        create_accounts=create_accounts,
        open_missing=open_missing,
        format=parsed.format,
    )
    result = _result_of(parsed, plan, dry_run=dry_run)
    if dry_run or not result.ok:
        return result
    batch = _batch_imported(
        household=household,
        result=result,
        account=account,
        user=user,
        filename=filename,
        digest=digest,
        batch=batch,
        create_accounts=create_accounts,
        open_missing=open_missing,
    )
    plan_store(plan, batch=batch)
    result.batch = batch
    if plan.earliest is not None:
        ledger_mark_changed(household=household, from_date=plan.earliest)
    return result


def _result_of(parsed: ParseResult, plan: ImportPlan, *, dry_run: bool) -> ImportResult:
    row_errors: list[RowError] = sorted([*parsed.errors, *plan.errors], key=lambda e: e.line)
    errors = [*plan.problems, *(str(error) for error in row_errors)]
    parsed_lines = {row.line for row in parsed.rows}
    unreadable_lines = {error.line for error in parsed.errors} - parsed_lines
    skipped = [(skip.line, skip.reason) for skip in parsed.skipped] + plan.skipped
    skipped.sort(key=lambda item: item[0])
    return ImportResult(
        format=parsed.format,
        added=len(plan.new_rows) if not errors else 0,
        duplicates=plan.duplicates,
        rejected=len({error.line for error in row_errors}),
        errors=errors,
        new_symbols=plan.new_symbols,
        skipped=[f"line {line}: {reason}" for line, reason in skipped],
        rows=[
            PreviewRow(
                line=planned.row.line,
                trade_date=planned.row.trade_date,
                account=planned.account.name if planned.account else (planned.row.account or ""),
                type=planned.row.type,
                symbol=planned.row.symbol or "",
                quantity=planned.row.quantity,
                price=planned.row.price,
                amount=planned.row.amount,
                fees=planned.row.fees,
                external_id=planned.row.external_id,
                status=planned.status,
                basis_unknown=planned.row.basis_unknown,
            )
            for planned in plan.rows
        ],
        rows_total=len(plan.rows) + len(skipped) + len(unreadable_lines),
        earliest=plan.earliest if not errors else None,
        dry_run=dry_run,
        accounts_created=[
            f"{account.name} ({account.get_type_display()})" for account in plan.accounts.created
        ],
        openings=[
            f"{planned.row.symbol} in {planned.account.name}: {decimal_text(planned.row.quantity)} "
            f"shares held before {(planned.row.trade_date + timedelta(days=1)).isoformat()}, "
            "basis unknown"
            for planned in plan.openings
        ],
        reconciliation=plan.reconciliation if not errors else [],
        opening_csv=plan.opening_csv,
        notes=_notes(plan),
    )


def _notes(plan: ImportPlan) -> list[str]:
    notes = list(plan.notes)
    numbered = plan.accounts.numbered
    if numbered is not None:
        notes.append(f"'{numbered.name}' takes the account number the file names")
    return notes


def _batch_counts(result: ImportResult) -> dict:
    return {
        "rows_total": result.rows_total,
        "rows_added": result.added,
        "rows_duplicate": result.duplicates,
        "rows_rejected": result.rejected,
        "errors": result.errors[:STORED_ERRORS]
        + (
            [f"… and {len(result.errors) - STORED_ERRORS} more problems"]
            if len(result.errors) > STORED_ERRORS
            else []
        ),
        "new_symbols": result.new_symbols,
        "review": result.review,
    }


def _save_batch(
    *,
    household: Household,
    result: ImportResult,
    status: str,
    account: Account | None,
    user,
    filename: str,
    digest: str,
    batch: ImportBatch | None,
    create_accounts: bool = False,
    open_missing: bool = False,
) -> ImportBatch:
    values = {
        "status": status,
        "format": result.format[:16],
        "content": None,
        "create_accounts": create_accounts,
        "open_missing": open_missing,
        **_batch_counts(result),
    }
    if batch is not None:
        for name, value in values.items():
            setattr(batch, name, value)
        batch.save(update_fields=[*values, "updated_at"])
    else:
        batch = ImportBatch.objects.create(
            household=household,
            account=account,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            file_name=filename[:255],
            sha256=digest,
            **values,
        )
    audit_record(
        action="import",
        household=household,
        user=user if getattr(user, "is_authenticated", False) else None,
        target=batch,
        outcome=(
            AuditEvent.Outcome.OK
            if status == ImportBatch.Status.IMPORTED
            else AuditEvent.Outcome.FAILED
        ),
        changes={
            "file": filename[:255],
            "sha256": digest,
            **{k: v for k, v in values.items() if k not in ("content", "errors")},
        },
    )
    return batch


def _batch_imported(**kwargs) -> ImportBatch:
    return _save_batch(status=ImportBatch.Status.IMPORTED, **kwargs)


def _batch_rejected(**kwargs) -> ImportBatch:
    return _save_batch(status=ImportBatch.Status.REJECTED, **kwargs)
