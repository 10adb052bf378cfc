"""The proposal: rebalance, new money or withdrawal, with its reasons and what it cannot do.

``propose`` runs the steps in order:

1. Rebalance only when a class is outside its band (or the household asks for target).
2. ``solver.offer``: what may be sold, bought, deposited or withdrawn.
3. ``solver.build_and_solve``: the mixed-integer program (HiGHS).
4. ``rows.round_solution``: shares and cents, re-checked in Decimal; a share more where
   rounding left a class just outside its band; then (a rebalance) ``shares.least_tax_sales``
   chooses each class's taxable whole-share sales again at least tax.
5. Reasons per row, the classes before and after, and the bands that cannot be met, why.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from portfolios.calculations.rebalancing.lots import cost_per_dollar, plain, sale_order
from portfolios.calculations.rebalancing.naive import naive_tax
from portfolios.calculations.rebalancing.rows import (
    Draft,
    cash_holds,
    draft_rows,
    round_solution,
)
from portfolios.calculations.rebalancing.shares import least_tax_sales
from portfolios.calculations.rebalancing.solver import (
    Offer,
    Solution,
    build_and_solve,
    offer,
    out_of_band,
)
from portfolios.calculations.rebalancing.types import (
    ZERO,
    ClassOutcome,
    HouseholdState,
    Mode,
    Proposal,
    ProposalRow,
    Request,
    Treatment,
    UnknownBasis,
)

WEIGHT_STEP = Decimal("0.000001")
HUNDRED = Decimal(100)
ACCOUNT_KINDS = {
    Treatment.TAX_DEFERRED: "a tax-deferred account owes no tax on a sale",
    Treatment.TAX_EXEMPT: "a Roth (tax-free) account owes no tax on a sale",
}


def propose(state: HouseholdState, request: Request | None = None) -> Proposal:
    """Return the household's proposal for ``request`` (a rebalance by default)."""
    request = request or Request()
    if request.mode == Mode.REBALANCE and not request.to_target and not out_of_band(state, request):
        draft = Draft(state, request, Offer())
        return Proposal(
            rows=[],
            problems=_sleeve_notes(state, request),
            outcomes=_outcomes(draft, []),
            naive_tax=ZERO,
            needed=False,
        )
    choice = offer(state, request)
    to_target = set() if request.mode == Mode.WITHDRAWAL else set(state.policy.targets)
    solution = build_and_solve(state, request, choice, to_target=to_target)
    draft = round_solution(state, request, choice, solution)
    _nudge_into_bands(draft)
    if request.mode == Mode.REBALANCE:
        least_tax_sales(draft, _class_status)
    rows = draft_rows(draft)
    outcomes = _outcomes(draft, rows)
    _explain_rows(draft, rows, outcomes)
    problems = _problems(draft, outcomes, solution)
    unknown = _unknown_basis(state, choice)
    problems += [_unknown_basis_note(item) for item in unknown]
    if request.mode == Mode.REBALANCE:
        problems += _sleeve_notes(state, request)
    return Proposal(
        rows=rows,
        problems=problems,
        outcomes=outcomes,
        naive_tax=naive_tax(state) if request.mode == Mode.REBALANCE else None,
        unknown_basis=unknown,
    )


def _unknown_basis(state: HouseholdState, choice: Offer) -> list[UnknownBasis]:
    """Return the taxable positions whose lots of unknown basis were not offered for sale."""
    accounts = {a.id: a for a in state.accounts}
    found = [
        UnknownBasis(
            account=accounts[account_id].name,
            symbol=state.securities[security_id].symbol,
            quantity=quantity,
        )
        for (account_id, security_id), quantity in choice.unknown_basis.items()
    ]
    return sorted(found, key=lambda item: (item.account, item.symbol))


def _unknown_basis_note(item: UnknownBasis) -> str:
    return (
        f"{item.symbol} in {item.account}: basis unknown for {plain(item.quantity)} "
        f"share{'' if item.quantity == 1 else 's'}, so they are not proposed for sale (the "
        "tax cannot be estimated). Enter their cost basis (an OPENING row with its amount) "
        "to include them."
    )


def _after_values(draft: Draft) -> tuple[dict[str, Decimal], Decimal]:
    state = draft.state
    values = state.class_values()
    for (_, security_id), shares in draft.sells.items():
        security = state.securities[security_id]
        values[security.asset_class] -= draft.amount((0, security_id), shares)
    for (_, security_id), shares in draft.buys.items():
        security = state.securities[security_id]
        values[security.asset_class] = values.get(security.asset_class, ZERO) + draft.amount(
            (0, security_id), shares
        )
    total = state.total + sum(draft.deposits.values(), ZERO) - sum(draft.withdrawals.values(), ZERO)
    return values, total


def _status(value: Decimal, total: Decimal, target: Decimal, band: Decimal) -> tuple[Decimal, str]:
    weight = (value / total).quantize(WEIGHT_STEP, ROUND_HALF_UP) if total > 0 else ZERO
    drift = weight - target
    return weight, "over" if drift > band else "under" if drift < -band else "ok"


def _nudge_into_bands(draft: Draft) -> None:
    """Add a share to a purchase (cash allowing) or a sale (shares allowing) of a class the
    rounding left just outside its band; at most a few shares per class. A second pass
    revisits the classes, since a share sold for one class pays for a share of another."""
    state = draft.state
    for _ in range(2):
        for asset_class, goal in state.policy.targets.items():
            for _ in range(3):
                values, total = _after_values(draft)
                _, status = _status(values.get(asset_class, ZERO), total, goal.target, goal.band)
                if status == "ok" or not _nudge(draft, asset_class, status):
                    break


def _nudge(draft: Draft, asset_class: str, status: str) -> bool:
    """Add a share (a cent's worth of a fund) to the cheapest sale or a purchase of the class,
    among those the program was offered; keep it only if every constraint still holds."""
    state = draft.state
    trades = draft.buys if status == "under" else draft.sells
    offered = list(draft.choice.buys) if status == "under" else list(draft.choice.sells)
    candidates = [p for p in offered if state.securities[p[1]].asset_class == asset_class]
    candidates.sort(key=lambda p: (p not in trades, _cheapest(draft, p), p))
    for position in candidates:
        security = state.securities[position[1]]
        step = Decimal("0.0001") if security.fractional else Decimal(1)
        before = trades.get(position, ZERO)
        if status == "over":
            if before >= draft.offered(position):
                continue
            trades[position] = min(before + step, draft.offered(position))
        else:
            trades[position] = before + step
        minimum = draft.state.policy.min_trade
        opposite = "under" if status == "over" else "over"
        if (
            draft.amount(position, trades[position]) >= minimum
            and _holds(draft)
            and _class_status(draft, asset_class) != opposite
        ):
            return True
        if before:
            trades[position] = before
        else:
            del trades[position]
    return False


def _class_status(draft: Draft, asset_class: str) -> str:
    goal = draft.state.policy.targets[asset_class]
    values, total = _after_values(draft)
    return _status(values.get(asset_class, ZERO), total, goal.target, goal.band)[1]


def _cheapest(draft: Draft, position) -> Decimal:
    """Return the tax per dollar of the first lot a sale of the position would take."""
    lots = draft.choice.sells.get(position)
    if not lots:
        return ZERO
    account = next(a for a in draft.state.accounts if a.id == position[0])
    price = draft.state.securities[position[1]].price
    rates = draft.state.policy.rates
    first = sale_order(list(lots), price, taxable=account.taxable, rates=rates)[0]
    return cost_per_dollar(first, price, taxable=account.taxable, rates=rates)


def _holds(draft: Draft) -> bool:
    if not cash_holds(draft):
        return False
    if draft.request.mode == Mode.NEW_MONEY:
        spent = sum((draft.amount(p, s) for p, s in draft.buys.items()), ZERO)
        return spent <= draft.request.amount
    return True


def _outcomes(draft: Draft, rows: list[ProposalRow]) -> list[ClassOutcome]:
    state = draft.state
    before = state.class_values()
    after, after_total = _after_values(draft)
    outcomes = []
    for asset_class, goal in sorted(
        state.policy.targets.items(), key=lambda item: (-item[1].target, item[0])
    ):
        before_weight, _ = _status(
            before.get(asset_class, ZERO), state.total, goal.target, goal.band
        )
        value = after.get(asset_class, ZERO)
        weight, status = _status(value, after_total, goal.target, goal.band)
        outcomes.append(
            ClassOutcome(
                asset_class=asset_class,
                label=state.policy.label(asset_class),
                before=before.get(asset_class, ZERO),
                before_weight=before_weight,
                after=value,
                after_weight=weight,
                target=goal.target,
                band=goal.band,
                status=status,
            )
        )
    return outcomes


def _explain_rows(draft: Draft, rows: list[ProposalRow], outcomes: list[ClassOutcome]) -> None:
    state = draft.state
    by_class = {o.asset_class: o for o in outcomes}
    accounts = {a.id: a for a in state.accounts}
    mode = draft.request.mode
    for row in rows:
        account = accounts[row.account_id]
        if row.action == "deposit":
            row.reason = "New money goes here first; the purchases below spend it."
            continue
        if row.action == "withdraw":
            row.reason = _withdraw_reason(account, row)
            continue
        outcome = by_class[row.asset_class]
        where = (
            f"{outcome.label} is {_pct(outcome.before_weight)}% of the household against a "
            f"{_pct(outcome.target)}% target (±{_pct(outcome.band)} pp)"
        )
        if row.action == "buy":
            funded = "the new money" if mode == Mode.NEW_MONEY else "this account's cash"
            if any(r.action == "sell" and r.account_id == row.account_id for r in rows):
                funded = "this account's cash and sale proceeds"
            row.reason = f"{where}: bought with {funded}."
            continue
        purpose = "raises cash for the withdrawal" if mode == Mode.WITHDRAWAL else "sold back"
        row.reason = f"{where}: {purpose}. {_tax_note(account, row)}"
        if row.basis_unknown:
            row.reason += " Basis unknown for some of these shares: the gain is not known."


def _tax_note(account, row: ProposalRow) -> str:
    if account.treatment in ACCOUNT_KINDS:
        return f"No tax: {ACCOUNT_KINDS[account.treatment]}."
    if row.estimated_gain is not None and row.estimated_gain < 0:
        return f"Loss lots first: realizes a ${-row.estimated_gain:,.2f} loss."
    return "Lots with the smallest gains first, long-term before short-term."


def _withdraw_reason(account, row: ProposalRow) -> str:
    if account.is_cash_account:
        return "From the cash account, above the household's reserve."
    if account.treatment == Treatment.TAX_DEFERRED:
        return (
            "A tax-deferred withdrawal is taxed as ordinary income: used only after cash and "
            "cheaper sales."
        )
    return "From this account's cash and the sales above."


def _problems(draft: Draft, outcomes: list[ClassOutcome], solution: Solution) -> list[str]:
    request = draft.request
    problems: list[str] = []
    for outcome in outcomes:
        if outcome.status == "ok":
            continue
        band = (
            f"{outcome.label} ends at {_pct(outcome.after_weight)}%, "
            f"{'below' if outcome.status == 'under' else 'above'} its band "
            f"({_pct(outcome.target)}% ± {_pct(outcome.band)} pp)"
        )
        if outcome.status == "under":
            problems.append(f"{band}: {_why_not_bought(draft, outcome)}.")
        else:
            problems.append(f"{band}: {_why_not_sold(draft, outcome.asset_class)}.")
    if request.mode == Mode.NEW_MONEY and not draft.deposits:
        problems.append(
            "No taxable account to add the money to: name the account it goes to (retirement "
            "accounts take contributions within their yearly limits)."
        )
    if request.mode == Mode.WITHDRAWAL and draft.short > 0:
        raised = request.amount - draft.short
        problems.append(
            f"Only ${raised:,.2f} of the ${request.amount:,.2f} can be raised: the rest would "
            "have to come from a Roth account, the cash reserve or an account's cash floor, "
            "or from sales that push a class outside its band."
        )
    if solution.message and "time limit" in solution.message.lower():
        problems.append(
            "The optimiser stopped at its time limit: every row can be executed as written, "
            "but a cheaper proposal may exist."
        )
    return problems


def _why_not_bought(draft: Draft, outcome: ClassOutcome) -> str:
    request = draft.request
    if request.mode == Mode.WITHDRAWAL:
        was_inside = abs(outcome.before_weight - outcome.target) <= outcome.band
        if was_inside:
            return (
                "the withdrawal leaves the rest heavier; nothing else could be sold without "
                "pushing another class out"
            )
        return "a withdrawal only sells; the rebalancing proposal brings it back"
    why = draft.choice.not_bought.get(outcome.asset_class)
    if why is not None:
        return why
    if request.mode == Mode.NEW_MONEY:
        return (
            f"${request.amount:,.2f} of new money is not enough to bring it back; the "
            "rebalancing proposal can also use the household's cash and sales"
        )
    return (
        "buying more needs cash that the accounts able to buy it do not have above their "
        "floors and the reserve, and nothing else is above its target to sell"
    )


def _why_not_sold(draft: Draft, asset_class: str) -> str:
    state = draft.state
    accounts = {a.id: a for a in state.accounts}
    reasons = []
    blocked = [
        lot
        for lot in state.lots
        if lot.uid in draft.choice.blocked_lots
        and state.securities.get(lot.security_id)
        and state.securities[lot.security_id].asset_class == asset_class
    ]
    if blocked:
        symbols = sorted({state.securities[lot.security_id].symbol for lot in blocked})
        reasons.append(
            f"lots of {', '.join(symbols)} at a loss cannot be sold without a wash sale "
            "(identical shares bought in the last 30 days, or a dividend reinvestment due)"
        )
    unknown = sorted(
        state.securities[s].symbol
        for (_, s) in draft.choice.unknown_basis
        if state.securities[s].asset_class == asset_class
    )
    if unknown:
        reasons.append(
            f"{', '.join(unknown)} in taxable accounts has lots of unknown basis, which are "
            "not proposed for sale"
        )
    in_cash = {
        state.securities[s].symbol
        for (a, s) in state.positions
        if accounts[a].is_cash_account and state.securities[s].asset_class == asset_class
    }
    if in_cash:
        reasons.append(f"{', '.join(sorted(in_cash))} sits in a cash account, which never trades")
    small = {
        state.securities[s].symbol
        for (a, s), value in state.positions.items()
        if state.securities[s].asset_class == asset_class
        and value < state.policy.min_trade
        and not accounts[a].is_cash_account
    }
    if small:
        reasons.append(
            f"{', '.join(sorted(small))} is worth less than the ${state.policy.min_trade:,.2f} "
            "minimum trade"
        )
    if not reasons:
        reasons.append("what would be sold is needed elsewhere or would break a minimum trade")
    return "; ".join(reasons)


def _sleeve_notes(state: HouseholdState, request: Request) -> list[str]:
    """Say which sleeves sit outside their band: trades inside accounts cannot fix that.
    A household that puts no account in a sleeve does not use sleeves: nothing to say."""
    if not state.policy.sleeve_targets or state.total <= 0:
        return []
    if not any(account.sleeve for account in state.accounts):
        return []
    values: dict[str, Decimal] = {}
    accounts = {a.id: a for a in state.accounts}
    for account in state.accounts:
        if account.sleeve:
            values[account.sleeve] = values.get(account.sleeve, ZERO) + account.cash
    for (account_id, _), value in state.positions.items():
        sleeve = accounts[account_id].sleeve
        if sleeve:
            values[sleeve] = values.get(sleeve, ZERO) + value
    notes = []
    for sleeve, goal in sorted(state.policy.sleeve_targets.items()):
        weight, status = _status(values.get(sleeve, ZERO), state.total, goal.target, goal.band)
        if status != "ok":
            notes.append(
                f"The {sleeve} sleeve is {_pct(weight)}% against {_pct(goal.target)}% "
                f"± {_pct(goal.band)} pp: trades inside accounts cannot move money between "
                "sleeves; add new money to its accounts, take withdrawals from the others, "
                "or change which sleeve an account belongs to."
            )
    return notes


def _pct(fraction: Decimal) -> str:
    return f"{fraction * HUNDRED:.1f}"
