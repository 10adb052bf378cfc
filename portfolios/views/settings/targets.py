"""Sleeves and targets: one form per sleeve with its asset-class targets and bands, saved
as one set, with a live preview (HTMX) of what the allocation page will show."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portfolios.api.fields import decimal_string
from portfolios.calculations.allocation import TargetSpec
from portfolios.errors import ApplicationError
from portfolios.models import Household, Sleeve, Target
from portfolios.selectors.allocation import allocation_preview
from portfolios.services.policy import TARGET_ASSET_CLASSES, targets_check, targets_replace
from portfolios.views.households import current_membership_or_404
from portfolios.views.settings import writer_or_403

BLANK_ROWS = 1  # empty asset-class rows offered under each sleeve
NEW_SLEEVES = 1  # empty sleeves offered below the others
MAX_SLEEVES = 20
MAX_ROWS = 20


def _stored(household: Household) -> list[dict]:
    """Return the household's sleeves and targets as the form shows them."""
    sleeves = []
    for sleeve in Sleeve.objects.filter(household=household).prefetch_related("targets"):
        rows = [
            {
                "asset_class": target.asset_class,
                "target": decimal_string(target.target_weight),
                "band": decimal_string(target.band) if target.band is not None else "",
                "band_kind": target.band_kind,
            }
            for target in sorted(
                sleeve.targets.all(), key=lambda t: (-t.target_weight, t.asset_class)
            )
        ]
        sleeves.append(
            {"name": sleeve.name, "target": decimal_string(sleeve.target_weight), "rows": rows}
        )
    return sleeves


def _posted(post) -> list[dict]:
    """Return the sleeves and rows typed into the form, blank ones dropped."""
    sleeves = []
    for i in range(MAX_SLEEVES):
        prefix = f"sleeve-{i}"
        if f"{prefix}-name" not in post:
            continue
        rows = []
        for j in range(MAX_ROWS):
            key = f"{prefix}-row-{j}"
            if f"{key}-asset_class" not in post:
                continue
            row = {
                field: post.get(f"{key}-{field}", "").strip()
                for field in ("asset_class", "target", "band", "band_kind")
            }
            if row["asset_class"] or row["target"] or row["band"]:
                rows.append(row)
        name = post.get(f"{prefix}-name", "").strip()
        target = post.get(f"{prefix}-target", "").strip()
        if name or target or rows:
            sleeves.append({"name": name, "target": target, "rows": rows})
    return sleeves


def _flat_rows(sleeves: list[dict]) -> tuple[list[dict], list[str]]:
    """Return the API's flat rows of the form's sleeves, and what cannot become a row."""
    rows, problems = [], []
    for sleeve in sleeves:
        if not sleeve["rows"]:
            if sleeve["name"] and _number(sleeve["target"]) not in (None, Decimal(0)):
                problems.append(
                    f"sleeve {sleeve['name']}: give it at least one asset class and its target"
                )
            continue
        for row in sleeve["rows"]:
            rows.append(
                {
                    "sleeve": sleeve["name"],
                    "sleeve_target": sleeve["target"],
                    "asset_class": row["asset_class"],
                    "target": row["target"],
                    "band": row["band"],
                    "band_kind": row["band_kind"] or Target.BandKind.ABSOLUTE,
                }
            )
    return rows, problems


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace("%", "").strip()) if text.strip() else None
    except InvalidOperation:
        return None


def _for_form(sleeves: list[dict]) -> list[dict]:
    """Return sleeves with blank rows and one blank sleeve added, indexed, with sums."""
    shown = [dict(s, rows=list(s["rows"])) for s in sleeves]
    shown += [{"name": "", "target": "", "rows": []} for _ in range(NEW_SLEEVES)]
    for i, sleeve in enumerate(shown):
        sleeve["index"] = i
        sleeve["rows"] += [
            {"asset_class": "", "target": "", "band": "", "band_kind": "absolute"}
            for _ in range(max(BLANK_ROWS, 3 - len(sleeve["rows"])))
        ]
        for j, row in enumerate(sleeve["rows"]):
            row["index"] = j
        sleeve["sum"] = sum(
            (_number(row["target"]) or Decimal(0) for row in sleeve["rows"]), Decimal(0)
        )
    return shown


def _context(membership, sleeves: list[dict], **extra) -> dict:
    total = sum((_number(s["target"]) or Decimal(0) for s in sleeves), Decimal(0))
    return {
        "sleeves": _for_form(sleeves),
        "sleeve_total": total,
        "asset_classes": TARGET_ASSET_CLASSES,
        "band_kinds": Target.BandKind.choices,
        "default_band": membership.household.default_band,
        "can_write": membership.can_write,
        "section": "targets",
        **extra,
    }


def _preview(household: Household, rows: list[dict]):
    checked = targets_check(household=household, rows=rows)
    specs = [
        TargetSpec(
            sleeve=row.sleeve,
            sleeve_weight=row.sleeve_target,
            asset_class=row.asset_class,
            weight=row.target,
            band=row.band,
            band_kind=row.band_kind,
        )
        for row in checked
    ]
    return allocation_preview(household=household, specs=specs)


@login_required
def targets_settings(request: HttpRequest) -> HttpResponse:
    membership = current_membership_or_404(request)
    household = membership.household
    errors: list[str] = []
    if request.method == "POST":
        writer_or_403(request)
        sleeves = _posted(request.POST)
        rows, errors = _flat_rows(sleeves)
        if not errors:
            try:
                targets_replace(household=household, rows=rows, request=request)
            except ApplicationError as error:
                errors = [message for problems in error.errors.values() for message in problems]
            else:
                messages.success(
                    request, "Saved the sleeves and targets; the allocation page uses them now."
                )
                return redirect("settings-targets")
        return render(
            request,
            "settings/targets.html",
            _context(membership, sleeves, errors=errors),
            status=400,
        )
    sleeves = _stored(household)
    preview = None
    rows, problems = _flat_rows(sleeves)
    if rows and not problems:
        try:
            preview = _preview(household, rows)
        except ApplicationError:
            preview = None
    return render(request, "settings/targets.html", _context(membership, sleeves, preview=preview))


@login_required
@require_POST
def targets_preview(request: HttpRequest) -> HttpResponse:
    """The preview fragment for the form as typed so far (nothing is saved)."""
    membership = writer_or_403(request)
    sleeves = _posted(request.POST)
    rows, errors = _flat_rows(sleeves)
    preview = None
    if not errors:
        try:
            preview = _preview(membership.household, rows)
        except ApplicationError as error:
            errors = [message for problems in error.errors.values() for message in problems]
    total = sum((_number(s["target"]) or Decimal(0) for s in sleeves), Decimal(0))
    sums = [
        {
            "name": s["name"] or "(new sleeve)",
            "sum": sum((_number(r["target"]) or Decimal(0) for r in s["rows"]), Decimal(0)),
        }
        for s in sleeves
    ]
    return render(
        request,
        "settings/_targets_preview.html",
        {"preview": preview, "errors": errors, "sleeve_total": total, "sums": sums},
    )
