"""Writes of a household's accounts from its settings pages and the API.

Values are checked field by field (every bad one named at once) and nothing is written
unless all are fine. Each write is one audit event. A change the ledger depends on (type,
hence tax treatment; lot method) queues a recompute from the account's first transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Min, Q

from portfolios.errors import ApplicationError
from portfolios.models import Account, Household, Sleeve, TaxLot, Transaction
from portfolios.models.household import LotMethod
from portfolios.selectors.accounts import account_cash_balances
from portfolios.selectors.as_of import household_today
from portfolios.services import setting_values as values
from portfolios.services.audit import audit_record, field_changes, model_values
from portfolios.services.households import account_create
from portfolios.services.policy import queue_recompute

# The API's `accounts/` writable columns; currency only when the account is created.
ACCOUNT_FIELDS = (
    "name",
    "institution",
    "number",
    "type",
    "owner",
    "default_sleeve",
    "lot_method",
    "currency",
)
# Fields whose change alters lots or gains: recompute from the account's first trade.
LEDGER_FIELDS = ("type", "lot_method")
# Cash below half a cent is nothing left in the account.
CASH_DUST = Decimal("0.005")


def _check(
    household: Household, changes: Mapping[str, object], *, account: Account | None
) -> dict[str, object]:
    """Return the clean values of changes, or raise naming every bad field."""
    errors = values.FieldErrors()
    for name in values.unknown_fields(changes, ACCOUNT_FIELDS):
        errors.add(name, "is not an account field")
    cleaned: dict[str, object] = {}
    if "name" in changes or account is None:
        name = errors.check(
            "name", values.parse_text, changes.get("name"), max_length=120, required=True
        )
        if name:
            clash = Account.objects.filter(household=household, name__iexact=name)
            if account is not None:
                clash = clash.exclude(pk=account.pk)
            if clash.exists():
                errors.add("name", f"the household already has an account named {name}")
            cleaned["name"] = name
    for field, length in (("institution", 120), ("number", 40)):
        if field in changes:
            value = errors.check(field, values.parse_text, changes[field], max_length=length)
            if value is not None:
                cleaned[field] = value
    if "type" in changes or account is None:
        raw = changes.get("type") if "type" in changes else Account.Type.TAXABLE
        value = errors.check("type", values.parse_choice, raw, choices=Account.Type.choices)
        if value is not None:
            cleaned["type"] = value
    if "lot_method" in changes and not values.is_blank(changes["lot_method"]):
        value = errors.check(
            "lot_method", values.parse_choice, changes["lot_method"], choices=LotMethod.choices
        )
        if value is not None:
            cleaned["lot_method"] = value
    if "owner" in changes:
        cleaned["owner"] = None
        username = values.text(changes["owner"])
        if username:
            owner = (
                get_user_model()
                .objects.filter(memberships__household=household, username__iexact=username)
                .first()
            )
            if owner is None:
                errors.add("owner", f"must be a member of this household, got '{username}'")
            else:
                cleaned["owner"] = owner
    if "default_sleeve" in changes:
        cleaned["default_sleeve"] = None
        sleeve_name = values.text(changes["default_sleeve"])
        if sleeve_name:
            sleeve = Sleeve.objects.filter(household=household, name__iexact=sleeve_name).first()
            if sleeve is None:
                names = ", ".join(
                    Sleeve.objects.filter(household=household).values_list("name", flat=True)
                )
                errors.add(
                    "default_sleeve",
                    f"must be one of the household's sleeves ({names}), got '{sleeve_name}'",
                )
            else:
                cleaned["default_sleeve"] = sleeve
    if "currency" in changes and not values.is_blank(changes["currency"]):
        currency = errors.check("currency", values.parse_currency, changes["currency"])
        if currency and account is not None and currency != account.currency:
            if account.transactions.exists():
                errors.add(
                    "currency",
                    "cannot change once the account has transactions; "
                    "open a new account in the other currency",
                )
            else:
                cleaned["currency"] = currency
        elif currency:
            cleaned["currency"] = currency
    errors.raise_if_any("The account was not saved.")
    return cleaned


@transaction.atomic
def account_add(
    *, household: Household, fields: Mapping[str, object], user=None, request=None
) -> Account:
    """Create an account from typed values (name and type required)."""
    cleaned = _check(household, fields, account=None)
    account = account_create(
        household=household,
        name=cleaned["name"],
        type=cleaned["type"],
        institution=cleaned.get("institution", ""),
        lot_method=cleaned.get("lot_method"),
        currency=cleaned.get("currency"),
        number=cleaned.get("number", ""),
        owner=cleaned.get("owner"),
        default_sleeve=cleaned.get("default_sleeve"),
    )
    audit_record(
        action="account.create",
        household=household,
        user=user,
        target=account,
        request=request,
        changes=_masked(field_changes({}, _audit_values(account))),
    )
    return account


@transaction.atomic
def account_update(
    *, account: Account, changes: Mapping[str, object], user=None, request=None
) -> Account:
    """Change an account's fields; a new type or lot method recomputes its history."""
    household = account.household
    cleaned = _check(household, changes, account=account)
    locked = Account.objects.select_for_update().get(pk=account.pk)
    before, named_before = model_values(locked, _AUDITED), _audit_values(locked)
    for field, value in cleaned.items():
        setattr(locked, field, value)
    changed = field_changes(before, model_values(locked, _AUDITED), _AUDITED)
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action="account.update",
            household=household,
            user=user,
            target=locked,
            request=request,
            changes=_masked(field_changes(named_before, _audit_values(locked), _AUDITED)),
        )
        if any(field in changed for field in LEDGER_FIELDS):
            first = _first_trade(locked)
            if first is not None:
                queue_recompute(household, from_date=first)
        else:
            queue_recompute(household)
    return locked


def account_position_summary(*, account: Account) -> tuple[int, Decimal]:
    """Return how many securities the account still holds and its cash."""
    positions = (
        TaxLot.objects.filter(account=account, quantity__gt=0)
        .values("security_id")
        .distinct()
        .count()
    )
    cash = account_cash_balances(household=account.household).get(account.pk, Decimal(0))
    return positions, cash


@transaction.atomic
def account_close(*, account: Account, user=None, request=None) -> Account:
    """Close an emptied account: it stays for history and gains, off the dashboard.

    An account still holding securities or cash is refused, so the household's total
    never counts money the dashboard no longer shows.
    """
    if account.closed_on is not None:
        raise ApplicationError(f"{account.name} is already closed.")
    positions, cash = account_position_summary(account=account)
    if positions or abs(cash) >= CASH_DUST:
        held = []
        if positions:
            held.append(f"{positions} holding{'s' if positions != 1 else ''}")
        if abs(cash) >= CASH_DUST:
            held.append(f"{cash.quantize(Decimal('0.01')):,} {account.currency} in cash")
        message = (
            f"{account.name} still has {' and '.join(held)}. Transfer or sell what it holds "
            "before closing it."
        )
        raise ApplicationError(message, errors={"account": [message]})
    account.closed_on = household_today(account.household)
    account.save(update_fields=["closed_on", "updated_at"])
    audit_record(
        action="account.close",
        household=account.household,
        user=user,
        target=account,
        request=request,
        changes={"closed_on": [None, account.closed_on]},
    )
    return account


@transaction.atomic
def account_reopen(*, account: Account, user=None, request=None) -> Account:
    """Reopen a closed account."""
    closed_on = account.closed_on
    if closed_on is None:
        raise ApplicationError(f"{account.name} is open.")
    account.closed_on = None
    account.save(update_fields=["closed_on", "updated_at"])
    audit_record(
        action="account.reopen",
        household=account.household,
        user=user,
        target=account,
        request=request,
        changes={"closed_on": [closed_on, None]},
    )
    return account


@transaction.atomic
def account_delete(*, account: Account, user=None, request=None) -> None:
    """Delete an account without any transactions; one with history is refused (close it
    instead, so past gains, income and performance stay whole)."""
    count = Transaction.objects.filter(Q(account=account) | Q(to_account=account)).count()
    if count:
        noun = "transaction" if count == 1 else "transactions"
        message = (
            f"{account.name} has {count} {noun}, so it cannot be deleted. "
            "Close it instead: it keeps its history and leaves the dashboard."
        )
        raise ApplicationError(message, errors={"account": [message]})
    household, label = account.household, f"account {account.pk}: {account.name}"
    old = _masked(_audit_values(account))
    account.delete()
    audit_record(
        action="account.delete",
        household=household,
        user=user,
        target=label,
        request=request,
        changes={field: [value, None] for field, value in old.items()},
    )


_AUDITED = [
    "name",
    "institution",
    "number",
    "type",
    "owner",
    "default_sleeve",
    "lot_method",
    "currency",
]


def _audit_values(account: Account) -> dict:
    """Return the audited fields as people read them: the owner by username (as the
    accounts form and API take it) and the default sleeve by name, not by id."""
    found = model_values(account, _AUDITED)
    found["owner"] = account.owner.get_username() if account.owner_id else None
    found["default_sleeve"] = account.default_sleeve.name if account.default_sleeve_id else None
    return found


def _masked(changes: dict) -> dict:
    """Return audit changes with account numbers reduced to their last four characters."""
    masked = dict(changes)
    if "number" in masked:
        value = masked["number"]
        hide = lambda n: ("••••" + n[-4:]) if n else n  # noqa: E731
        masked["number"] = [hide(v) for v in value] if isinstance(value, list) else hide(value)
    return masked


def _first_trade(account: Account):
    return Transaction.objects.filter(Q(account=account) | Q(to_account=account)).aggregate(
        first=Min("trade_date")
    )["first"]
