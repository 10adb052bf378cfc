"""Writes of a household's investment policy: its settings, sleeves and targets.

Every write checks all it was given at once (every bad field or row named), changes
nothing unless all is well, records one audit event with what changed, and queues the
recompute a transaction would (``ledger_mark_changed``): weights, drift, income estimates
and alerts all read these settings.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Min

from portfolios.models import Household, Security, Sleeve, Target, Transaction
from portfolios.models.household import LotMethod
from portfolios.selectors.as_of import household_today
from portfolios.services import setting_values as values
from portfolios.services.audit import audit_record, field_changes, model_values
from portfolios.services.recompute import ledger_mark_changed

# field -> (parser, keyword arguments); the API's `household/` columns in this order.
HOUSEHOLD_FIELDS: dict[str, tuple] = OrderedDict(
    name=(values.parse_text, {"max_length": 120, "required": True}),
    base_currency=(values.parse_currency, {}),
    time_zone=(values.parse_time_zone, {}),
    monthly_income_target=(values.parse_money, {}),
    cash_reserve_months=(values.parse_decimal, {"minimum": 0, "maximum": 120, "places": 2}),
    default_band=(values.parse_percent, {"above_zero": True}),
    max_position_weight=(values.parse_percent, {"above_zero": True}),
    max_expense_ratio=(values.parse_percent, {}),
    default_lot_method=(values.parse_choice, {"choices": LotMethod.choices}),
    default_benchmark=(values.parse_benchmark, {}),
    min_trade_amount=(values.parse_money, {}),
    federal_marginal_rate=(values.parse_percent, {}),
    state_marginal_rate=(values.parse_percent, {}),
    qualified_dividend_rate=(values.parse_percent, {}),
    long_term_rate=(values.parse_percent, {}),
)
# Assets a target may aim at: every asset class but "unknown".
TARGET_ASSET_CLASSES = [
    (code, label) for code, label in Security.AssetClass.choices if code != "unknown"
]
HUNDRED = Decimal(100)


def first_trade_date(household: Household) -> date | None:
    """Return the household's earliest trade date (None without transactions)."""
    return Transaction.objects.filter(account__household=household).aggregate(
        first=Min("trade_date")
    )["first"]


def queue_recompute(household: Household, *, from_date: date | None = None) -> None:
    """Queue the recompute a transaction would, from from_date (default: today)."""
    ledger_mark_changed(household=household, from_date=from_date or household_today(household))


@transaction.atomic
def household_update(
    *, household: Household, changes: Mapping[str, object], user=None, request=None
) -> Household:
    """Change the household's settings and policy; every bad field is named at once.

    A new base currency revalues the whole history, so the recompute then starts at the
    first transaction; any other change recomputes from today.
    """
    errors = values.FieldErrors()
    for name in values.unknown_fields(changes, HOUSEHOLD_FIELDS):
        errors.add(name, "is not a household setting")
    cleaned: dict[str, object] = {}
    for name, raw in changes.items():
        if name not in HOUSEHOLD_FIELDS:
            continue
        parser, options = HOUSEHOLD_FIELDS[name]
        value = errors.check(name, parser, raw, **options)
        if value is not None:
            cleaned[name] = value
    name = cleaned.get("name")
    if name and Household.objects.filter(name__iexact=name).exclude(pk=household.pk).exists():
        errors.add("name", "is already taken by another household; choose another")
    errors.raise_if_any("The household settings were not saved.")
    locked = Household.objects.select_for_update().get(pk=household.pk)
    before = model_values(locked, HOUSEHOLD_FIELDS)
    for field, value in cleaned.items():
        setattr(locked, field, value)
    after = model_values(locked, HOUSEHOLD_FIELDS)
    changed = field_changes(before, after, list(HOUSEHOLD_FIELDS))
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action="household.update",
            household=locked,
            user=user,
            target=locked,
            request=request,
            changes=changed,
        )
        start = first_trade_date(locked) if "base_currency" in changed else None
        queue_recompute(locked, from_date=start)
    for field in HOUSEHOLD_FIELDS:
        setattr(household, field, getattr(locked, field))
    return household


@dataclass(frozen=True)
class TargetRow:
    """One (sleeve, asset class) target as the API's `targets/` rows carry it."""

    sleeve: str
    sleeve_target: Decimal
    asset_class: str
    target: Decimal
    band: Decimal | None
    band_kind: str


TARGET_COLUMNS = ("sleeve", "sleeve_target", "asset_class", "target", "band", "band_kind")


def targets_check(*, household: Household, rows: Sequence[Mapping[str, object]]) -> list[TargetRow]:
    """Return the rows checked as one set, or raise ``ApplicationError`` naming every row
    that is wrong and every sum that misses 100.

    1. Each row: a sleeve name, its sleeve's target (0-100, the same on every row of the
       sleeve), an asset class (not "unknown"), a target (0-100, % of the sleeve), an
       optional band (blank: the household's default) and its kind (absolute or relative).
    2. A (sleeve, asset class) pair appears once.
    3. Sleeve targets add up to 100, and so do each sleeve's asset-class targets.
    4. A sleeve left out that an account still uses as its default sleeve is refused.
    """
    errors = values.FieldErrors()
    checked: list[TargetRow] = []
    seen: dict[tuple[str, str], int] = {}
    sleeve_targets: dict[str, tuple[Decimal, int]] = {}
    sleeve_rows: dict[str, list[int]] = {}
    if not rows:
        errors.add("rows", "give at least one row: a sleeve, its target and an asset class")
    for number, row in enumerate(rows, start=1):
        key = f"row {number}"
        problems: list[str] = []

        def check(field: str, parser, raw, problems=problems, **options):
            try:
                return parser(raw, **options)
            except values.ValueProblem as exc:
                problems.append(f"{field} {exc}")
                return None

        if not isinstance(row, Mapping):
            errors.add(key, "must be an object with " + ", ".join(TARGET_COLUMNS))
            continue
        extra = values.unknown_fields(row, TARGET_COLUMNS)
        problems += [f"{name} is not a column of targets" for name in extra]
        sleeve = check("sleeve", values.parse_text, row.get("sleeve"), max_length=60, required=True)
        sleeve_target = check("sleeve_target", values.parse_percent, row.get("sleeve_target"))
        asset_class = check(
            "asset_class", values.parse_choice, row.get("asset_class"), choices=TARGET_ASSET_CLASSES
        )
        target = check("target", values.parse_percent, row.get("target"))
        band = None
        if not values.is_blank(row.get("band")):
            band = check("band", values.parse_percent, row.get("band"))
        band_kind = Target.BandKind.ABSOLUTE
        if not values.is_blank(row.get("band_kind")):
            band_kind = check(
                "band_kind",
                values.parse_choice,
                row.get("band_kind"),
                choices=Target.BandKind.choices,
            )
        label = f"{sleeve or '?'} / {asset_class or values.text(row.get('asset_class')) or '?'}"
        if sleeve and asset_class:
            pair = (sleeve.lower(), asset_class)
            if pair in seen:
                problems.append(f"{label} is already on row {seen[pair]}")
            else:
                seen[pair] = number
        if sleeve and sleeve_target is not None:
            first = sleeve_targets.get(sleeve.lower())
            if first is None:
                sleeve_targets[sleeve.lower()] = (sleeve_target, number)
            elif first[0] != sleeve_target:
                problems.append(
                    f"sleeve_target {_plain(sleeve_target)} differs from "
                    f"{_plain(first[0])} on row {first[1]} for sleeve {sleeve}"
                )
        if sleeve:
            sleeve_rows.setdefault(sleeve.lower(), []).append(number)
        for problem in problems:
            errors.add(key, f"{label}: {problem}")
        if not problems:
            checked.append(
                TargetRow(sleeve, sleeve_target, asset_class, target, band, band_kind)  # type: ignore[arg-type]
            )
    if not errors:
        total = sum((target for target, _ in sleeve_targets.values()), Decimal(0))
        if total != HUNDRED:
            names = ", ".join(
                f"{_sleeve_name(checked, key)} {_plain(t)}"
                for key, (t, _) in sleeve_targets.items()
            )
            errors.add(
                "sleeve_target",
                f"sleeve targets add up to {_plain(total)}, not 100 ({names})",
            )
        for key, numbers in sleeve_rows.items():
            inside = sum((row.target for row in checked if row.sleeve.lower() == key), Decimal(0))
            if inside != HUNDRED:
                errors.add(
                    "target",
                    f"sleeve {_sleeve_name(checked, key)}: asset-class targets add up to "
                    f"{_plain(inside)}, not 100 (rows {', '.join(map(str, numbers))})",
                )
        kept = set(sleeve_rows)
        for sleeve in Sleeve.objects.filter(household=household).prefetch_related("accounts"):
            if sleeve.name.lower() in kept:
                continue
            used_by = sorted(account.name for account in sleeve.accounts.all())
            if used_by:
                errors.add(
                    "sleeve",
                    f"sleeve {sleeve.name} is the default sleeve of {', '.join(used_by)}; "
                    "keep it, or give those accounts another sleeve first",
                )
    errors.raise_if_any("The targets were not saved.")
    return checked


@transaction.atomic
def targets_replace(
    *, household: Household, rows: Sequence[Mapping[str, object]], user=None, request=None
) -> list[Target]:
    """Replace the household's sleeves and targets with ``rows`` as one set (all or
    nothing, see ``targets_check``); sleeves keep their ids (and accounts) by name."""
    checked = targets_check(household=household, rows=rows)
    before = targets_snapshot(household=household)
    existing = {s.name.lower(): s for s in Sleeve.objects.filter(household=household)}
    wanted: dict[str, tuple[str, Decimal]] = {}
    for row in checked:
        wanted.setdefault(row.sleeve.lower(), (row.sleeve, row.sleeve_target))
    for key, sleeve in existing.items():
        if key not in wanted:
            sleeve.delete()
    sleeves: dict[str, Sleeve] = {}
    for key, (name, weight) in wanted.items():
        sleeve = existing.get(key)
        if sleeve is None:
            sleeve = Sleeve.objects.create(household=household, name=name, target_weight=weight)
        elif sleeve.name != name or sleeve.target_weight != weight:
            sleeve.name, sleeve.target_weight = name, weight
            sleeve.save(update_fields=["name", "target_weight", "updated_at"])
        sleeves[key] = sleeve
    Target.objects.filter(sleeve__household=household).delete()
    created = Target.objects.bulk_create(
        Target(
            sleeve=sleeves[row.sleeve.lower()],
            asset_class=row.asset_class,
            target_weight=row.target,
            band=row.band,
            band_kind=row.band_kind,
        )
        for row in checked
    )
    after = targets_snapshot(household=household)
    changed = field_changes(before, after)
    if changed:
        audit_record(
            action="targets.update",
            household=household,
            user=user,
            target=f"{len(checked)} targets in {len(sleeves)} sleeves",
            request=request,
            changes=changed,
        )
        queue_recompute(household)
    return created


def targets_snapshot(*, household: Household) -> dict[str, str]:
    """Return ``{"sleeve": "70", "sleeve / asset class": "60 ±5 absolute"}`` for the audit."""
    snapshot: dict[str, str] = {}
    for sleeve in Sleeve.objects.filter(household=household).prefetch_related("targets"):
        snapshot[sleeve.name] = _plain(sleeve.target_weight)
        for target in sleeve.targets.all():
            band = "default" if target.band is None else _plain(target.band)
            snapshot[f"{sleeve.name} / {target.asset_class}"] = (
                f"{_plain(target.target_weight)} ±{band} {target.band_kind}"
            )
    return snapshot


def _sleeve_name(rows: list[TargetRow], key: str) -> str:
    return next((row.sleeve for row in rows if row.sleeve.lower() == key), key)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


__all__ = [
    "HOUSEHOLD_FIELDS",
    "TARGET_ASSET_CLASSES",
    "TARGET_COLUMNS",
    "TargetRow",
    "household_update",
    "targets_check",
    "targets_replace",
]
