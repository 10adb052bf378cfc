"""Reads for rebalancing, new money, withdrawals, harvesting and asset location.

``rebalance_inputs`` (``rebalancing_inputs.py``) reads one household into the pure
optimiser's ``HouseholdState``; the proposals and lists below hand it to
``portfolios/calculations/rebalancing``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portfolios.calculations.rebalancing import (
    HarvestCandidate,
    HarvestThresholds,
    HouseholdState,
    LocationHint,
    Mode,
    Proposal,
    Request,
    UnknownBasis,
    harvest_candidates,
    location_hints,
    propose,
    unknown_basis_positions,
)
from portfolios.models import Account, Household, RebalancePolicy, Replacement
from portfolios.selectors.as_of import household_today
from portfolios.selectors.rebalancing_inputs import rebalance_inputs, symbol_identities

__all__ = [
    "RebalanceTrigger",
    "RebalancingOverview",
    "harvest_list",
    "location_hint_list",
    "new_money_proposal",
    "rebalance_inputs",
    "rebalance_policy_get",
    "rebalance_proposal",
    "rebalance_trigger",
    "rebalancing_overview",
    "withdrawal_proposal",
]

HUNDRED = Decimal(100)
CALENDAR_MONTHS = {"quarterly": 3, "semiannual": 6, "annual": 12}


@dataclass(frozen=True)
class RebalanceTrigger:
    """Whether the household's trigger says to rebalance now, and why (in words)."""

    due: bool
    trigger: str
    explanation: str


def rebalance_policy_get(*, household: Household) -> RebalancePolicy:
    """Return the household's rebalancing settings (unsaved defaults when it has none)."""
    found = RebalancePolicy.objects.filter(household=household).first()
    return found or RebalancePolicy(household=household)


def rebalance_proposal(
    *, household: Household, today: date | None = None, to_target: bool = False
) -> Proposal:
    """Return the trades that bring the household back inside its bands at the least tax."""
    state = rebalance_inputs(household=household, today=today)
    return propose(state, Request(mode=Mode.REBALANCE, to_target=to_target))


def new_money_proposal(
    *,
    household: Household,
    amount: Decimal,
    account: Account | None = None,
    today: date | None = None,
) -> Proposal:
    """Return where new money goes (``account``, or the taxable accounts where it does most)
    and the purchases that move the household closest to target, with no sales."""
    state = rebalance_inputs(household=household, today=today)
    request = Request(
        mode=Mode.NEW_MONEY, amount=amount, account_id=account.pk if account else None
    )
    return propose(state, request)


def withdrawal_proposal(
    *, household: Household, amount: Decimal, today: date | None = None
) -> Proposal:
    """Return which cash, then which sales in which accounts, raise ``amount`` at the least
    tax while the allocation stays inside its bands."""
    state = rebalance_inputs(household=household, today=today)
    return propose(state, Request(mode=Mode.WITHDRAWAL, amount=amount))


def harvest_list(
    *,
    household: Household,
    today: date | None = None,
    min_loss: Decimal | None = None,
    min_loss_pct: Decimal | None = None,
) -> list[HarvestCandidate]:
    """Return tax-loss harvesting candidates over the household's thresholds (or the ones
    given: ``min_loss`` in money, ``min_loss_pct`` in percent of cost), one per position."""
    policy = rebalance_policy_get(household=household)
    state = rebalance_inputs(household=household, today=today)
    return _harvest(household, state, policy, min_loss=min_loss, min_loss_pct=min_loss_pct)


def _harvest(
    household: Household,
    state: HouseholdState,
    policy: RebalancePolicy,
    *,
    min_loss: Decimal | None = None,
    min_loss_pct: Decimal | None = None,
) -> list[HarvestCandidate]:
    thresholds = HarvestThresholds(
        min_loss=policy.harvest_min_loss if min_loss is None else min_loss,
        min_loss_pct=(policy.harvest_min_loss_pct if min_loss_pct is None else min_loss_pct)
        / HUNDRED,
    )
    mine: dict[str, list[str]] = defaultdict(list)
    for symbol, replacement in Replacement.objects.filter(household=household).values_list(
        "symbol", "replacement"
    ):
        mine[symbol].append(replacement)
    return harvest_candidates(
        state,
        thresholds=thresholds,
        replacements=dict(mine),
        identities=symbol_identities(household),
    )


def location_hint_list(*, household: Household, today: date | None = None) -> list[LocationHint]:
    """Return the asset-location swaps that would lower the household's yearly tax."""
    return location_hints(rebalance_inputs(household=household, today=today))


def rebalance_trigger(
    *,
    household: Household,
    proposal: Proposal,
    today: date | None = None,
    policy: RebalancePolicy | None = None,
) -> RebalanceTrigger:
    """Return whether the household's trigger calls for a rebalance today.

    Threshold: due when a class is outside its band. Calendar: due in the first month of
    each cycle (every 3, 6 or 12 months from the start month), whatever the drift; a
    proposal on demand is always there.
    """
    today = today or household_today(household)
    policy = policy or rebalance_policy_get(household=household)
    if policy.trigger == RebalancePolicy.Trigger.CALENDAR:
        step = CALENDAR_MONTHS[policy.frequency]
        due = (today.month - policy.start_month) % step == 0
        months_left = (step - (today.month - policy.start_month) % step) % step
        following = date(
            today.year + (today.month - 1 + months_left) // 12,
            (today.month - 1 + months_left) % 12 + 1,
            1,
        )
        explanation = (
            f"Calendar ({policy.get_frequency_display().lower()}): due this month."
            if due
            else f"Calendar ({policy.get_frequency_display().lower()}): next due in "
            f"{following:%B %Y}."
        )
        return RebalanceTrigger(due, policy.trigger, explanation)
    outside = [o.label for o in proposal.outcomes if _outside(o)]
    if outside:
        return RebalanceTrigger(
            True,
            policy.trigger,
            f"Due: {', '.join(outside)} {'is' if len(outside) == 1 else 'are'} outside "
            f"{'its band' if len(outside) == 1 else 'their bands'}.",
        )
    return RebalanceTrigger(False, policy.trigger, "Every asset class is inside its band.")


def _outside(outcome) -> bool:
    return abs(outcome.before_weight - outcome.target) > outcome.band


@dataclass(frozen=True)
class RebalancingOverview:
    """What the allocation page shows of rebalancing, read once."""

    proposal: Proposal
    trigger: RebalanceTrigger
    new_money: Proposal | None
    withdrawal: Proposal | None
    harvest: list[HarvestCandidate]
    hints: list[LocationHint]
    policy: RebalancePolicy
    unknown_basis: list[UnknownBasis]  # taxable shares never offered for harvesting


def rebalancing_overview(
    *,
    household: Household,
    today: date | None = None,
    to_target: bool = False,
    new_money: Decimal | None = None,
    new_money_account: Account | None = None,
    withdrawal: Decimal | None = None,
) -> RebalancingOverview:
    """Return the rebalancing proposal, its trigger, the new-money and withdrawal proposals
    asked for, harvesting candidates and location hints, from one read of the household."""
    state = rebalance_inputs(household=household, today=today)
    policy = rebalance_policy_get(household=household)
    proposal = propose(state, Request(mode=Mode.REBALANCE, to_target=to_target))
    added = None
    if new_money:
        account_id = new_money_account.pk if new_money_account else None
        added = propose(
            state, Request(mode=Mode.NEW_MONEY, amount=new_money, account_id=account_id)
        )
    taken = propose(state, Request(mode=Mode.WITHDRAWAL, amount=withdrawal)) if withdrawal else None
    return RebalancingOverview(
        proposal=proposal,
        trigger=rebalance_trigger(
            household=household, proposal=proposal, today=state.today, policy=policy
        ),
        new_money=added,
        withdrawal=taken,
        harvest=_harvest(household, state, policy),
        hints=location_hints(state),
        policy=policy,
        unknown_basis=unknown_basis_positions(state),
    )
