"""Writes of a household's own classification of its securities (``SecurityProfile``).

Classifying a security in one household never touches the shared ``Security`` row, so
another household's view of the same symbol does not change. Each write is checked in full
first (every bad field or file line named), is one atomic change with its audit events,
and queues the recompute a transaction would: kind and asset class move allocation and
valuation of cash-like holdings, dividend habits move income, identity groups move wash
sales.

The securities CSV (DESIGN §4, ``import_securities``): a header row with ``symbol`` and any
of ``name, kind, asset_class, sector, currency, expense_ratio, dividend_frequency,
qualified_dividend, identity_group`` in any order and case; a blank cell leaves that field
as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from portfolios.errors import ApplicationError
from portfolios.imports.csv_records import ColumnIndex, header_key, read_csv_records
from portfolios.imports.decoding import decode_text
from portfolios.imports.rows import ImportFileError
from portfolios.models import (
    Household,
    IdentityGroup,
    Price,
    Security,
    SecurityProfile,
    Transaction,
)
from portfolios.providers import ProviderError, get_provider
from portfolios.selectors.securities import SecurityView, security_profiles
from portfolios.services import setting_values as values
from portfolios.services.audit import audit_record
from portfolios.services.market_data import security_get_or_create
from portfolios.services.planner_statistics import planner_statistics_refresh
from portfolios.services.policy import queue_recompute

# The household's classification, with the API's `securities/<id>/` names.
CLASSIFICATION_FIELDS = (
    "name",
    "kind",
    "asset_class",
    "sector",
    "expense_ratio",
    "dividend_frequency",
    "qualified_default",
    "identity_group",
)
PROFILE_FIELDS = CLASSIFICATION_FIELDS[:-1]
CSV_COLUMNS = (
    "symbol",
    "name",
    "kind",
    "asset_class",
    "sector",
    "currency",
    "expense_ratio",
    "dividend_frequency",
    "qualified_dividend",
    "identity_group",
)
# The CSV's column for the profile's qualified_default.
CSV_ALIASES = {"qualified_dividend": "qualified_default"}
FREQUENCY_CHOICES = [("", "None"), *Security.Frequency.choices[1:], ("none", "None")]


def _parse_frequency(raw: object) -> str:
    code = values.parse_choice(raw, FREQUENCY_CHOICES)
    return "" if code == "none" else code


def _parse_expense_ratio(raw: object):
    if values.is_blank(raw):
        return None
    return values.parse_percent(raw)


PARSERS = {
    "name": (values.parse_text, {"max_length": 200}),
    "kind": (values.parse_choice, {"choices": Security.Kind.choices}),
    "asset_class": (values.parse_choice, {"choices": Security.AssetClass.choices}),
    "sector": (values.parse_text, {"max_length": 60}),
    "expense_ratio": (_parse_expense_ratio, {}),
    "dividend_frequency": (_parse_frequency, {}),
    "qualified_default": (values.parse_bool, {}),
    "identity_group": (values.parse_text, {"max_length": 80}),
}


def classification_check(changes: Mapping[str, object]) -> dict[str, object]:
    """Return the clean values of a classification change, or raise naming each bad field.

    A blank expense ratio clears it; a blank identity group takes the security out of its
    group; kind and asset class may not be blank.
    """
    errors = values.FieldErrors()
    for name in values.unknown_fields(changes, CLASSIFICATION_FIELDS):
        errors.add(name, "is not part of a security's classification")
    cleaned: dict[str, object] = {}
    for name, raw in changes.items():
        if name not in PARSERS:
            continue
        parser, options = PARSERS[name]
        try:
            cleaned[name] = parser(raw, **options)
        except values.ValueProblem as problem:
            errors.add(name, str(problem))
    errors.raise_if_any("The classification was not saved.")
    return cleaned


@dataclass
class ClassifyOutcome:
    """What one classification write changed, by symbol."""

    changed: dict[str, dict[str, list]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.changed)


@transaction.atomic
def security_classify(
    *,
    household: Household,
    security: Security,
    changes: Mapping[str, object],
    user=None,
    request=None,
) -> SecurityView:
    """Set the household's classification of one security; return its new view."""
    cleaned = classification_check(changes)
    outcome = _apply(household, {security.pk: cleaned}, user=user, request=request)
    _after_change(household, outcome, security_ids=[security.pk])
    return security_profiles(household=household, security_ids=[security.pk])[security.pk]


@transaction.atomic
def securities_classify_bulk(
    *,
    household: Household,
    security_ids: Sequence[int],
    changes: Mapping[str, object],
    user=None,
    request=None,
) -> ClassifyOutcome:
    """Give several of the household's securities the same values (say, asset class bonds)."""
    cleaned = {name: value for name, value in classification_check(changes).items()}
    if not security_ids:
        raise ApplicationError(
            "Choose at least one security.", errors={"securities": ["choose at least one"]}
        )
    outcome = _apply(household, dict.fromkeys(security_ids, cleaned), user=user, request=request)
    _after_change(household, outcome, security_ids=security_ids)
    return outcome


@dataclass
class SecuritiesImportResult:
    """Counts of a securities CSV import."""

    file_name: str
    updated: int = 0
    unchanged: int = 0
    new_symbols: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.file_name}: updated {self.updated}, unchanged {self.unchanged}, "
            f"new symbols {self.new_symbols}"
        )
        if self.ignored_columns:
            noun = "column" if len(self.ignored_columns) == 1 else "columns"
            text += f"; ignored {noun}: {', '.join(self.ignored_columns)}"
        return text


@transaction.atomic
def securities_import(
    *, household: Household, content: bytes, file_name: str, user=None, request=None
) -> SecuritiesImportResult:
    """Classify securities from a CSV, all or nothing; every bad line is named.

    1. Read the header: ``symbol`` is required; other columns (a generator's
       ``first_trading_date``, a spreadsheet's notes) are ignored and named in the summary,
       so a misspelt column is seen rather than silently dropped.
    2. Check every line: a symbol once per file, each filled cell valid for its column.
       ``currency`` is shared reference data (prices are quoted in it for everyone): it may
       only differ from the security's when no price is stored yet and no other household
       has traded it.
    3. Symbols the database does not know yet are created (flagged for review, as an import
       of transactions does), so a household may classify before importing.
    4. Apply the filled cells to the household's own profiles.
    """
    result = SecuritiesImportResult(file_name=file_name)
    try:
        text = decode_text(content)
        records = [r for r in read_csv_records(text) if not r.is_blank]
        if not records:
            raise ImportFileError("the file is empty")
        columns = ColumnIndex(records[0])
    except ImportFileError as problem:
        raise ApplicationError(
            f"{file_name} was not imported: {problem}", errors={"file": [str(problem)]}
        ) from None
    header = [values.text(cell) for cell in records[0].cells if values.text(cell)]
    errors: dict[str, list[str]] = {}
    result.ignored_columns = [name[:60] for name in header if header_key(name) not in CSV_COLUMNS]
    if not columns.has("symbol"):
        errors.setdefault(f"line {records[0].line}", []).append("missing required column symbol")
    if errors:
        raise ApplicationError(f"{file_name} was not imported.", errors=errors)
    seen: dict[str, int] = {}
    planned: list[tuple[int, str, dict[str, object], str]] = []
    for record in records[1:]:
        line = f"line {record.line}"
        problems: list[str] = []
        symbol = columns.get(record, "symbol").upper()
        if not symbol:
            problems.append("column symbol: is required")
        elif len(symbol) > 32:
            problems.append("column symbol: must be at most 32 characters")
        elif symbol in seen:
            problems.append(f"column symbol: {symbol} is already on line {seen[symbol]}")
        else:
            seen[symbol] = record.line
        cleaned: dict[str, object] = {}
        for column in CSV_COLUMNS[1:]:
            cell = columns.get(record, column)
            if cell == "" or column == "currency":
                continue
            name = CSV_ALIASES.get(column, column)
            parser, options = PARSERS[name]
            try:
                cleaned[name] = parser(cell, **options)
            except values.ValueProblem as problem:
                problems.append(f"column {column}: {problem}")
        currency = ""
        cell = columns.get(record, "currency")
        if cell:
            try:
                currency = values.parse_currency(cell)
            except values.ValueProblem as problem:
                problems.append(f"column currency: {problem}")
        if columns.extra_cells(record):
            problems.append("has more cells than the header has columns")
        if problems:
            errors.setdefault(line, []).extend(problems)
        else:
            planned.append((record.line, symbol, cleaned, currency))
    by_symbol: dict[str, Security] = {}
    for line_number, symbol, _, currency in planned:
        security = Security.objects.filter(symbol=symbol).order_by("exchange").first()
        if security is not None:
            by_symbol[symbol] = security
            problem = _currency_problem(household, security, currency)
            if problem:
                errors.setdefault(f"line {line_number}", []).append(f"column currency: {problem}")
    if errors:
        lines = sorted(errors, key=lambda key: int(key.split()[1]))
        raise ApplicationError(
            f"{file_name} was not imported: "
            + (f"{len(lines)} lines need fixing." if len(lines) > 1 else "1 line needs fixing."),
            errors={key: errors[key] for key in lines},
        )
    plan: dict[int, dict[str, object]] = {}
    for _, symbol, cleaned, currency in planned:
        security = by_symbol.get(symbol)
        if security is None:
            security, _ = security_get_or_create(symbol=symbol)
            result.new_symbols += 1
        if currency and currency != security.currency:
            Security.objects.filter(pk=security.pk).update(currency=currency)
        plan[security.pk] = cleaned
    outcome = _apply(household, plan, user=user, request=request, action="security.import")
    result.updated = outcome.count
    result.unchanged = len(plan) - outcome.count
    audit_record(
        action="securities.import",
        household=household,
        user=user,
        target=file_name,
        request=request,
        changes={"updated": [None, result.updated], "new_symbols": [None, result.new_symbols]},
    )
    _after_change(household, outcome, security_ids=list(plan))
    planner_statistics_refresh(SecurityProfile, Security, rows=len(plan))
    return result


def _currency_problem(household: Household, security: Security, currency: str) -> str:
    """Return why a security's shared currency may not change to currency, or ''."""
    if not currency or currency == security.currency:
        return ""
    if Price.objects.filter(security=security).exists():
        return (
            f"{security.symbol} is quoted in {security.currency} and has prices stored; "
            "its currency cannot change"
        )
    others = Transaction.objects.filter(security=security).exclude(account__household=household)
    if others.exists():
        return (
            f"{security.symbol} is quoted in {security.currency} for other households too; "
            "its currency cannot change"
        )
    return ""


def _apply(
    household: Household,
    plan: Mapping[int, Mapping[str, object]],
    *,
    user,
    request,
    action: str = "security.classify",
) -> ClassifyOutcome:
    """Write each security's changes into the household's profile (created from its current
    view on first use); record one audit event per security that changed."""
    outcome = ClassifyOutcome()
    if not plan:
        return outcome
    views = security_profiles(household=household, security_ids=list(plan))
    profiles = {
        p.security_id: p
        for p in SecurityProfile.objects.select_for_update().filter(
            household=household, security_id__in=list(plan)
        )
    }
    groups = {g.name.lower(): g for g in IdentityGroup.objects.filter(household=household)}
    for security_id, cleaned in plan.items():
        view = views[security_id]
        before = {name: getattr(view, name) for name in CLASSIFICATION_FIELDS}
        before["needs_review"] = view.needs_review
        after = {**before, **cleaned}
        after["needs_review"] = after["kind"] == "unknown" or after["asset_class"] == "unknown"
        changed = {
            name: [before[name], after[name]]
            for name in (*CLASSIFICATION_FIELDS, "needs_review")
            if before[name] != after[name]
        }
        if not changed and view.classified:
            continue
        profile = profiles.get(security_id) or SecurityProfile(
            household=household, security_id=security_id
        )
        for name in PROFILE_FIELDS:
            setattr(profile, name, after[name])
        profile.needs_review = after["needs_review"]
        profile.save()
        if "identity_group" in changed:
            _move_to_group(household, security_id, after["identity_group"], groups)
        if changed:
            outcome.changed[view.symbol] = changed
            audit_record(
                action=action,
                household=household,
                user=user,
                target=f"security {security_id}: {view.symbol}",
                request=request,
                changes=changed,
            )
    return outcome


def _move_to_group(
    household: Household, security_id: int, name: str, groups: dict[str, IdentityGroup]
) -> None:
    """Put the security in the household's identity group ``name`` (created if new) and
    out of its others; a blank name leaves it in none. Groups left empty are deleted."""
    for group in IdentityGroup.objects.filter(household=household, securities=security_id):
        group.securities.remove(security_id)
        if not group.securities.exists():
            groups.pop(group.name.lower(), None)
            group.delete()
    if not name:
        return
    group = groups.get(name.lower())
    if group is None:
        group = IdentityGroup.objects.create(household=household, name=name)
        groups[name.lower()] = group
    group.securities.add(security_id)


def _after_change(
    household: Household, outcome: ClassifyOutcome, *, security_ids: Iterable[int]
) -> None:
    """Queue the recompute from the first trade of the changed securities."""
    if not outcome.changed:
        return
    first: date | None = (
        Transaction.objects.filter(account__household=household, security_id__in=list(security_ids))
        .aggregate(first=Min("trade_date"))
        .get("first")
    )
    queue_recompute(household, from_date=first)


@transaction.atomic
def security_provider_lookup(*, security: Security, provider_name: str | None = None) -> bool:
    """Ask the price provider what the security is (its name and kind) and keep the answer
    on the shared reference row, where each household may choose to use it. Return whether
    the provider knew it. The households' own views do not change."""
    provider = get_provider(provider_name)
    try:
        described = provider.describe(security.symbol)
    except ProviderError:
        described = None
    now = timezone.now()
    updates: dict[str, object] = {"provider_checked_at": now}
    if described is not None:
        updates["provider_name"] = (described.name or "")[:200]
        updates["provider_kind"] = described.kind if described.kind in Security.Kind.values else ""
    Security.objects.filter(pk=security.pk).update(**updates)
    for name, value in updates.items():
        setattr(security, name, value)
    return described is not None
