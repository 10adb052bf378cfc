"""Which household account each row of a file goes to (DESIGN §4, ``import_transactions``).

Hearth CSV names accounts by name. Broker files name them by number (OFX ``ACCTID``,
Fidelity's and Vanguard's "Account Number", Schwab's title line, IBKR's account id),
often masked ("XXXX-1234"); a number matches an account whose ``number`` is the same, or
ends with the visible digits (``wording.numbers_match``).

1. ``account`` (``--account``, or the upload form's choice) maps a file of one account:
   rows naming no number go to it, and so do rows naming the file's one number, unless
   the account has another number (refused, naming both). A file of several accounts is
   refused with ``account``: it goes in whole, each row to its own account. An account
   chosen without a number takes the file's.
2. Otherwise each number goes to the household's account with that number.
3. A number no account has is created with ``create_accounts``: named "<institution>
   …<last four>", of the type the file says (401(k), IRA, ...) else taxable, in the
   household's currency unless the file says another; without it the file is refused
   saying how to map the number. A file naming no account at all goes, with
   ``create_accounts``, to an account named after its institution.

Nothing is written here: accounts to create are unsaved ``Account`` objects with a
provisional id (negative) for the ledger check; ``accounts_create`` saves them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from portfolios.imports import FileAccount, ParsedRow, RowError
from portfolios.imports.wording import masked, numbers_match
from portfolios.models import Account, Household

INSTITUTION_OF_FORMAT = {
    "fidelity": "Fidelity",
    "schwab": "Schwab",
    "vanguard": "Vanguard",
    "ibkr": "Interactive Brokers",
    "ofx": "",
}


@dataclass
class AccountMap:
    """The file's accounts resolved against the household's."""

    by_number: dict[str, Account] = field(default_factory=dict)
    default: Account | None = None  # for rows naming no account
    created: list[Account] = field(default_factory=list)
    numbered: Account | None = None  # the chosen account, to take the file's number
    problems: list[str] = field(default_factory=list)
    provisional: dict[int, Account] = field(default_factory=dict)  # negative id -> account

    def account_id(self, account: Account) -> int:
        """Return the account's id, or its provisional id when it is still to be created."""
        if account.pk is not None:
            return account.pk
        return next(pk for pk, candidate in self.provisional.items() if candidate is account)


class HouseholdAccounts:
    """The household's accounts, found by name (exactly, else ignoring case if unique)."""

    def __init__(self, household: Household) -> None:
        self.all = list(household.accounts.all())
        self.by_name = {account.name: account for account in self.all}
        self.by_folded: dict[str, list[Account]] = {}
        for account in self.all:
            self.by_folded.setdefault(account.name.casefold(), []).append(account)

    def find(self, name: str) -> Account | None:
        name = name.strip()
        if name in self.by_name:
            return self.by_name[name]
        matches = self.by_folded.get(name.casefold(), [])
        return matches[0] if len(matches) == 1 else None

    def by_number(self, number: str) -> list[Account]:
        return [
            account
            for account in self.all
            if account.number and numbers_match(number, account.number)
        ]


def _numbers(rows: Iterable[ParsedRow]) -> tuple[list[str], list[str]]:
    """Return the numbers rows are filed under, and those only named as a transfer's other
    side, each in file order."""
    own: dict[str, None] = {}
    others: dict[str, None] = {}
    for row in rows:
        if row.account is None and row.account_number:
            own.setdefault(row.account_number, None)
    for row in rows:
        if row.to_account_number and row.to_account_number not in own:
            others.setdefault(row.to_account_number, None)
    return list(own), list(others)


def _unique_name(wanted: str, taken: set[str]) -> str:
    name, counter = wanted, 2
    while name.casefold() in taken:
        name = f"{wanted} ({counter})"
        counter += 1
    taken.add(name.casefold())
    return name


def map_accounts(
    *,
    household: Household,
    accounts: HouseholdAccounts,
    rows: list[ParsedRow],
    file_accounts: Iterable[FileAccount],
    chosen: Account | None,
    create_accounts: bool,
    format: str,
    position_numbers: Iterable[str] = (),
) -> AccountMap:
    """Return where the rows' account numbers go (module docstring). ``position_numbers``
    are accounts a statement lists positions for, to open them even with no rows."""
    described = {account.number: account for account in file_accounts}
    own, others = _numbers(rows)
    for number in position_numbers:
        if number and number not in own and number not in others:
            own.append(number)
    result = AccountMap(default=chosen)
    taken = {account.name.casefold() for account in accounts.all}

    def create(number: str | None, info: FileAccount | None) -> Account:
        institution = (info.institution if info else "") or INSTITUTION_OF_FORMAT.get(format, "")
        label = institution or "Imported account"
        name = f"{label} {masked(number)}" if number else label
        existing = accounts.find(name) if not number else None
        if existing is not None:
            return existing
        account = Account(
            household=household,
            name=_unique_name(name, taken)[:120],
            institution=institution[:120],
            number=(number or "")[:40],
            type=(info.type if info and info.type else Account.Type.TAXABLE),
            currency=((info.currency if info else None) or household.base_currency)[:3].upper(),
            lot_method=household.default_lot_method,
        )
        result.created.append(account)
        result.provisional[-len(result.created)] = account
        return account

    if chosen is not None:
        if len(own) > 1:
            listed = ", ".join(masked(number) for number in own)
            result.problems.append(
                f"the file holds the transactions of {len(own)} accounts ({listed}); a chosen "
                "account maps a file of one account only: leave the choice out and Hearth files "
                "each row under the account with its number (creating the ones it lacks with "
                "--create-accounts)"
            )
            return result
        if own:
            number = own[0]
            if chosen.number and not numbers_match(number, chosen.number):
                result.problems.append(
                    f"the file is for account {masked(number)}, but '{chosen.name}' is numbered "
                    f"{masked(chosen.number)}; choose the account numbered {masked(number)}, or "
                    "leave the choice out"
                )
                return result
            result.by_number[number] = chosen
            if not chosen.number:
                result.numbered = chosen
    for number in own + others:
        if number in result.by_number:
            continue
        same = next(
            (
                account
                for known, account in result.by_number.items()
                if numbers_match(number, known)
            ),
            None,
        )
        if same is not None:
            result.by_number[number] = same
            continue
        found = accounts.by_number(number)
        if len(found) == 1:
            result.by_number[number] = found[0]
            continue
        if len(found) > 1:
            names = ", ".join(f"'{account.name}'" for account in found)
            result.problems.append(
                f"account {masked(number)} of the file matches several accounts ({names}); "
                "give them their full numbers"
            )
            continue
        if create_accounts:
            result.by_number[number] = create(number, described.get(number))
            continue
        institution = described.get(number).institution if number in described else ""
        where = f" ({institution})" if institution else ""
        role = "" if number in own else ", the other side of a transfer,"
        result.problems.append(
            f"the file names account {masked(number)}{where}{role} which no account of this "
            "household has: give an account that number (its settings page), choose the "
            "account for a one-account file, or let Hearth create it (--create-accounts, or "
            "'Create missing accounts' when uploading)"
        )
    if chosen is None and any(row.account is None and not row.account_number for row in rows):
        if create_accounts and format in INSTITUTION_OF_FORMAT:
            result.default = create(None, next(iter(described.values()), None))
        else:
            result.problems.append(
                "the file names no account: choose the account to import it into (--account, "
                "or the upload form), or let Hearth create one (--create-accounts)"
            )
    return result


def resolve_row_accounts(
    rows: list, accounts: HouseholdAccounts, mapping: AccountMap, chosen: Account | None
) -> list[RowError]:
    """Set each planned row's ``account`` and ``to_account``; return the rows' errors."""
    errors: list[RowError] = []
    for planned in rows:
        row = planned.row
        if row.account is not None:
            found = accounts.find(row.account)
            if found is None:
                found_by_number = accounts.by_number(row.account)
                found = found_by_number[0] if len(found_by_number) == 1 else None
            if found is None:
                errors.append(
                    RowError(row.line, "account", f"no account '{row.account}' in this household")
                )
            elif chosen is not None and found != chosen:
                errors.append(
                    RowError(
                        row.line,
                        "account",
                        f"'{row.account}' is not the account chosen for this import "
                        f"('{chosen.name}')",
                    )
                )
            else:
                planned.account = found
        elif row.account_number:
            planned.account = mapping.by_number.get(row.account_number)
        else:
            planned.account = mapping.default
        if row.to_account is not None:
            target = accounts.find(row.to_account)
            if target is None:
                errors.append(
                    RowError(
                        row.line, "to_account", f"no account '{row.to_account}' in this household"
                    )
                )
            elif target == planned.account:
                errors.append(
                    RowError(row.line, "to_account", "must be a different account than account")
                )
            else:
                planned.to_account = target
        elif row.to_account_number:
            target = mapping.by_number.get(row.to_account_number)
            if target is not None and target is planned.account:
                errors.append(
                    RowError(
                        row.line,
                        None,
                        "the transfer names its own account on both sides; enter it by hand",
                    )
                )
            planned.to_account = target
    return errors


def accounts_create(mapping: AccountMap) -> list[Account]:
    """Save the accounts the mapping creates (and the chosen account's new number); call
    inside the import's transaction."""
    for account in mapping.created:
        account.save()
    if mapping.numbered is not None:
        number = next(
            (
                number
                for number, account in mapping.by_number.items()
                if account is mapping.numbered
            ),
            None,
        )
        if number:
            mapping.numbered.number = number[:40]
            mapping.numbered.save(update_fields=["number", "updated_at"])
    return mapping.created
