"""Allocation against the household's policy (proposals: ``calculations/rebalancing``).

Pure: stdlib and ``Decimal`` only. The selectors in ``portfolios/selectors/allocation.py``
read holdings, cash, lots and targets and hand them over as the dataclasses below.

Weights, targets, drifts and bands are fractions (0.6 = 60%). Policy numbers arrive as the
percents the household typed (DESIGN §2 "Household", "Sleeve", "Target").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
WEIGHT_STEP = Decimal("0.000001")
UNASSIGNED = "unassigned"
CASH = "cash"
GROUPINGS = ("asset_class", "sleeve", "account")


@dataclass(frozen=True)
class ValuedItem:
    """Money the household holds in one account: a holding's market value, or its cash."""

    account: str
    sleeve: str | None
    asset_class: str
    value: Decimal


@dataclass(frozen=True)
class TargetSpec:
    """One Target row with its sleeve's weight (all percents, band None = household default)."""

    sleeve: str
    sleeve_weight: Decimal
    asset_class: str
    weight: Decimal  # % of the sleeve
    band: Decimal | None
    band_kind: str  # "absolute" | "relative"


@dataclass(frozen=True)
class GroupTarget:
    target: Decimal
    band: Decimal


@dataclass(frozen=True)
class AllocationRow:
    group: str
    value: Decimal
    weight: Decimal
    target: Decimal | None
    drift: Decimal | None
    band: Decimal | None
    status: str  # ok | over | under | untargeted


def asset_class_targets(
    specs: Iterable[TargetSpec], *, default_band: Decimal
) -> dict[str, GroupTarget]:
    """Return each asset class's household target and band as fractions.

    1. Target: Σ over sleeves of sleeve weight × class weight in the sleeve, / 100 / 100.
    2. Band: the target's own band, else the household's default (pp). Absolute bands are
       band / 100; relative bands are target × band / 100. When several sleeves target one
       class, the band of the sleeve contributing the most weight applies.
    """
    targets: dict[str, Decimal] = defaultdict(lambda: ZERO)
    bands: dict[str, tuple[Decimal, Decimal | None, str]] = {}
    for spec in specs:
        share = spec.sleeve_weight * spec.weight / HUNDRED / HUNDRED
        targets[spec.asset_class] += share
        if spec.asset_class not in bands or share > bands[spec.asset_class][0]:
            bands[spec.asset_class] = (share, spec.band, spec.band_kind)
    result = {}
    for asset_class, target in targets.items():
        _, band, kind = bands[asset_class]
        result[asset_class] = GroupTarget(target, band_fraction(target, band, kind, default_band))
    return result


def sleeve_targets(sleeves: dict[str, Decimal], *, default_band: Decimal) -> dict[str, GroupTarget]:
    """Return each sleeve's target (its weight / 100) with the household's default band."""
    return {name: GroupTarget(w / HUNDRED, default_band / HUNDRED) for name, w in sleeves.items()}


def band_fraction(
    target: Decimal, band: Decimal | None, kind: str, default_band: Decimal
) -> Decimal:
    """Return a band as a fraction: ±pp / 100, or ±% of the target."""
    if band is None:
        return default_band / HUNDRED
    if kind == "relative":
        return target * band / HUNDRED
    return band / HUNDRED


def allocation_rows(
    items: Iterable[ValuedItem], *, by: str, targets: dict[str, GroupTarget]
) -> list[AllocationRow]:
    """Return one row per group (held or targeted), by value descending then name.

    Weight is the group's share of everything the household holds, cash included; drift is
    weight − target; outside ±band the status is ``over`` or ``under``.
    """
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    values: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for item in items:
        key = {"asset_class": item.asset_class, "sleeve": item.sleeve, "account": item.account}[by]
        values[key or UNASSIGNED] += item.value
    for key in targets:
        values.setdefault(key, ZERO)
    total = sum(values.values(), ZERO)
    rows = []
    for key, value in values.items():
        weight = (value / total).quantize(WEIGHT_STEP, ROUND_HALF_UP) if total > 0 else ZERO
        goal = targets.get(key)
        if goal is None:
            rows.append(AllocationRow(key, value, weight, None, None, None, "untargeted"))
            continue
        drift = weight - goal.target
        status = "over" if drift > goal.band else "under" if drift < -goal.band else "ok"
        rows.append(AllocationRow(key, value, weight, goal.target, drift, goal.band, status))
    rows.sort(key=lambda row: (-row.value, row.group))
    return rows
