"""Reads for the allocation of one household (proposals: ``selectors/rebalancing.py``).

Values come from ``holdings_report`` (latest close on or before the household's as-of,
``portfolios.selectors.as_of``, or a day given) plus each account's cash; the math lives
in ``portfolios/calculations/allocation.py``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portfolios.calculations.allocation import (
    CASH,
    UNASSIGNED,
    AllocationRow,
    TargetSpec,
    ValuedItem,
    allocation_rows,
    asset_class_targets,
    sleeve_targets,
)
from portfolios.models import Account, Household, Sleeve, Target
from portfolios.selectors.ledger import HoldingsReport, holdings_report

ZERO = Decimal(0)


@dataclass(frozen=True)
class _Snapshot:
    items: list[ValuedItem]
    total: Decimal


def allocation_list(
    *,
    household: Household,
    by: str = "asset_class",
    as_of: date | None = None,
    report: HoldingsReport | None = None,
) -> list[AllocationRow]:
    """Return the household's allocation on ``as_of`` (default: its today) grouped ``by``
    asset class, sleeve or account.

    ``report`` is that day's ``holdings_report`` of the household when the caller has read
    it already (a page showing several groupings reads it once).
    """
    snapshot = _snapshot(household, as_of, report=report)
    return allocation_rows(snapshot.items, by=by, targets=_targets(household, by))


def _snapshot(
    household: Household,
    as_of: date | None = None,
    *,
    account_ids: Collection[int] | None = None,
    report: HoldingsReport | None = None,
) -> _Snapshot:
    """Return every holding's value and every account's cash on ``as_of`` (default today),
    of every account or of ``account_ids`` only; ``report`` when the caller has it."""
    report = report or holdings_report(household=household, as_of=as_of)
    accounts = Account.objects.filter(household=household).select_related("default_sleeve")
    by_id = {a.pk: a for a in accounts}
    balances = report.cash_by_account
    if account_ids is not None:
        balances = {pk: cash for pk, cash in balances.items() if pk in account_ids}
    items: list[ValuedItem] = []
    for holding in report.holdings:
        if holding.market_value is None or holding.account_id is None:
            continue
        if account_ids is not None and holding.account_id not in account_ids:
            continue
        items.append(
            ValuedItem(holding.account, holding.sleeve, holding.asset_class, holding.market_value)
        )
    for account_id, balance in balances.items():
        account = by_id[account_id]
        sleeve = account.default_sleeve.name if account.default_sleeve else None
        if balance:
            items.append(ValuedItem(account.name, sleeve, CASH, balance))
    total = sum((item.value for item in items), ZERO)
    return _Snapshot(items, total)


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


@dataclass(frozen=True)
class SleeveAllocation:
    """A sleeve's share of the whole against its target, and its asset classes' shares of
    the sleeve against the sleeve's targets (drifts in points of the sleeve)."""

    row: AllocationRow
    classes: list[AllocationRow]

    @property
    def out_of_band(self) -> list[AllocationRow]:
        return [row for row in self.classes if row.status in ("over", "under")]


@dataclass(frozen=True)
class AllocationTree:
    """Household → sleeve → asset class, each against its target (the core-satellite view)."""

    total: Decimal
    sleeves: list[SleeveAllocation]


def allocation_tree(
    *,
    household: Household,
    account_ids: Collection[int] | None = None,
    report: HoldingsReport | None = None,
) -> AllocationTree:
    """Return the core-satellite picture today, of all accounts or of ``account_ids`` only.

    1. Sleeves: each sleeve's share of the total against its target weight and the
       household's band (``allocation_rows`` by sleeve); accounts without a sleeve make
       an untargeted "unassigned" sleeve.
    2. Asset classes: within each sleeve, each class's share of the sleeve against the
       sleeve's targets (Target.target_weight is % of the sleeve), with the targets' bands.
    3. Of some accounts only, the sleeves carry no target (sleeve weights are the
       household's policy, not a group's: an account holding one sleeve is 100% of it)
       and sleeves they do not hold are left out; asset classes keep their sleeve's targets.

    ``report`` is today's ``holdings_report`` when the caller already has it.
    """
    snapshot = _snapshot(household, account_ids=account_ids, report=report)
    sleeve_goals = _targets(household, "sleeve") if account_ids is None else {}
    sleeve_rows = allocation_rows(snapshot.items, by="sleeve", targets=sleeve_goals)
    specs: dict[str, list[TargetSpec]] = defaultdict(list)
    for target in Target.objects.filter(sleeve__household=household).select_related("sleeve"):
        specs[target.sleeve.name].append(
            TargetSpec(
                sleeve=target.sleeve.name,
                sleeve_weight=Decimal(100),  # shares of the sleeve, not of the household
                asset_class=target.asset_class,
                weight=target.target_weight,
                band=target.band,
                band_kind=target.band_kind,
            )
        )
    sleeves = []
    for row in sleeve_rows:
        if account_ids is not None and row.value == 0:
            continue
        items = [item for item in snapshot.items if (item.sleeve or UNASSIGNED) == row.group]
        targets = asset_class_targets(specs.get(row.group, []), default_band=household.default_band)
        sleeves.append(
            SleeveAllocation(row, allocation_rows(items, by="asset_class", targets=targets))
        )
    return AllocationTree(snapshot.total, sleeves)
