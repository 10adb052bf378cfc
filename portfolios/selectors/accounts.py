"""Reads of accounts, securities and cash, always within one household."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from portfolios.formatting import person_name
from portfolios.models import Account, Household, LedgerState, Security, Transaction
from portfolios.models.ledger import CASH_SIGN


def account_list(*, household: Household) -> QuerySet[Account]:
    """Return the household's accounts with their owner and default sleeve."""
    return Account.objects.filter(household=household).select_related("owner", "default_sleeve")


# A primary key is a 64-bit integer: anything longer cannot name a row (and would overflow).
MAX_ID_DIGITS = 18


def account_get(*, household: Household, ref: str | int) -> Account:
    """Return one account of the household by id or name; Account.DoesNotExist otherwise."""
    accounts = Account.objects.filter(household=household)
    if isinstance(ref, str) and ref.isascii() and ref.isdigit() and len(ref) > MAX_ID_DIGITS:
        raise Account.DoesNotExist(f"no account {ref!r} in this household")
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isascii() and ref.isdigit()):
        found = accounts.filter(Q(pk=int(ref)) | Q(name=str(ref))).order_by("pk").first()
        if found is None:
            raise Account.DoesNotExist(f"no account {ref!r} in this household")
        return found
    return accounts.get(name=ref)


def security_list(*, household: Household) -> QuerySet[Security]:
    """Return the securities the household holds or has held (any transaction)."""
    return Security.objects.filter(transactions__account__household=household).distinct()


def account_cash_balances(*, household: Household, as_of: date | None = None) -> dict[int, Decimal]:
    """Return each account's cash balance from its transactions (DESIGN §2 cash effects),
    of every transaction, or of those dated on or before ``as_of`` (the cash the holdings
    of that day stand beside: pass the household's as-of for "now").

    Of every transaction, the balances the last ledger rebuild stored (``LedgerState.cash``)
    while they are current: no change marked since (``dirty_from``) and the rebuild did
    not fail. Two small queries in place of the sums over every transaction; otherwise,
    and for ``as_of``, ``account_cash_balances_summed``.
    """
    if as_of is None:
        stored = _stored_cash_balances(household)
        if stored is not None:
            return stored
    return account_cash_balances_summed(household=household, as_of=as_of)


def _stored_cash_balances(household: Household) -> dict[int, Decimal] | None:
    """Return the balances the last rebuild stored, in the accounts' order and with an
    account opened since at 0 (as the sums give them); None when they may be behind."""
    stored = (
        LedgerState.objects.current()
        .filter(household=household)
        .values_list("cash", flat=True)
        .first()
    )
    if stored is None:
        return None
    accounts = Account.objects.filter(household=household).values_list("pk", flat=True)
    return {pk: Decimal(stored[str(pk)]) if str(pk) in stored else Decimal(0) for pk in accounts}


def account_cash_balances_summed(
    *, household: Household, as_of: date | None = None
) -> dict[int, Decimal]:
    """Return each account's cash balance summed from its transactions, of every
    transaction or of those dated on or before ``as_of``.

    Two grouped queries (by account and type, then transfers in), each returning a row per
    account and kind rather than per security: the sums happen in the database.
    """
    balances: dict[int, Decimal] = defaultdict(lambda: Decimal(0))
    for account in Account.objects.filter(household=household).values_list("pk", flat=True):
        balances[account] = Decimal(0)
    dated = {} if as_of is None else {"trade_date__lte": as_of}
    grouped = (
        Transaction.objects.filter(account__household=household, **dated)
        .values("account_id", "type")
        .annotate(
            total=Sum("amount"),
            cash_moved=Sum("amount", filter=Q(security__isnull=True)),
            total_fees=Sum("fees"),
        )
        .order_by()
    )
    for row in grouped:
        account_id, kind = row["account_id"], row["type"]
        if kind == Transaction.Type.TRANSFER:  # only a transfer of cash moves cash
            balances[account_id] -= (row["cash_moved"] or Decimal(0)) + row["total_fees"]
            continue
        sign = CASH_SIGN.get(kind)
        if sign is None:
            balances[account_id] -= row["total_fees"]
            continue
        balances[account_id] += sign * row["total"] - row["total_fees"]
    transfers_in = (
        Transaction.objects.filter(
            to_account__household=household,
            type=Transaction.Type.TRANSFER,
            security__isnull=True,
            **dated,
        )
        .values("to_account_id")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    for row in transfers_in:
        balances[row["to_account_id"]] += row["amount"]
    return dict(balances)


# The front page's account groups (``?show=``): all, a member's, the shared ones (no single
# owner), retirement accounts, taxable ones.
RETIREMENT_TYPES = frozenset(
    {Account.Type.TRADITIONAL_IRA, Account.Type.ROTH_IRA, Account.Type.K401, Account.Type.B403}
)
ALL_ACCOUNTS = "all"


def account_group_choices(*, accounts: list[Account]) -> list[tuple[str, str]]:
    """Return the groups the accounts fall in, as (code, label): every account, each owner's,
    the shared ones, retirement and taxable, those with no account left out."""
    choices = [(ALL_ACCOUNTS, "All accounts")]
    owners = {a.owner.pk: a.owner for a in accounts if a.owner is not None}
    for pk, user in sorted(owners.items(), key=lambda item: person_name(item[1]).lower()):
        choices.append((f"member-{pk}", f"{person_name(user)}’s"))
    if any(a.owner_id is None for a in accounts):
        choices.append(("joint", "Shared"))
    if any(a.type in RETIREMENT_TYPES for a in accounts):
        choices.append(("retirement", "Retirement"))
    if any(a.tax_treatment == Account.TaxTreatment.TAXABLE for a in accounts):
        choices.append(("taxable", "Taxable"))
    return choices


def accounts_in_group(*, accounts: list[Account], code: str) -> list[Account] | None:
    """Return the accounts of a group code (None for all accounts or an unknown code)."""
    if code == "joint":
        return [a for a in accounts if a.owner_id is None]
    if code == "retirement":
        return [a for a in accounts if a.type in RETIREMENT_TYPES]
    if code == "taxable":
        return [a for a in accounts if a.tax_treatment == Account.TaxTreatment.TAXABLE]
    if code.startswith("member-") and code[7:].isdigit():
        return [a for a in accounts if a.owner_id == int(code[7:])]
    return None
