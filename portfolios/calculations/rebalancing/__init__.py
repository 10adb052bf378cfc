"""Tax-aware rebalancing, new money, withdrawals, harvesting and asset location.

Pure: no ORM. Decimal in and out; floats only inside the solver (``solver.py``). The
selectors in ``portfolios/selectors/rebalancing.py`` build a ``HouseholdState`` from the
database and call ``propose``, ``harvest_candidates`` and ``location_hints``.
"""

from portfolios.calculations.rebalancing.harvest import (
    CAUTION,
    HarvestCandidate,
    HarvestThresholds,
    harvest_candidates,
    unknown_basis_positions,
)
from portfolios.calculations.rebalancing.location import LocationHint, location_hints
from portfolios.calculations.rebalancing.naive import naive_tax
from portfolios.calculations.rebalancing.proposal import propose
from portfolios.calculations.rebalancing.types import (
    AccountState,
    ClassOutcome,
    GroupTarget,
    HouseholdState,
    LotState,
    Mode,
    Policy,
    Proposal,
    ProposalRow,
    Rates,
    Request,
    SecurityState,
    Treatment,
    UnknownBasis,
    WashEvent,
)

__all__ = [
    "CAUTION",
    "AccountState",
    "ClassOutcome",
    "GroupTarget",
    "HarvestCandidate",
    "HarvestThresholds",
    "HouseholdState",
    "LocationHint",
    "LotState",
    "Mode",
    "Policy",
    "Proposal",
    "ProposalRow",
    "Rates",
    "Request",
    "SecurityState",
    "Treatment",
    "UnknownBasis",
    "WashEvent",
    "harvest_candidates",
    "location_hints",
    "naive_tax",
    "propose",
    "unknown_basis_positions",
]
