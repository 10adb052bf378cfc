"""Tax-loss harvesting candidates, one per position. Pure: stdlib and ``Decimal``.

A candidate is the loss lots of one security in one taxable account: selling them (by
specific identification, the ``lots`` column) realizes the loss without touching the lots at
a gain. The household sets the thresholds (a loss of at least an amount and a percentage of
its cost) and the map of replacements it considers not substantially identical; without one
of its own, a built-in suggestion is offered, marked as such.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from portfolios.calculations.position_values import lot_values
from portfolios.calculations.rebalancing.lots import cents, lots_text, take_shares
from portfolios.calculations.rebalancing.types import (
    ZERO,
    HouseholdState,
    LotState,
    UnknownBasis,
    WashEvent,
)

CAUTION = (
    "The household decides what is substantially identical: Hearth only knows the identity "
    "groups and replacements you set. Funds from different issuers that track the same or a "
    "very similar index may be judged substantially identical."
)

# Common alternatives that track a different index than the fund they replace. Suggestions
# only, shown with CAUTION; the household's own map comes first.
SUGGESTED_REPLACEMENTS = {
    "VTI": "SCHB",
    "ITOT": "SCHB",
    "SCHB": "VTI",
    "VOO": "VV",
    "IVV": "VV",
    "SPY": "VV",
    "VV": "VOO",
    "VXUS": "IXUS",
    "IXUS": "VXUS",
    "VEA": "IEFA",
    "IEFA": "VEA",
    "VWO": "IEMG",
    "IEMG": "VWO",
    "BND": "IUSB",
    "AGG": "IUSB",
    "IUSB": "BND",
    "QQQ": "SCHG",
    "VUG": "SCHG",
    "SCHG": "VUG",
    "VGT": "XLK",
    "XLK": "VGT",
    "SCHD": "VYM",
    "VYM": "SCHD",
    "VNQ": "SCHH",
    "SCHH": "VNQ",
    "VTV": "SCHV",
    "SCHV": "VTV",
    "VB": "SCHA",
    "SCHA": "VB",
}
PCT_STEP = Decimal("0.0001")


@dataclass(frozen=True)
class HarvestThresholds:
    min_loss: Decimal = ZERO  # dollars
    min_loss_pct: Decimal = ZERO  # fraction of the lots' cost


@dataclass(frozen=True)
class HarvestCandidate:
    """The loss lots of one position, and what stands in the way of selling them."""

    account: str
    symbol: str
    asset_class: str
    quantity: Decimal
    cost_basis: Decimal
    market_value: Decimal
    loss: Decimal  # positive
    loss_pct: Decimal  # loss / cost_basis
    short_term_loss: Decimal
    long_term_loss: Decimal
    tax_saved: Decimal
    lots: str  # "ID:QTY;…" for specific identification
    wash_sale_conflicts: list[str] = field(default_factory=list)
    replacement: str = ""
    replacement_source: str = ""  # "yours" | "suggested" | ""
    caution: str = CAUTION


def harvest_candidates(
    state: HouseholdState,
    *,
    thresholds: HarvestThresholds = HarvestThresholds(),
    replacements: dict[str, list[str]] | None = None,
    identities: dict[str, str] | None = None,
) -> list[HarvestCandidate]:
    """Return the positions whose loss lots clear both thresholds, largest loss first.

    1. Per (taxable account, security): the lots worth less than their basis today.
    2. Loss = Σ (basis − value), each lot worth its share of the position's value to the
       cent (``lot_values``, as the lots page); tax saved = Σ loss × the household's short-
       or long-term rate.
    3. Wash-sale conflicts: identical shares bought in the last 30 days in any account (not
       the candidate's own lots) and dividend reinvestments due in the next 30 days.
    4. Replacement: the household's first alternative for the symbol that is not in the same
       identity group, else a suggestion. ``identities`` gives the wash-sale key of symbols
       the household does not hold (members of its identity groups).
    """
    replacements = replacements or {}
    rates = state.policy.rates
    accounts = {a.id: a for a in state.accounts}
    by_symbol_identity = dict(identities or {})
    by_symbol_identity.update({s.symbol: s.identity for s in state.securities.values()})
    events: dict[str, list[WashEvent]] = defaultdict(list)
    for event in (*state.purchases, *state.reinvestments):
        events[event.identity].append(event)
    held: dict[tuple[int, int], list[LotState]] = defaultdict(list)
    for lot in state.lots:
        account = accounts.get(lot.account_id)
        security = state.securities.get(lot.security_id)
        if account is None or security is None or not account.taxable:
            continue
        held[(lot.account_id, lot.security_id)].append(lot)
    # A lot is worth its share of the position's value (``lot_values``), as on the lots page.
    positions: dict[tuple[int, int], list[tuple[LotState, Decimal]]] = {}
    for key, lots in held.items():
        lots.sort(key=lambda lot: (lot.acquired, lot.uid))
        price = state.securities[key[1]].price
        valued = zip(lots, lot_values((lot.quantity for lot in lots), price), strict=True)
        losing = [
            (lot, value) for lot, value in valued if lot.basis_known and value < lot.cost_basis
        ]
        if losing:
            positions[key] = losing
    found = []
    for (account_id, security_id), losing in positions.items():
        security = state.securities[security_id]
        lots = [lot for lot, _ in losing]
        quantity = sum((lot.quantity for lot in lots), ZERO)
        pieces = take_shares(lots, quantity, security.price, taxable=True, rates=rates)
        cost = sum((lot.cost_basis for lot in lots), ZERO)
        value = sum((value for _, value in losing), ZERO)
        short = sum((lot.cost_basis - v for lot, v in losing if lot.term == "short"), ZERO)
        long = sum((lot.cost_basis - v for lot, v in losing if lot.term == "long"), ZERO)
        loss = cents(short + long)
        loss_pct = (loss / cost).quantize(PCT_STEP, ROUND_HALF_UP) if cost > 0 else ZERO
        if loss < thresholds.min_loss or loss_pct < thresholds.min_loss_pct or loss <= 0:
            continue
        own = {lot.opening_transaction_id for lot in lots}
        conflicts = sorted(
            (e.day, e.label)
            for e in events.get(security.identity, ())
            if not e.transaction_id or e.transaction_id not in own
        )
        replacement, source = _replacement(
            security.symbol, security.identity, replacements, by_symbol_identity
        )
        found.append(
            HarvestCandidate(
                account=accounts[account_id].name,
                symbol=security.symbol,
                asset_class=security.asset_class,
                quantity=quantity,
                cost_basis=cents(cost),
                market_value=value,
                loss=loss,
                loss_pct=loss_pct,
                short_term_loss=cents(short),
                long_term_loss=cents(long),
                tax_saved=cents(short * rates.short_term + long * rates.long_term),
                lots=lots_text(pieces),
                wash_sale_conflicts=[label for _, label in conflicts],
                replacement=replacement,
                replacement_source=source,
            )
        )
    found.sort(key=lambda c: (-c.loss, c.account, c.symbol))
    return found


def unknown_basis_positions(state: HouseholdState) -> list[UnknownBasis]:
    """Return the shares of unknown basis per taxable position: never harvest candidates,
    since whether they stand at a loss is not known until the household enters the basis."""
    accounts = {a.id: a for a in state.accounts}
    shares: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for lot in state.lots:
        account = accounts.get(lot.account_id)
        if account is None or not account.taxable or lot.basis_known:
            continue
        if lot.security_id in state.securities:
            shares[(lot.account_id, lot.security_id)] += lot.quantity
    found = [
        UnknownBasis(accounts[a].name, state.securities[s].symbol, quantity)
        for (a, s), quantity in shares.items()
    ]
    return sorted(found, key=lambda item: (item.account, item.symbol))


def _replacement(
    symbol: str,
    identity: str,
    mine: dict[str, list[str]],
    identities: dict[str, str],
) -> tuple[str, str]:
    """Return the first alternative not substantially identical by the household's own
    identity groups: its own map first, then the suggestions."""
    for source, options in (("yours", mine.get(symbol, [])), ("suggested", _suggested(symbol))):
        for option in options:
            if option != symbol and identities.get(option) != identity:
                return option, source
    return "", ""


def _suggested(symbol: str) -> list[str]:
    option = SUGGESTED_REPLACEMENTS.get(symbol)
    return [option] if option else []
