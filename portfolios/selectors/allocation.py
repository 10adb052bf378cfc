"""Reads for allocation, rebalancing and tax-loss harvesting of one household.

Values come from ``holdings_report`` (latest close on or before today) plus each account's
cash; the math lives in ``portfolios/calculations/allocation.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from portfolios.calculations.allocation import (
    CASH,
    AllocationRow,
    BuyHint,
    LotCandidate,
    Purchase,
    TargetSpec,
    TaxRates,
    Trade,
    ValuedItem,
    allocation_rows,
    asset_class_targets,
    rebalance_trades,
    sleeve_targets,
    wash_sale_conflicts,
)
from portfolios.models import Account, Household, IdentityGroup, Sleeve, Target, Transaction
from portfolios.selectors.ledger import holdings_report, open_lots_list
from portfolios.selectors.securities import security_profiles

ZERO = Decimal(0)


@dataclass(frozen=True)
class HarvestCandidate:
    """An open lot in a taxable account worth less than its basis."""

    account: str
    symbol: str
    acquired: date
    quantity: Decimal
    cost_basis: Decimal
    market_value: Decimal
    loss: Decimal
    term: str
    wash_sale_conflicts: list[str]


@dataclass(frozen=True)
class _Snapshot:
    items: list[ValuedItem]
    total: Decimal
    cash: dict[str, Decimal]
    buy_hints: dict[str, BuyHint]
    asset_classes: dict[int, str]  # security id -> the household's asset class for it


def allocation_list(*, household: Household, by: str = "asset_class") -> list[AllocationRow]:
    """Return the household's allocation today grouped ``by`` asset class, sleeve or account."""
    snapshot = _snapshot(household)
    return allocation_rows(snapshot.items, by=by, targets=_targets(household, by))


def rebalance_list(*, household: Household) -> list[Trade]:
    """Return the trades that bring asset classes outside their bands back to target."""
    snapshot = _snapshot(household)
    rows = allocation_rows(
        snapshot.items, by="asset_class", targets=_targets(household, "asset_class")
    )
    if not any(row.status in ("over", "under") for row in rows):
        return []
    open_lots = [row for row in open_lots_list(household=household) if row.price is not None]
    asset_classes = dict(snapshot.asset_classes)
    missing = {row.lot.security_id for row in open_lots} - set(asset_classes)
    if missing:  # a lot the day's holdings do not show (a trade dated after today)
        views = security_profiles(household=household, security_ids=missing)
        asset_classes.update({pk: view.asset_class for pk, view in views.items()})
    lots = [
        LotCandidate(
            lot_id=row.lot.pk,
            account=row.lot.account.name,
            tax_treatment=row.lot.account.tax_treatment,
            symbol=row.lot.security.symbol,
            asset_class=asset_classes[row.lot.security_id],
            acquired=row.lot.acquired,
            quantity=row.lot.quantity,
            cost_basis=row.lot.cost_basis,
            price=row.price,
            term=row.term,
        )
        for row in open_lots
    ]
    rates = TaxRates(
        long_term=household.qualified_dividend_rate,
        short_term=household.federal_marginal_rate + household.state_marginal_rate,
    )
    return rebalance_trades(
        rows,
        total=snapshot.total,
        lots=lots,
        cash=snapshot.cash,
        buy_hints=snapshot.buy_hints,
        rates=rates,
    )


def harvest_list(
    *, household: Household, min_loss: Decimal | None = None, today: date | None = None
) -> list[HarvestCandidate]:
    """Return open taxable lots at a loss, largest loss first, each with the purchases of
    the last 30 days that would make selling it today a wash sale."""
    today = today or timezone.localdate()
    lots = [
        row
        for row in open_lots_list(household=household, today=today)
        if row.lot.account.tax_treatment == Account.TaxTreatment.TAXABLE
        and row.market_value is not None
        and not row.lot.basis_unknown  # no loss can be known without a basis
        and row.market_value < row.lot.cost_basis
    ]
    if not lots:
        return []
    purchases = [
        Purchase(t.pk, t.account.name, t.security_id, t.security.symbol, t.trade_date, t.quantity)
        for t in Transaction.objects.filter(
            account__household=household,
            type__in=[Transaction.Type.BUY, Transaction.Type.REINVEST],
            security__isnull=False,
            trade_date__gte=today - timedelta(days=30),
            trade_date__lte=today,
        ).select_related("account", "security")
    ]
    identical = _identical_securities(household)
    result = []
    for row in lots:
        lot = row.lot
        loss = lot.cost_basis - row.market_value
        if min_loss is not None and loss < min_loss:
            continue
        conflicts = wash_sale_conflicts(
            identical=identical.get(lot.security_id, set()) | {lot.security_id},
            purchases=purchases,
            today=today,
            opening_transaction_id=lot.opening_transaction_id,
        )
        result.append(
            HarvestCandidate(
                account=lot.account.name,
                symbol=lot.security.symbol,
                acquired=lot.acquired,
                quantity=lot.quantity,
                cost_basis=lot.cost_basis,
                market_value=row.market_value,
                loss=loss,
                term=row.term,
                wash_sale_conflicts=conflicts,
            )
        )
    result.sort(key=lambda c: (-c.loss, c.account, c.symbol, c.acquired))
    return result


def _snapshot(household: Household) -> _Snapshot:
    """Return every holding's value and every account's cash today, with buy hints."""
    report = holdings_report(household=household)
    accounts = Account.objects.filter(household=household).select_related("default_sleeve")
    by_id = {a.pk: a for a in accounts}
    balances = report.cash_by_account
    items: list[ValuedItem] = []
    largest: dict[str, tuple[Decimal, str, BuyHint]] = {}
    for holding in report.holdings:
        if holding.market_value is None or holding.account_id is None:
            continue
        items.append(
            ValuedItem(holding.account, holding.sleeve, holding.asset_class, holding.market_value)
        )
        hint = BuyHint(holding.symbol, holding.price, holding.account)
        key = (holding.market_value, holding.symbol)
        best = largest.get(holding.asset_class)
        if best is None or key > best[:2]:
            largest[holding.asset_class] = (*key, hint)
    cash: dict[str, Decimal] = {}
    for account_id, balance in balances.items():
        account = by_id[account_id]
        if account.type != Account.Type.CASH:
            # A cash account (the emergency reserve) counts in the allocation but never
            # funds purchases.
            cash[account.name] = balance
        sleeve = account.default_sleeve.name if account.default_sleeve else None
        if balance:
            items.append(ValuedItem(account.name, sleeve, CASH, balance))
    total = sum((item.value for item in items), ZERO)
    asset_classes = {h.security_id: h.asset_class for h in report.holdings}
    return _Snapshot(items, total, cash, {k: v[2] for k, v in largest.items()}, asset_classes)


def _targets(household: Household, by: str):
    if by == "asset_class":
        specs = [
            TargetSpec(
                sleeve=t.sleeve.name,
                sleeve_weight=t.sleeve.target_weight,
                asset_class=t.asset_class,
                weight=t.target_weight,
                band=t.band,
                band_kind=t.band_kind,
            )
            for t in Target.objects.filter(sleeve__household=household).select_related("sleeve")
        ]
        return asset_class_targets(specs, default_band=household.default_band)
    if by == "sleeve":
        sleeves = Sleeve.objects.filter(household=household).values_list("name", "target_weight")
        return sleeve_targets(dict(sleeves), default_band=household.default_band)
    return {}


def _identical_securities(household: Household) -> dict[int, set[int]]:
    """Return, per security in an identity group, every security it is identical to."""
    identical: dict[int, set[int]] = {}
    memberships = IdentityGroup.securities.through.objects.filter(
        identitygroup__household=household
    ).values_list("identitygroup_id", "security_id")
    groups: dict[int, set[int]] = {}
    for group_id, security_id in memberships:
        groups.setdefault(group_id, set()).add(security_id)
    for members in groups.values():
        for security_id in members:
            identical.setdefault(security_id, set()).update(members)
    return identical


def allocation_preview(
    *, household: Household, specs: list[TargetSpec]
) -> tuple[list[AllocationRow], list[AllocationRow]]:
    """Return the allocation by asset class and by sleeve the allocation page would show
    today if ``specs`` were the household's targets (nothing is saved)."""
    snapshot = _snapshot(household)
    by_asset_class = allocation_rows(
        snapshot.items,
        by="asset_class",
        targets=asset_class_targets(specs, default_band=household.default_band),
    )
    sleeves: dict[str, Decimal] = {}
    for spec in specs:
        sleeves.setdefault(spec.sleeve, spec.sleeve_weight)
    by_sleeve = allocation_rows(
        snapshot.items,
        by="sleeve",
        targets=sleeve_targets(sleeves, default_band=household.default_band),
    )
    return by_asset_class, by_sleeve
