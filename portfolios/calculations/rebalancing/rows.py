"""From the solver's dollars to rows a household can execute, checked again in Decimal.

1. Round: funds (``SecurityState.fractional``) trade in cents and 4-decimal shares; other
   securities in whole shares (a sale to the nearest share, but never up into a taxed gain;
   a withdrawal's up), except that a sale of everything offered sells every share,
   fractions included. A sale's shares are taken lot
   by lot in ``lots.sale_order``.
   Deposits and withdrawals are whole cents and add up to the amount asked.
2. Drop any trade the rounding left below the policy's minimum.
3. Re-check every hard constraint in Decimal and repair what the rounding broke: an account
   spending more than its cash above its floor plus its own proceeds (plus its deposit), the
   household spending into its reserve, new money spending more than was added. Repairs only
   ever shrink purchases (largest first) or withdrawals, or add a share to a sale in the
   account that falls short, so a repair never breaks another constraint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal

from portfolios.calculations.rebalancing.lots import (
    cents,
    cost_per_dollar,
    lots_text,
    sale_order,
    take_shares,
)
from portfolios.calculations.rebalancing.solver import Offer, Position, Solution
from portfolios.calculations.rebalancing.types import (
    ZERO,
    HouseholdState,
    Mode,
    ProposalRow,
    Request,
    Treatment,
)

SHARE_STEP = Decimal("0.0001")
HALF_CENT = 0.005


@dataclass
class Draft:
    """Rows being rounded and repaired, with what each account may spend."""

    state: HouseholdState
    request: Request
    choice: Offer
    deposits: dict[int, Decimal] = field(default_factory=dict)
    withdrawals: dict[int, Decimal] = field(default_factory=dict)
    sells: dict[Position, Decimal] = field(default_factory=dict)  # shares
    buys: dict[Position, Decimal] = field(default_factory=dict)  # shares
    short: Decimal = ZERO

    def price(self, position: Position) -> Decimal:
        return self.state.securities[position[1]].price

    def amount(self, position: Position, shares: Decimal) -> Decimal:
        return cents(shares * self.price(position))

    def offered(self, position: Position) -> Decimal:
        return sum((lot.quantity for lot in self.choice.sells.get(position, ())), ZERO)


def round_solution(
    state: HouseholdState, request: Request, choice: Offer, solution: Solution
) -> Draft:
    """Return the solution rounded to shares and cents, below-minimum trades dropped, and
    every hard constraint holding again in Decimal (module docstring)."""
    draft = Draft(state, request, choice)
    minimum = state.policy.min_trade
    _round_flows(draft, solution)
    for position, dollars in solution.sells.items():
        if dollars < HALF_CENT:
            continue
        shares = _sale_shares(draft, position, dollars)
        if shares > 0 and draft.amount(position, shares) >= minimum:
            draft.sells[position] = shares
    for position, dollars in solution.buys.items():
        if dollars < HALF_CENT:
            continue
        shares = _buy_shares(draft, position, dollars)
        if shares > 0 and draft.amount(position, shares) >= max(minimum, Decimal("0.01")):
            draft.buys[position] = shares
    _repair(draft)
    return draft


def draft_rows(draft: Draft) -> list[ProposalRow]:
    """Return the rows: deposits, sales, purchases, withdrawals, each by account and symbol."""
    state = draft.state
    accounts = {a.id: a for a in state.accounts}
    rates = state.policy.rates
    rows: list[ProposalRow] = []
    tax = _Carry()
    for account_id, amount in sorted(draft.deposits.items(), key=lambda i: accounts[i[0]].name):
        rows.append(_flow_row(draft, account_id, "deposit", amount))
    for (account_id, security_id), shares in sorted(
        draft.sells.items(),
        key=lambda i: (accounts[i[0][0]].name, state.securities[i[0][1]].symbol),
    ):
        account, security = accounts[account_id], state.securities[security_id]
        ordered = sale_order(
            list(draft.choice.sells[(account_id, security_id)]),
            security.price,
            taxable=account.taxable,
            rates=rates,
        )
        pieces = take_shares(ordered, shares, security.price, taxable=account.taxable, rates=rates)
        # Only a tax-advantaged account is offered lots of unknown basis: the sale owes no
        # tax there, but its gain is not known.
        unknown = any(not p.lot.basis_known for p in pieces)
        rows.append(
            ProposalRow(
                account=account.name,
                action="sell",
                symbol=security.symbol,
                asset_class=security.asset_class,
                quantity=shares,
                amount=cents(shares * security.price),
                lots=lots_text(pieces),
                estimated_gain=None if unknown else cents(sum((p.gain for p in pieces), ZERO)),
                estimated_tax=tax.share(sum((p.tax for p in pieces), ZERO)),
                account_id=account_id,
                security_id=security_id,
                basis_unknown=unknown,
            )
        )
    for (account_id, security_id), shares in sorted(
        draft.buys.items(), key=lambda i: (accounts[i[0][0]].name, state.securities[i[0][1]].symbol)
    ):
        account, security = accounts[account_id], state.securities[security_id]
        rows.append(
            ProposalRow(
                account=account.name,
                action="buy",
                symbol=security.symbol,
                asset_class=security.asset_class,
                quantity=shares,
                amount=cents(shares * security.price),
                account_id=account_id,
                security_id=security_id,
            )
        )
    for account_id, amount in sorted(draft.withdrawals.items(), key=lambda i: accounts[i[0]].name):
        row = _flow_row(draft, account_id, "withdraw", amount)
        if accounts[account_id].treatment == Treatment.TAX_DEFERRED:
            row.estimated_tax = tax.share(amount * rates.ordinary)
        rows.append(row)
    return rows


class _Carry:
    """Rows' estimated taxes in cents that add up to the proposal's exact tax rounded once:
    each row shows the rounded running total less what the rows before it show, so the
    rest of a cent is carried to the next row, as a lot's reliefs carry its basis (DESIGN
    §7). Two proposals' totals then compare as their exact taxes do, however their sales
    are split into rows (13 + 13 shares or 6 + 20), and a row is within a cent of its own."""

    def __init__(self) -> None:
        self.exact = ZERO
        self.shown = ZERO

    def share(self, exact: Decimal) -> Decimal:
        self.exact += exact
        row = cents(self.exact) - self.shown
        self.shown += row
        return row


def spending(draft: Draft, account_id: int) -> tuple[Decimal, Decimal]:
    """Return (what the account spends, what it may spend) after rounding."""
    state = draft.state
    account = next(a for a in state.accounts if a.id == account_id)
    spend = sum(
        (draft.amount(p, s) for p, s in draft.buys.items() if p[0] == account_id), ZERO
    ) + draft.withdrawals.get(account_id, ZERO)
    funds = max(account.cash - account.floor, ZERO)
    if draft.request.mode == Mode.NEW_MONEY:
        funds = ZERO  # new money buys with the new money only
    funds += sum((draft.amount(p, s) for p, s in draft.sells.items() if p[0] == account_id), ZERO)
    funds += draft.deposits.get(account_id, ZERO)
    return spend, funds


def household_spending(draft: Draft) -> tuple[Decimal, Decimal]:
    """Return (net cash the household spends, what it may spend above its reserve)."""
    state = draft.state
    net = sum((draft.amount(p, s) for p, s in draft.buys.items()), ZERO)
    net -= sum((draft.amount(p, s) for p, s in draft.sells.items()), ZERO)
    net += sum(draft.withdrawals.values(), ZERO) - sum(draft.deposits.values(), ZERO)
    return net, max(state.cash - state.policy.reserve, ZERO)


def cash_holds(draft: Draft) -> bool:
    """Return True when every account can pay for its buys and the household stays above
    its cash reserve."""
    for account in draft.state.accounts:
        spend, funds = spending(draft, account.id)
        if spend > funds:
            return False
    net, spare = household_spending(draft)
    return net <= spare


def _round_flows(draft: Draft, solution: Solution) -> None:
    request = draft.request
    if request.mode == Mode.NEW_MONEY:
        if request.account_id is not None:
            draft.deposits = {request.account_id: request.amount}
            return
        draft.deposits = _split_exactly(solution.deposits, request.amount)
    elif request.mode == Mode.WITHDRAWAL:
        short = _decimal(solution.short).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
        draft.short = min(max(short, ZERO), request.amount)
        draft.withdrawals = _split_exactly(solution.withdrawals, request.amount - draft.short)


def _split_exactly(parts: dict[int, float], total: Decimal) -> dict[int, Decimal]:
    """Return the parts in cents, the largest taking the rounding so they add up to total."""
    rounded = {k: cents(_decimal(v)) for k, v in parts.items() if v >= HALF_CENT}
    if not rounded or total <= 0:
        return {}
    largest = max(rounded, key=lambda k: (rounded[k], -k))
    rounded[largest] += total - sum(rounded.values(), ZERO)
    return {k: v for k, v in rounded.items() if v > 0}


def _sale_shares(draft: Draft, position: Position, dollars: float) -> Decimal:
    offered = draft.offered(position)
    price = draft.price(position)
    wanted = _decimal(dollars) / price
    if wanted >= offered - SHARE_STEP or dollars >= float(offered * price) - HALF_CENT:
        return offered
    if draft.state.securities[position[1]].fractional:
        return min(wanted.quantize(SHARE_STEP, rounding=ROUND_HALF_UP), offered)
    # A withdrawal needs the cash: round its sales up. A rebalance rounds to the nearest
    # share, except that a share whose sale would owe tax is never added: it rounds down
    # (``proposal`` adds a share back where that leaves a class just outside its band).
    if draft.request.mode == Mode.WITHDRAWAL:
        rounding = ROUND_CEILING
    else:
        rounding = ROUND_DOWN if _next_share_taxed(draft, position, wanted) else ROUND_HALF_UP
    return min(wanted.quantize(Decimal(1), rounding=rounding), offered)


def _next_share_taxed(draft: Draft, position: Position, wanted: Decimal) -> bool:
    """Return True when the share after the whole ones wanted comes from a lot whose sale
    owes tax (a taxable lot at a gain)."""
    account = next(a for a in draft.state.accounts if a.id == position[0])
    if not account.taxable:
        return False
    price = draft.price(position)
    rates = draft.state.policy.rates
    ordered = sale_order(list(draft.choice.sells[position]), price, taxable=True, rates=rates)
    whole = wanted.quantize(Decimal(1), rounding=ROUND_DOWN)
    taken = ZERO
    for lot in ordered:
        taken += lot.quantity
        if taken > whole:
            return cost_per_dollar(lot, price, taxable=True, rates=rates) > 0
    return False


def _buy_shares(draft: Draft, position: Position, dollars: float) -> Decimal:
    price = draft.price(position)
    if draft.state.securities[position[1]].fractional:
        amount = _decimal(dollars).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        return (amount / price).quantize(SHARE_STEP, rounding=ROUND_DOWN)
    return (_decimal(dollars) / price).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _repair(draft: Draft) -> None:
    """Shrink purchases and withdrawals (or add a share to a sale) until every account,
    the reserve and the new money hold (module docstring, step 3)."""
    minimum = draft.state.policy.min_trade
    for _ in range(10_000):
        problem = _first_problem(draft)
        if problem is None:
            return
        scope, deficit = problem
        candidates = [p for p in draft.buys if scope is None or p[0] == scope]
        if candidates:
            position = max(candidates, key=lambda p: (draft.amount(p, draft.buys[p]), p))
            _shrink_buy(draft, position, deficit, minimum)
            continue
        if scope is not None and _grow_sale(draft, scope, deficit):
            continue
        if scope is not None and scope in draft.withdrawals:
            cut = min(deficit, draft.withdrawals[scope])
            draft.withdrawals[scope] -= cut
            draft.short += cut
            if draft.withdrawals[scope] <= 0:
                del draft.withdrawals[scope]
            continue
        if scope is None and draft.withdrawals:
            account_id = max(draft.withdrawals, key=lambda a: (draft.withdrawals[a], a))
            cut = min(deficit, draft.withdrawals[account_id])
            draft.withdrawals[account_id] -= cut
            draft.short += cut
            if draft.withdrawals[account_id] <= 0:
                del draft.withdrawals[account_id]
            continue
        raise AssertionError(f"cannot repair the proposal: {problem}")  # pragma: no cover
    raise AssertionError("the proposal did not settle")  # pragma: no cover


def _first_problem(draft: Draft) -> tuple[int | None, Decimal] | None:
    for account in draft.state.accounts:
        spend, funds = spending(draft, account.id)
        if spend > funds:
            return account.id, spend - funds
    net, spare = household_spending(draft)
    if net > spare:
        return None, net - spare
    if draft.request.mode == Mode.NEW_MONEY:
        spent = sum((draft.amount(p, s) for p, s in draft.buys.items()), ZERO)
        if spent > draft.request.amount:
            return None, spent - draft.request.amount
    return None


def _shrink_buy(draft: Draft, position: Position, deficit: Decimal, minimum: Decimal) -> None:
    price = draft.price(position)
    shares = draft.buys[position]
    if draft.state.securities[position[1]].fractional:
        amount = draft.amount(position, shares) - deficit
        shares = (amount / price).quantize(SHARE_STEP, rounding=ROUND_DOWN) if amount > 0 else ZERO
    else:
        shares -= max((deficit / price).quantize(Decimal(1), rounding=ROUND_CEILING), Decimal(1))
    if shares <= 0 or draft.amount(position, shares) < max(minimum, Decimal("0.01")):
        del draft.buys[position]
    else:
        draft.buys[position] = shares


def _grow_sale(draft: Draft, account_id: int, deficit: Decimal) -> bool:
    """Add shares to the account's cheapest sale with shares left; False when none has."""
    for position in sorted(p for p in draft.sells if p[0] == account_id):
        offered = draft.offered(position)
        shares = draft.sells[position]
        if shares >= offered:
            continue
        price = draft.price(position)
        step = SHARE_STEP if draft.state.securities[position[1]].fractional else Decimal(1)
        extra = max((deficit / price).quantize(step, rounding=ROUND_CEILING), step)
        draft.sells[position] = min(shares + extra, offered)
        return True
    return False


def _flow_row(draft: Draft, account_id: int, action: str, amount: Decimal) -> ProposalRow:
    account = next(a for a in draft.state.accounts if a.id == account_id)
    return ProposalRow(
        account=account.name,
        action=action,
        symbol="",
        asset_class="cash",
        quantity=None,
        amount=amount,
        account_id=account_id,
    )


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))
