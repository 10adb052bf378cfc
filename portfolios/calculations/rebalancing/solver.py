"""The proposal as a mixed-integer program, solved by HiGHS (``scipy.optimize.milp``).

Floats live only in here: ``build`` turns the Decimal state into a program and ``solve``
returns dollars per trade as floats, which ``rows.py`` rounds to shares and cents and
checks again in Decimal.

Variables (dollars unless said otherwise):
- ``x``: sold from one lot (tax-advantaged positions: one variable for the position, since
  a sale there costs nothing whatever the lot), at most the lot's value;
- ``y``: bought of one security in one account;
- ``d`` / ``w``: new money deposited in / the withdrawal taken from one account;
- slacks: below / above each band, away from target, a withdrawal short;
- binaries: one per sold position and per purchase (a trade is 0 or at least the minimum,
  and the count is what "fewest trades" counts), one per account a deposit or withdrawal
  uses, and one per identity that has both losses to sell and something to buy (never both).

Hard constraints:
1. Each account spends at most its cash above its floor plus its own sale proceeds (plus the
   deposit it gets); a cash account (the reserve) never trades.
2. The household's cash never falls below the policy's reserve (or, when it already is
   below, no lower than it is).
3. Sales are bounded lot by lot by what is held; wash-sale-blocked lots are not offered,
   nor lots of unknown basis in a taxable account (their tax cannot be estimated).
4. Trades are 0 or at least the policy's minimum.
5. No loss sale of an identity together with a purchase of it.
6. A 401(k) buys only what it holds; nothing is bought that a recent loss sale forbids.
7. Rebalancing and new money sell only classes above target (down to it at most) and buy
   only classes below target (up to it at most): nothing is churned.

Objective, in falling order of weight: dollars outside a band (``BAND``) and a withdrawal
not raised (``SHORT``), then tax (dollars), then dollars away from target for the classes
the request brings to target (``TARGET``: small, so only cash and tax-free sales do it;
a withdrawal brings nothing to target and buys nothing),
then one year of location drag on purchases (``LOCATION``), then trades (``TRADE``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from portfolios.calculations.rebalancing.location import annual_drag
from portfolios.calculations.rebalancing.lots import cost_per_dollar
from portfolios.calculations.rebalancing.program import Program
from portfolios.calculations.rebalancing.types import (
    ZERO,
    AccountState,
    HouseholdState,
    LotState,
    Mode,
    Request,
    Treatment,
)
from portfolios.calculations.rebalancing.wash import blocked_buys, blocked_loss_lots

BAND = 100.0
SHORT = 1000.0
TARGET = 0.01
LOCATION = 0.05
TRADE = 0.1

Position = tuple[int, int]  # (account id, security id)


@dataclass
class Offer:
    """What the program may do: the sales, purchases and flows it may propose."""

    sells: dict[Position, list[LotState]] = field(default_factory=dict)  # unblocked lots
    buys: list[Position] = field(default_factory=list)
    deposit_accounts: list[int] = field(default_factory=list)
    withdraw_accounts: list[int] = field(default_factory=list)
    blocked_lots: dict[str, list[str]] = field(default_factory=dict)
    blocked_identities: dict[str, list[str]] = field(default_factory=dict)
    not_bought: dict[str, str] = field(default_factory=dict)  # class -> why nothing can be
    unknown_basis: dict[Position, Decimal] = field(default_factory=dict)  # shares not offered


@dataclass
class Solution:
    sells: dict[Position, float]
    buys: dict[Position, float]
    deposits: dict[int, float]
    withdrawals: dict[int, float]
    short: float
    message: str


def offer(state: HouseholdState, request: Request) -> Offer:
    """Return the sales, purchases and flows the program may choose from (see the module
    docstring, constraints 3, 5, 6 and 7)."""
    policy = state.policy
    values = state.class_values()
    total = _after_total(state, request)
    over = {k for k, goal in policy.targets.items() if values.get(k, ZERO) > goal.target * total}
    under = {k for k, goal in policy.targets.items() if values.get(k, ZERO) < goal.target * total}
    result = Offer(blocked_lots=blocked_loss_lots(state), blocked_identities=blocked_buys(state))
    accounts = {a.id: a for a in state.accounts}

    if request.mode != Mode.NEW_MONEY:
        sellable = over if request.mode == Mode.REBALANCE else set(policy.targets)
        for lot in state.lots:
            security = state.securities.get(lot.security_id)
            account = accounts.get(lot.account_id)
            if security is None or account is None or account.is_cash_account:
                continue
            if security.asset_class not in sellable or lot.uid in result.blocked_lots:
                continue
            if account.taxable and not lot.basis_known:
                position = (lot.account_id, lot.security_id)
                result.unknown_basis[position] = (
                    result.unknown_basis.get(position, ZERO) + lot.quantity
                )
                continue
            result.sells.setdefault((lot.account_id, lot.security_id), []).append(lot)
        for position, lots in list(result.sells.items()):
            price = state.securities[position[1]].price
            if sum((lot.quantity for lot in lots), ZERO) * price < policy.min_trade:
                del result.sells[position]

    held_by_account: dict[int, set[int]] = defaultdict(set)
    largest: dict[str, tuple] = {}
    for (account_id, security_id), value in state.positions.items():
        held_by_account[account_id].add(security_id)
        asset_class = state.securities[security_id].asset_class
        key = (value, state.securities[security_id].symbol)
        if asset_class not in largest or key > largest[asset_class][:2]:
            largest[asset_class] = (*key, security_id)
    buyers = _buying_accounts(state, request) if request.mode != Mode.WITHDRAWAL else []
    for asset_class in sorted(under):
        if asset_class not in largest:
            result.not_bought[asset_class] = (
                f"the household holds no {policy.label(asset_class)} security to buy more of"
            )
            continue
        found = False
        for account in buyers:
            held = [
                s
                for s in held_by_account[account.id]
                if state.securities[s].asset_class == asset_class
            ]
            if not held and not account.plan_menu_only:
                held = [largest[asset_class][2]]
            for security_id in sorted(held):
                identity = state.securities[security_id].identity
                if identity in result.blocked_identities:
                    continue
                result.buys.append((account.id, security_id))
                found = True
        if not found:
            blocked = sorted(
                {
                    state.securities[s].symbol
                    for a in buyers
                    for s in held_by_account[a.id] | {largest[asset_class][2]}
                    if state.securities[s].asset_class == asset_class
                    and state.securities[s].identity in result.blocked_identities
                }
            )
            result.not_bought[asset_class] = (
                f"buying {', '.join(blocked)} now would turn a recent loss sale into a wash sale"
                if blocked
                else "no account that may buy it holds one (a 401(k) buys only its plan's funds)"
            )

    if request.mode == Mode.NEW_MONEY and request.account_id is None:
        result.deposit_accounts = [
            a.id for a in state.accounts if a.accepts_new_money and not a.closed
        ]
    if request.mode == Mode.WITHDRAWAL:
        result.withdraw_accounts = [
            a.id
            for a in state.accounts
            if (a.treatment != Treatment.TAX_EXEMPT or a.is_cash_account) and not a.closed
        ]
    return result


def build_and_solve(
    state: HouseholdState, request: Request, choice: Offer, *, to_target: set[str]
) -> Solution:
    """Return the program's trades in dollars (see the module docstring)."""
    policy = state.policy
    rates = policy.rates
    accounts = {a.id: a for a in state.accounts}
    total = float(_after_total(state, request))
    minimum = float(policy.min_trade)
    values = {k: float(v) for k, v in state.class_values().items()}
    program = Program()

    # Sales, lot by lot (tax-advantaged positions as one variable).
    lot_vars: dict[Position, list[tuple[int, LotState | None]]] = {}
    by_class_sells: dict[str, list[int]] = defaultdict(list)
    by_account_sells: dict[int, list[int]] = defaultdict(list)
    loss_vars: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for position, lots in sorted(choice.sells.items()):
        account, security = accounts[position[0]], state.securities[position[1]]
        price = security.price
        columns: list[tuple[int, LotState | None]] = []
        if account.taxable:
            for lot in lots:
                value = float(lot.quantity * price)
                cost = float(cost_per_dollar(lot, price, taxable=True, rates=rates))
                column = program.var(value, cost)
                columns.append((column, lot))
                if lot.quantity * price < lot.cost_basis:
                    loss_vars[security.identity].append((column, value))
        else:
            value = float(sum((lot.quantity for lot in lots), ZERO) * price)
            columns.append((program.var(value, 0.0), None))
        lot_vars[position] = columns
        position_value = sum(program.upper[c] for c, _ in columns)
        binary = program.var(1.0, TRADE, binary=True)
        program.trade(binary, [c for c, _ in columns], minimum)
        terms = [(c, 1.0) for c, _ in columns]
        program.row([*terms, (binary, -minimum)], 0.0, np.inf)
        program.row([*terms, (binary, -position_value)], -np.inf, 0.0)
        by_class_sells[security.asset_class].extend(c for c, _ in columns)
        by_account_sells[account.id].extend(c for c, _ in columns)

    # Money each account may spend, and purchases.
    free = {a.id: float(max(a.cash - a.floor, ZERO)) for a in state.accounts}
    if request.mode == Mode.NEW_MONEY:
        # New money buys with the new money only; idle cash is the rebalance's business.
        free = dict.fromkeys(free, 0.0)
        if request.account_id is not None:
            free[request.account_id] = float(request.amount)
    ceiling = sum(free.values()) + sum(
        program.upper[c] for cols in lot_vars.values() for c, _ in cols
    )
    ceiling += float(request.amount)
    buy_vars: dict[Position, int] = {}
    by_class_buys: dict[str, list[int]] = defaultdict(list)
    by_account_buys: dict[int, list[int]] = defaultdict(list)
    by_identity_buys: dict[str, list[int]] = defaultdict(list)
    for position in choice.buys:
        account, security = accounts[position[0]], state.securities[position[1]]
        goal = policy.targets[security.asset_class]
        need = max(float(goal.target) * total - values.get(security.asset_class, 0.0), 0.0)
        upper = min(ceiling, need)
        if upper < minimum or upper <= 0:
            continue
        drag = float(annual_drag(security, account.treatment, rates))
        column = program.var(upper, LOCATION * drag)
        binary = program.var(1.0, TRADE, binary=True)
        program.trade(binary, [column], minimum)
        program.row([(column, 1.0), (binary, -minimum)], 0.0, np.inf)
        program.row([(column, 1.0), (binary, -upper)], -np.inf, 0.0)
        buy_vars[position] = column
        by_class_buys[security.asset_class].append(column)
        by_account_buys[account.id].append(column)
        by_identity_buys[security.identity].append(column)

    # Deposits and withdrawals.
    deposit_vars: dict[int, int] = {}
    withdraw_vars: dict[int, int] = {}
    short_var = None
    amount = float(request.amount)
    if choice.deposit_accounts:
        for account_id in choice.deposit_accounts:
            deposit_vars[account_id] = _flow(program, amount, 0.0, len(choice.deposit_accounts))
        program.row([(c, 1.0) for c in deposit_vars.values()], amount, amount)
    if request.mode == Mode.WITHDRAWAL:
        for account_id in choice.withdraw_accounts:
            account = accounts[account_id]
            tax = float(rates.ordinary) if account.treatment == Treatment.TAX_DEFERRED else 0.0
            withdraw_vars[account_id] = _flow(program, amount, tax, len(choice.withdraw_accounts))
            if account.is_cash_account:
                program.row([(withdraw_vars[account_id], 1.0)], 0.0, free[account_id])
        short_var = program.var(amount, SHORT)
        program.row([*[(c, 1.0) for c in withdraw_vars.values()], (short_var, 1.0)], amount, amount)
    if request.mode == Mode.NEW_MONEY:
        spend = [c for cols in by_account_buys.values() for c in cols]
        program.row([(c, 1.0) for c in spend], 0.0, amount)

    # 1. Each account's cash.
    for account in state.accounts:
        if account.is_cash_account:
            continue
        terms = [(c, 1.0) for c in by_account_buys.get(account.id, [])]
        terms += [(c, -1.0) for c in by_account_sells.get(account.id, [])]
        if account.id in deposit_vars:
            terms.append((deposit_vars[account.id], -1.0))
        if account.id in withdraw_vars:
            terms.append((withdraw_vars[account.id], 1.0))
        if any(coefficient > 0 for _, coefficient in terms):
            program.row(terms, -np.inf, free[account.id])

    # 2. The household's reserve.
    if policy.reserve > 0:
        spare = float(max(state.cash - policy.reserve, ZERO))
        terms = [(c, 1.0) for cols in by_account_buys.values() for c in cols]
        terms += [(c, -1.0) for cols in by_account_sells.values() for c in cols]
        terms += [(c, -1.0) for c in deposit_vars.values()]
        terms += [(c, 1.0) for c in withdraw_vars.values()]
        if request.mode == Mode.NEW_MONEY and request.account_id is not None:
            spare += amount
        program.row(terms, -np.inf, spare)

    # Bands and targets per asset class.
    for asset_class, goal in policy.targets.items():
        held = values.get(asset_class, 0.0)
        terms = [(c, 1.0) for c in by_class_buys.get(asset_class, [])]
        terms += [(c, -1.0) for c in by_class_sells.get(asset_class, [])]
        low = (float(goal.target) - float(goal.band)) * total - held
        high = (float(goal.target) + float(goal.band)) * total - held
        # A dollar of drift weighs more in a small class: per dollar, the weights are
        # relative to the target (a 5% class a dollar short is further off than a 50% one).
        share = max(float(goal.target), 0.01)
        under = program.var(np.inf, BAND / share)
        over = program.var(np.inf, BAND / share)
        program.row([*terms, (under, 1.0)], low, np.inf)
        program.row([*terms, (over, -1.0)], -np.inf, high)
        sells = by_class_sells.get(asset_class, [])
        if sells and request.mode != Mode.WITHDRAWAL:
            # 7. A rebalance sells a class down to its target, never past it.
            excess = max(held - float(goal.target) * total, 0.0)
            program.row([(c, 1.0) for c in sells], -np.inf, excess)
        if asset_class in to_target:
            weight = min(TARGET, TARGET / 5 / share)
            above = program.var(np.inf, weight)
            below = program.var(np.inf, weight)
            aim = float(goal.target) * total - held
            program.row([*terms, (above, -1.0), (below, 1.0)], aim, aim)

    # Sleeves move only with deposits and withdrawals.
    if deposit_vars or withdraw_vars:
        _sleeve_rows(program, state, total, deposit_vars, withdraw_vars)

    # 5. Never sell an identity at a loss and buy it.
    for identity, losses in loss_vars.items():
        buys = by_identity_buys.get(identity)
        if not buys:
            continue
        switch = program.var(1.0, 0.0, binary=True)
        loss_total = sum(value for _, value in losses)
        program.row([*[(c, 1.0) for c, _ in losses], (switch, -loss_total)], -np.inf, 0.0)
        big = sum(program.upper[c] for c in buys)
        program.row([*[(c, 1.0) for c in buys], (switch, big)], -np.inf, big)

    solution, message = program.solve()
    if solution is None:
        return Solution({}, {}, {}, {}, amount if request.mode == Mode.WITHDRAWAL else 0.0, message)
    return Solution(
        sells={
            position: float(sum(solution[c] for c, _ in columns))
            for position, columns in lot_vars.items()
        },
        buys={position: float(solution[c]) for position, c in buy_vars.items()},
        deposits={a: float(solution[c]) for a, c in deposit_vars.items()},
        withdrawals={a: float(solution[c]) for a, c in withdraw_vars.items()},
        short=float(solution[short_var]) if short_var is not None else 0.0,
        message=message,
    )


def out_of_band(state: HouseholdState, request: Request) -> set[str]:
    """Return the targeted classes outside their band at the total after the request."""
    return _out_of_band(state, request)


def _out_of_band(state: HouseholdState, request: Request) -> set[str]:
    total = _after_total(state, request)
    values = state.class_values()
    found = set()
    for asset_class, goal in state.policy.targets.items():
        if total <= 0:
            continue
        drift = values.get(asset_class, ZERO) / total - goal.target
        if abs(drift) > goal.band:
            found.add(asset_class)
    return found


def _after_total(state: HouseholdState, request: Request):
    if request.mode == Mode.NEW_MONEY:
        return state.total + request.amount
    if request.mode == Mode.WITHDRAWAL:
        return state.total - request.amount
    return state.total


def _buying_accounts(state: HouseholdState, request: Request) -> list[AccountState]:
    accounts = [a for a in state.accounts if not a.is_cash_account and not a.closed]
    if request.mode == Mode.NEW_MONEY:
        if request.account_id is not None:
            return [a for a in accounts if a.id == request.account_id]
        return [a for a in accounts if a.accepts_new_money]
    return accounts


def _flow(program: Program, amount: float, cost: float, choices: int) -> int:
    """Return a deposit or withdrawal variable; with several accounts to choose from, each
    one used counts as a trade."""
    column = program.var(amount, cost)
    if choices > 1:
        used = program.var(1.0, TRADE, binary=True)
        program.trade(used, [column], 0.0)
        program.row([(column, 1.0), (used, -amount)], -np.inf, 0.0)
    return column


def _sleeve_rows(
    program: Program,
    state: HouseholdState,
    total: float,
    deposit_vars: dict[int, int],
    withdraw_vars: dict[int, int],
) -> None:
    values: dict[str, float] = defaultdict(float)
    members: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for account in state.accounts:
        if account.sleeve is None:
            continue
        values[account.sleeve] += float(account.cash)
        if account.id in deposit_vars:
            members[account.sleeve].append((deposit_vars[account.id], 1.0))
        if account.id in withdraw_vars:
            members[account.sleeve].append((withdraw_vars[account.id], -1.0))
    for (account_id, _), value in state.positions.items():
        sleeve = next((a.sleeve for a in state.accounts if a.id == account_id), None)
        if sleeve is not None:
            values[sleeve] += float(value)
    for sleeve, goal in state.policy.sleeve_targets.items():
        terms = members.get(sleeve, [])
        if not terms:
            continue
        held = values.get(sleeve, 0.0)
        under = program.var(np.inf, BAND / 10)
        over = program.var(np.inf, BAND / 10)
        low = (float(goal.target) - float(goal.band)) * total - held
        high = (float(goal.target) + float(goal.band)) * total - held
        program.row([*terms, (under, 1.0)], low, np.inf)
        program.row([*terms, (over, -1.0)], -np.inf, high)
        above = program.var(np.inf, TARGET)
        below = program.var(np.inf, TARGET)
        aim = float(goal.target) * total - held
        program.row([*terms, (above, -1.0), (below, 1.0)], aim, aim)
