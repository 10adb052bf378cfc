"""Complete an import's rows against the positions the household holds.

A broker file often starts after the shares it sells were bought, states a split by the
shares it added, lets an option expire without saying whether it was bought or written,
pays cash for a fraction without saying how many shares, and exchanges shares in a merger
without the basis. The quantity replay (``portfolios.calculations.quantities``) and, for
basis, the lot engine answer those from the stored ledger plus the file:

1. Split ratios worked out from the shares added; a split with nothing held is refused.
2. Expiries of options the account does not hold (written ones) are dropped; fractions
   are sold, or the cash is a return of capital when no fraction is held.
3. Sales beyond what is held: with ``open_missing``, one OPENING of unknown basis per
   position, dated the day before the file's first row of it, flagged for review (and,
   when the statement lists positions, the shares it says are held beyond Hearth's are
   opened the same way); without it, each such sale is refused with the shortfall per
   symbol and OPENING rows ready to fill in.
4. Exchanges at basis: a SELL whose proceeds are the basis of the shares it closes gets
   that basis, and the BUY that carries it gets it added (a SELL: taken off).

``reconcile_positions`` compares the statement's positions with Hearth's after the import.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date, timedelta
from decimal import Decimal

from portfolios.calculations.lots import LedgerError, build_ledger
from portfolios.calculations.quantities import (
    TOLERANCE,
    QuantityResult,
    QuantityTxn,
    exact,
    replay_quantities,
    split_factor,
)
from portfolios.imports import ParsedRow, RowError, StatementPosition
from portfolios.imports.values import decimal_text
from portfolios.imports.wording import masked
from portfolios.models import Household, Security
from portfolios.services.imports import plan as planning
from portfolios.services.ledger_check import StoredLedger

ZERO = Decimal(0)
# Money-market funds brokers use as the account's cash: a statement's holding of them is
# cash Hearth already counts, never a position to open.
CASH_FUNDS = frozenset(
    {
        "SPAXX",
        "FDRXX",
        "FZFXX",
        "SPRXX",
        "FCASH",
        "CORE",
        "FGTXX",
        "FZDXX",
        "VMFXX",
        "VMRXX",
        "SWVXX",
        "SNVXX",
        "QACDS",
        "MMDA1",
        "CASH",
    }
)
OPENING_MEMO = "opened by the import: shares held before the file starts; enter their cost basis"


def _quantity_txns(plan, ledger: StoredLedger) -> list[QuantityTxn]:
    stored = [
        QuantityTxn(
            key=("stored", txn.id),
            order_id=txn.id,
            account_id=txn.account_id,
            trade_date=txn.trade_date,
            type=txn.type,
            security_id=txn.security_id,
            quantity=txn.quantity,
            split_new=txn.split_new,
            split_old=txn.split_old,
            to_account_id=txn.to_account_id,
        )
        for txn in ledger.txns.values()
    ]
    new = []
    for planned in plan.new_rows:
        row = planned.row
        new.append(
            QuantityTxn(
                key=planned,
                order_id=planned.provisional_id,
                account_id=plan.accounts_id(planned.account),
                trade_date=row.trade_date,
                type=row.type,
                security_id=planning.security_id_of(plan, planned),
                quantity=row.quantity,
                split_new=row.split_new,
                split_old=row.split_old,
                split_shares=row.split_shares if row.split_new is None else None,
                to_account_id=plan.accounts_id(planned.to_account) if planned.to_account else None,
                only_if_held=row.only_if_held,
                sell_fraction=row.sell_fraction,
                new=True,
            )
        )
    return stored + new


def complete_rows(
    plan,
    *,
    household: Household,
    ledger: StoredLedger,
    open_missing: bool,
    positions: list[StatementPosition],
) -> None:
    """Complete the plan's new rows (module docstring, steps 1 to 4)."""
    planning.ledger_refs(plan, ledger, None)
    result = replay_quantities(_quantity_txns(plan, ledger))
    _apply_resolutions(plan, result)
    if plan.errors:
        return
    if result.openings:
        if not open_missing:
            _refuse_shortfalls(plan, result)
            return
        _add_openings(plan, result, ledger)
    if open_missing:
        open_statement_positions(plan, ledger=ledger, positions=positions)
    _resolve_basis(plan, ledger)


def _replace(planned, **changes) -> None:
    planned.row = dataclasses.replace(planned.row, **changes)


def _apply_resolutions(plan, result: QuantityResult) -> None:
    dropped = []
    for planned in plan.new_rows:
        row = planned.row
        if planned in result.ratios:
            new, old = result.ratios[planned]
            _replace(planned, split_new=exact(new), split_old=exact(old))
        elif planned in result.unresolved_splits:
            plan.errors.append(
                RowError(
                    row.line,
                    "quantity",
                    f"a split of {row.symbol} that adds {decimal_text(row.split_shares)} shares, "
                    "but the account holds none that day, so its ratio cannot be worked out: "
                    "import the history from before the split, or add a SPLIT row with its "
                    "ratio (e.g. 2:1) in a Hearth CSV",
                )
            )
        elif planned in result.dropped:
            dropped.append(planned)
        elif planned in result.held_for and result.held_for[planned] != row.quantity:
            _replace(planned, quantity=result.held_for[planned])
        elif planned in result.fractions:
            fraction = result.fractions[planned]
            if fraction > 0:
                price = (row.amount / fraction) if fraction else None
                _replace(planned, quantity=fraction, price=price, sell_fraction=False)
            else:
                _replace(
                    planned,
                    type="RETURN_OF_CAPITAL",
                    quantity=None,
                    price=None,
                    sell_fraction=False,
                    memo=(row.memo + " | no fraction held: a return of capital")[:500],
                )
    for planned in dropped:
        plan.rows.remove(planned)
        plan.skipped.append(
            (
                planned.row.line,
                f"{planned.row.symbol} expired or was surrendered, but the account does not "
                "hold it (a written option: its premium was recorded when written)",
            )
        )


def _position_rows(plan) -> dict[tuple[int, int], object]:
    found = {}
    for planned in plan.new_rows:
        security = planning.security_id_of(plan, planned)
        if security is not None and planned.account is not None:
            found.setdefault((plan.accounts_id(planned.account), security), planned)
    return found


def _opening_row(plan, sample, account, acquired: date, quantity: Decimal, line: int):
    row = ParsedRow(
        line=line,
        trade_date=acquired,
        type="OPENING",
        symbol=sample.row.symbol,
        quantity=quantity,
        amount=ZERO,
        currency=sample.row.currency,
        external_id=f"opening:{sample.row.symbol}:{acquired.isoformat()}"[:100],
        memo=OPENING_MEMO,
        security_name=sample.row.security_name,
        basis_unknown=True,
    )
    return planning.PlannedRow(
        row=row, account=account, security=sample.security, added_by_import=True
    )


def _add_openings(plan, result: QuantityResult, ledger: StoredLedger) -> None:
    samples = _position_rows(plan)
    lines = {planned: planned.row.line for planned in plan.new_rows}
    for position, opening in result.openings.items():
        sample = samples.get(position)
        if sample is None:
            continue
        line = min(lines.get(short.key, sample.row.line) for short in opening.shortfalls)
        planned = _opening_row(
            plan, sample, sample.account, opening.acquired, opening.quantity, line
        )
        plan.rows.append(planned)
    planning.ledger_refs(plan, ledger, None)


def _account_name(account) -> str:
    return account.name if account is not None else ""


def _refuse_shortfalls(plan, result: QuantityResult) -> None:
    samples = _position_rows(plan)
    by_key = {planned: planned for planned in plan.new_rows}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["date", "account", "type", "symbol", "quantity", "amount", "memo"])
    summary = []
    for position, opening in result.openings.items():
        sample = samples.get(position)
        if sample is None:
            continue
        for short in opening.shortfalls:
            planned = by_key.get(short.key)
            if planned is None:
                continue
            row = planned.row
            verb = "sells" if row.type == "SELL" else "moves"
            plan.errors.append(
                RowError(
                    row.line,
                    "quantity",
                    f"{verb} {decimal_text(row.quantity)} {row.symbol} but the account holds "
                    f"{decimal_text(short.held)} then, {decimal_text(short.quantity)} short: the "
                    "history starts after they were bought. Import the shares held before as "
                    "OPENING rows (below), or import again with --open-missing",
                )
            )
        name = _account_name(sample.account)
        summary.append(f"{sample.row.symbol} in {name} short by {decimal_text(opening.quantity)}")
        writer.writerow(
            [
                opening.acquired.isoformat(),
                name,
                "OPENING",
                sample.row.symbol,
                decimal_text(opening.quantity),
                "",
                "held before the statement starts; amount = cost basis, blank if unknown",
            ]
        )
    plan.opening_csv = buffer.getvalue()
    plan.problems.append(
        "sales exceed the shares Hearth knows the account held ("
        + "; ".join(summary)
        + "): import the OPENING rows shown (a Hearth CSV; fill in each amount, the cost "
        "basis, if you know it) and then this file, or import this file with "
        "--open-missing ('Open missing positions' when uploading) to open them with "
        "unknown basis, flagged for review"
    )


def _lots_basis(plan, ledger: StoredLedger, planned) -> tuple[Decimal, bool] | None:
    """Return the basis of the shares a row closes, and whether all of it is known, from a
    replay of everything before the row; None when the ledger cannot be replayed."""
    refs = planning.ledger_refs(plan, ledger, None)
    target = next(ref for ref, candidate in refs.items() if candidate is planned)
    order = (planned.row.trade_date, planned.provisional_id)
    txns = [
        txn
        for txn in ledger.txns.values()
        if (txn.trade_date, txn.id) < order or txn.trade_date < planned.row.trade_date
    ]
    for ref, candidate in refs.items():
        if ref == target:
            continue
        if candidate.row.trade_date < planned.row.trade_date or (
            candidate.row.trade_date == planned.row.trade_date
            and candidate.row.type not in {"SELL", "TRANSFER"}
            and not candidate.row.carry_basis_from
        ):
            txns.append(planning.ledger_txn(plan, candidate, ref))
    try:
        built = build_ledger(txns, planning.ledger_of(plan, ledger).accounts)
    except LedgerError:
        return None
    account = plan.accounts_id(planned.account)
    security = planning.security_id_of(plan, planned)
    lots = sorted(
        (lot for lot in built.lots if lot.account_id == account and lot.security_id == security),
        key=lambda lot: (lot.acquired, lot.lot_id),
    )
    needed = planned.row.quantity or ZERO
    basis, known = ZERO, True
    for lot in lots:
        if needed <= 0:
            break
        take = min(needed, lot.quantity_open)
        basis += lot.cost_open * take / lot.quantity_open
        known = known and lot.basis_known
        needed -= take
    return basis.quantize(Decimal("0.01")), known and needed <= TOLERANCE


def _resolve_basis(plan, ledger: StoredLedger) -> None:
    sources = [planned for planned in plan.new_rows if planned.row.basis_proceeds]
    for source in sources:
        found = _lots_basis(plan, ledger, source)
        basis, known = found if found is not None else (ZERO, False)
        _replace(source, amount=basis, basis_proceeds=False)
        for planned in plan.new_rows:
            row = planned.row
            if (
                row.carry_basis_from == source.row.symbol
                and planned.account is source.account
                and row.trade_date == source.row.trade_date
            ):
                if row.type == "BUY":
                    _replace(
                        planned,
                        amount=row.amount + basis,
                        basis_unknown=row.basis_unknown or not known,
                    )
                else:
                    _replace(planned, amount=max(row.amount - basis, ZERO))


def summed_positions(positions: list[StatementPosition]) -> list[StatementPosition]:
    """Return the positions with lines of the same security and account added up (a
    statement may list a holding once per lot or per money source)."""
    summed: dict[tuple, StatementPosition] = {}
    for position in positions:
        key = (position.account_number, position.symbol, position.as_of)
        if key in summed:
            position = dataclasses.replace(
                position, quantity=summed[key].quantity + position.quantity
            )
        summed[key] = position
    return list(summed.values())


def reconcile_positions(plan, *, ledger: StoredLedger, positions: list[StatementPosition]) -> None:
    """Compare the statement's positions with Hearth's after the import; list differences.

    With openings of unknown basis planned (``open_missing``), shares the statement lists
    beyond Hearth's are opened too, before the comparison.
    """
    positions = summed_positions(positions)
    if not positions:
        return
    by_account: dict[int, object] = {}
    wanted: list[tuple[int, StatementPosition]] = []
    for position in positions:
        account = (
            plan.accounts.by_number.get(position.account_number)
            if position.account_number
            else plan.accounts.default
        )
        if account is None:
            continue
        account_id = plan.accounts_id(account)
        by_account[account_id] = account
        wanted.append((account_id, position))
    if not wanted:
        return
    symbols = {position.symbol for _, position in wanted}
    security_ids = dict(Security.objects.filter(symbol__in=symbols).values_list("symbol", "pk"))
    security_ids.update({s: pk for s, pk in plan.new_symbol_ids.items() if s in symbols})
    dates = {account_id: position.as_of for account_id, position in wanted}
    planning.ledger_refs(plan, ledger, None)
    result = replay_quantities(_quantity_txns(plan, ledger), snapshot_dates=dates)
    for account_id, position in wanted:
        security = security_ids.get(position.symbol)
        held = result.snapshots.get((account_id, security), ZERO) if security else ZERO
        difference = position.quantity - held
        if abs(difference) <= TOLERANCE:
            continue
        plan.reconciliation.append(
            {
                "account": by_account[account_id].name,
                "number": masked(by_account[account_id].number or position.account_number or ""),
                "symbol": position.symbol,
                "statement": decimal_text(position.quantity),
                "hearth": decimal_text(held),
                "as_of": position.as_of.isoformat() if position.as_of else "",
            }
        )


def open_statement_positions(
    plan, *, ledger: StoredLedger, positions: list[StatementPosition]
) -> None:
    """With ``open_missing``: open, at unknown basis, the shares a statement says are held
    beyond what Hearth will hold, dated the day before the account's first row."""
    positions = summed_positions(positions)
    if not positions:
        return
    first_day: dict[int, date] = {}
    for planned in plan.new_rows:
        if planned.row.type == "OPENING":
            continue  # dated when acquired, not when the statement starts
        day = planned.row.trade_date
        for account in (planned.account, planned.to_account):
            if account is not None:
                account_id = plan.accounts_id(account)
                first_day[account_id] = min(first_day.get(account_id, day), day)
    planning.ledger_refs(plan, ledger, None)
    dates = {}
    resolved = []
    for position in positions:
        if position.symbol in CASH_FUNDS or position.quantity <= 0:
            continue
        account = (
            plan.accounts.by_number.get(position.account_number)
            if position.account_number
            else plan.accounts.default
        )
        if account is None:
            continue
        account_id = plan.accounts_id(account)
        dates[account_id] = position.as_of
        resolved.append((account, account_id, position))
    if not resolved:
        return
    symbols = {position.symbol for _, _, position in resolved}
    existing = {
        s.symbol: s
        for s in Security.objects.filter(symbol__in=symbols).order_by("symbol", "exchange")
    }
    txns = _quantity_txns(plan, ledger)
    result = replay_quantities(txns, snapshot_dates=dates)
    for account, account_id, position in resolved:
        security = existing.get(position.symbol)
        security_id = security.pk if security else plan.new_symbol_ids.get(position.symbol)
        held = result.snapshots.get((account_id, security_id), ZERO) if security_id else ZERO
        extra = position.quantity - held
        if extra <= TOLERANCE:
            continue
        starts = first_day.get(account_id, position.as_of)
        if starts is None:
            continue
        acquired = starts - timedelta(days=1)
        if security_id is not None:
            # Shares held before the file went through its splits since.
            extra = extra / split_factor(
                txns, (account_id, security_id), after=acquired, upto=position.as_of
            )
        same = next(
            (
                planned
                for planned in plan.openings
                if planned.account is account
                and planned.row.symbol == position.symbol
                and planned.row.trade_date == acquired
            ),
            None,
        )
        if same is not None:  # one opening for the position, not two on one day
            _replace(same, quantity=exact(same.row.quantity + extra))
            continue
        row = ParsedRow(
            line=0,
            trade_date=acquired,
            type="OPENING",
            symbol=position.symbol,
            quantity=exact(extra),
            amount=ZERO,
            external_id=f"opening:{position.symbol}:{acquired.isoformat()}:statement"[:100],
            memo=OPENING_MEMO + " (listed in the statement's positions)",
            security_name=position.security_name,
            basis_unknown=True,
        )
        planned = planning.PlannedRow(
            row=row, account=account, security=security, added_by_import=True
        )
        plan.rows.append(planned)
        if security is None:
            planning.security_id_of(plan, planned)
    planning.ledger_refs(plan, ledger, None)
