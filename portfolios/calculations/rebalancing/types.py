"""What the rebalancing optimiser reads and what it proposes. Pure: stdlib and ``Decimal``.

Money and quantities are ``Decimal``; rates, targets and bands are fractions (0.2 = 20%).
The selectors in ``portfolios/selectors/rebalancing.py`` fill these from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)


class Mode(StrEnum):
    REBALANCE = "rebalance"
    NEW_MONEY = "new_money"
    WITHDRAWAL = "withdrawal"


class Treatment(StrEnum):
    TAXABLE = "taxable"
    TAX_DEFERRED = "tax_deferred"
    TAX_EXEMPT = "tax_exempt"


@dataclass(frozen=True)
class GroupTarget:
    """A target weight and the band around it, as fractions of the household's total."""

    target: Decimal
    band: Decimal


@dataclass(frozen=True)
class AccountState:
    """One account: its cash and the rules the proposal must respect there."""

    id: int
    name: str
    treatment: str  # Treatment
    cash: Decimal
    floor: Decimal = ZERO  # cash the household keeps in the account
    sleeve: str | None = None
    is_cash_account: bool = False  # the emergency reserve: never traded, never spent
    plan_menu_only: bool = False  # a 401(k)/403(b): buys only what it already holds
    accepts_new_money: bool = False  # "wherever it is best" may deposit here
    closed: bool = False  # closed by the household: nothing goes in or out

    @property
    def taxable(self) -> bool:
        return self.treatment == Treatment.TAXABLE


@dataclass(frozen=True)
class SecurityState:
    """A security the household holds, valued at its latest close."""

    id: int
    symbol: str
    asset_class: str
    price: Decimal
    identity: str  # wash-sale key: securities sharing it are substantially identical
    fractional: bool = False  # funds trade in dollars (fractional shares); others in shares
    income_yield: Decimal = ZERO  # distributions of the last 12 months / price
    ordinary_income: bool = False  # distributions taxed as ordinary income (bonds, REITs)


@dataclass(frozen=True)
class LotState:
    """An open tax lot; ``ref`` is what a broker import's ``lots`` column names it by."""

    ref: str
    account_id: int
    security_id: int
    quantity: Decimal
    cost_basis: Decimal
    acquired: date
    term: str  # "short" | "long" if sold today
    opening_transaction_id: int = 0
    key: str = ""  # unique per lot (pieces of one purchase share their ``ref``)
    # False for a lot carried in with unknown basis (an OPENING without an amount):
    # ``cost_basis`` is then 0 and means "not known", so its gain and tax are not known.
    basis_known: bool = True

    @property
    def uid(self) -> str:
        return self.key or self.ref


@dataclass(frozen=True)
class WashEvent:
    """A purchase in the last 30 days, a loss sale in the last 30 days, or a dividend
    reinvestment expected in the next 30 days: each can turn a loss into a wash sale."""

    identity: str
    account_id: int
    day: date
    label: str  # "Carol IRA XYZ 2025-05-23 2"
    transaction_id: int = 0


@dataclass(frozen=True)
class Rates:
    """Tax rates as fractions, federal and state together."""

    short_term: Decimal
    long_term: Decimal
    ordinary: Decimal
    qualified: Decimal

    def on_gain(self, term: str) -> Decimal:
        return self.long_term if term == "long" else self.short_term


@dataclass(frozen=True)
class Policy:
    targets: dict[str, GroupTarget]  # per asset class
    sleeve_targets: dict[str, GroupTarget] = field(default_factory=dict)
    min_trade: Decimal = ZERO
    reserve: Decimal = ZERO  # cash the household never spends: months × monthly need
    rates: Rates = Rates(ZERO, ZERO, ZERO, ZERO)
    labels: dict[str, str] = field(default_factory=dict)  # asset class -> words people read

    def label(self, asset_class: str) -> str:
        return self.labels.get(asset_class, asset_class.replace("_", " "))


@dataclass(frozen=True)
class HouseholdState:
    """Everything the optimiser needs about one household on one day."""

    today: date
    accounts: tuple[AccountState, ...]
    securities: dict[int, SecurityState]
    positions: dict[tuple[int, int], Decimal]  # (account, security) -> market value
    lots: tuple[LotState, ...]
    policy: Policy
    purchases: tuple[WashEvent, ...] = ()  # BUY/REINVEST of the last 30 days, any account
    loss_sales: tuple[WashEvent, ...] = ()  # taxable sales at a loss of the last 30 days
    reinvestments: tuple[WashEvent, ...] = ()  # dividend reinvestments due in 30 days
    other_value: Decimal = ZERO  # holdings with no target (or no price): counted in the total

    @property
    def cash(self) -> Decimal:
        return sum((a.cash for a in self.accounts), ZERO)

    @property
    def total(self) -> Decimal:
        return self.cash + sum(self.positions.values(), ZERO) + self.other_value

    def class_values(self) -> dict[str, Decimal]:
        values: dict[str, Decimal] = dict.fromkeys(self.policy.targets, ZERO)
        for (_, security_id), value in self.positions.items():
            asset_class = self.securities[security_id].asset_class
            values[asset_class] = values.get(asset_class, ZERO) + value
        return values


@dataclass(frozen=True)
class Request:
    """What the household asks for: a rebalance, adding money, or taking some out."""

    mode: str = Mode.REBALANCE
    amount: Decimal = ZERO  # new money or the withdrawal
    account_id: int | None = None  # new money: the account it goes to (None: where best)
    to_target: bool = False  # bring every class to target, not only those outside bands


@dataclass
class ProposalRow:
    """One instruction: a deposit, a sale (lot by lot), a purchase, or a withdrawal."""

    account: str
    action: str  # deposit | sell | buy | withdraw
    symbol: str
    asset_class: str
    quantity: Decimal | None
    amount: Decimal
    lots: str = ""  # sells: "ID:QTY;ID:QTY", as a broker import's specific identification
    estimated_gain: Decimal | None = ZERO  # None: some shares sold have an unknown basis
    estimated_tax: Decimal = ZERO
    reason: str = ""
    account_id: int = 0
    security_id: int | None = None
    basis_unknown: bool = False  # a sale takes shares whose cost basis is not known


@dataclass(frozen=True)
class UnknownBasis:
    """Shares of unknown basis in a taxable account that a proposal leaves unsold: their
    gain, so the tax of selling them, is not known until the household enters the basis."""

    account: str
    symbol: str
    quantity: Decimal


@dataclass(frozen=True)
class ClassOutcome:
    """An asset class before and after the proposal."""

    asset_class: str
    label: str
    before: Decimal
    before_weight: Decimal
    after: Decimal
    after_weight: Decimal
    target: Decimal
    band: Decimal
    status: str  # ok | over | under, after the proposal


@dataclass
class Proposal:
    rows: list[ProposalRow]
    problems: list[str]  # bands that cannot be met, and why
    outcomes: list[ClassOutcome]
    naive_tax: Decimal | None = None  # a proportional rebalance of the same drift
    needed: bool = True  # False: every class is inside its band, nothing to do
    unknown_basis: list[UnknownBasis] = field(default_factory=list)  # not offered for sale

    @property
    def estimated_tax(self) -> Decimal:
        return sum((row.estimated_tax for row in self.rows), ZERO)

    @property
    def trades(self) -> int:
        return sum(1 for row in self.rows if row.action in ("buy", "sell"))
