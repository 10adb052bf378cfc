"""Reads that feed the income math: positions held, dividend history, option premium."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Min, OuterRef, Subquery, Sum

from income.calculations import (
    DividendEventInput,
    HoldingInput,
    IncomeSource,
    PositionHistory,
    PositionTxn,
    ReceivedIncome,
    detect_dividend_cuts,
)
from income.selectors.common import household_today, income_settings_get
from portfolios.models import (
    Account,
    DividendEvent,
    Household,
    LedgerState,
    Price,
    Security,
    TaxLot,
    Transaction,
)
from portfolios.selectors.securities import with_household_view

ZERO = Decimal(0)
PER_SHARE_STEP = Decimal("0.00000001")  # the precision of DividendEvent.amount
POSITION_TYPES = ("BUY", "SELL", "REINVEST", "TRANSFER", "SPLIT", "RETURN_OF_CAPITAL", "OPENING")
DIVIDEND_TYPES = ("DIVIDEND", "REINVEST")
# Distributions that are not part of a security's regular dividend pattern.
IRREGULAR_CLASSES = ("return_of_capital", "capital_gain")
POSITION_FIELDS = [field for field in PositionTxn.__dataclass_fields__]


@dataclass(frozen=True, slots=True)
class HeldPosition:
    """One security held in one account, with what the income pages show beside it."""

    holding: HoldingInput
    account_name: str
    security_name: str
    cost_basis: Decimal
    last_close: Decimal | None

    @property
    def market_value(self) -> Decimal | None:
        """Return quantity * the latest close, None without a price."""
        if self.last_close is None:
            return None
        return self.holding.quantity * self.last_close


@dataclass(frozen=True, slots=True)
class IncomeInputs:
    """Everything the projection needs about one household, read at once."""

    today: date
    positions: list[HeldPosition]
    dividend_events: list[DividendEventInput]
    option_premium: list[ReceivedIncome]
    symbols: dict[int, str]


def income_inputs(*, household: Household, today: date | None = None) -> IncomeInputs:
    """Return the household's positions, their dividend history and its option premium.

    1. Positions come from the ledger's open tax lots (quantity and cost summed per account
       and security, acquired = the earliest open lot). Before the ledger has been rebuilt,
       or while it is behind the transactions (`LedgerState.dirty_from`), they are replayed
       from the transactions instead (`PositionHistory`, average cost).
    2. Dividend history per held security: its `DividendEvent`s. A security without any
       event gets one inferred from each dividend the household received before today
       (reinvested ones too; return of capital and capital-gain distributions are not part
       of the pattern): per share = amount / shares the account held at the start of the pay
       date, ex-date unknown so taken as the pay date. One payment per pay date.
    3. Option premium: every OPTION_PREMIUM transaction, for the trailing average.
    """
    today = today or household_today(household)
    txns = list(
        Transaction.objects.filter(
            account__household=household,
            type__in=(*POSITION_TYPES, "DIVIDEND", "OPTION_PREMIUM"),
        )
        .order_by()
        .values(*POSITION_FIELDS, "income_class", "updated_at")
    )
    history = PositionHistory(
        PositionTxn(**{key: row[key] for key in POSITION_FIELDS})
        for row in txns
        if row["type"] in POSITION_TYPES
    )
    latest_change = max((row["updated_at"] for row in txns), default=None)
    open_positions = _open_positions(household, history, latest_change)
    security_ids = sorted({position[1] for position in open_positions})
    # Kind, name, dividend habits and qualified default are the household's own view.
    securities = {
        row["id"]: row
        for row in with_household_view(
            Security.objects.filter(pk__in=security_ids), household=household
        )
        .annotate(
            last_close=Subquery(
                Price.objects.filter(security=OuterRef("pk")).order_by("-date").values("close")[:1]
            )
        )
        .values(
            "id",
            "symbol",
            "coupon_rate",
            "face_value",
            "maturity",
            "coupon_frequency",
            "last_close",
            "view_name",
            "view_kind",
            "view_qualified_default",
            "view_dividend_frequency",
        )
    }
    account_names = dict(
        Account.objects.filter(household=household).values_list("id", "name").order_by()
    )
    positions = [
        _held_position(
            securities[security_id], account_id, account_names[account_id], quantity, cost, acquired
        )
        for account_id, security_id, quantity, cost, acquired in open_positions
    ]
    events = [
        DividendEventInput(
            security_id=row["security_id"],
            ex_date=row["ex_date"],
            pay_date=row["pay_date"],
            amount=row["amount"],
        )
        for row in DividendEvent.objects.filter(security_id__in=security_ids)
        .order_by("security_id", "ex_date")
        .values("security_id", "ex_date", "pay_date", "amount")
    ]
    with_events = {event.security_id for event in events}
    events += _inferred_events(txns, history, set(security_ids) - with_events, today=today)
    premium = [
        ReceivedIncome(
            pay_date=row["trade_date"],
            account_id=row["account_id"],
            security_id=row["security_id"],
            symbol="",
            source=IncomeSource.OPTION_PREMIUM,
            amount=row["amount"],
        )
        for row in txns
        if row["type"] == "OPTION_PREMIUM"
    ]
    symbols = {security_id: row["symbol"] for security_id, row in securities.items()}
    return IncomeInputs(today, positions, events, premium, symbols)


def _open_positions(
    household: Household, history: PositionHistory, latest_change: datetime | None
) -> list[tuple[int, int, Decimal, Decimal, date]]:
    """Return (account, security, quantity, cost, acquired) of each open position.

    The lots are trusted unless the ledger is marked dirty or a transaction changed after
    its last rebuild; then the transactions are replayed.
    """
    ledger = LedgerState.objects.filter(household=household).first()
    behind = ledger is not None and (
        ledger.dirty_from is not None
        or (
            ledger.rebuilt_at is not None
            and latest_change is not None
            and latest_change > ledger.rebuilt_at
        )
    )
    if not behind:
        lots = list(
            TaxLot.objects.filter(household=household, quantity__gt=0)
            .values("account_id", "security_id")
            .annotate(quantity=Sum("quantity"), cost=Sum("cost_basis"), acquired=Min("acquired"))
            .order_by("account_id", "security_id")
        )
        if lots or (ledger is not None and ledger.rebuilt_at is not None):
            return [
                (
                    lot["account_id"],
                    lot["security_id"],
                    lot["quantity"],
                    lot["cost"],
                    lot["acquired"],
                )
                for lot in lots
            ]
    return [
        (p.account_id, p.security_id, p.quantity, p.cost_basis, p.acquired)
        for p in history.open_positions()
    ]


def _held_position(
    security: dict,
    account_id: int,
    account_name: str,
    quantity: Decimal,
    cost: Decimal,
    acquired: date,
) -> HeldPosition:
    holding = HoldingInput(
        account_id=account_id,
        security_id=security["id"],
        symbol=security["symbol"],
        kind=security["view_kind"],
        quantity=quantity,
        qualified_default=security["view_qualified_default"],
        dividend_frequency=security["view_dividend_frequency"] or None,
        coupon_rate=security["coupon_rate"],
        face_value=security["face_value"],
        maturity=security["maturity"],
        coupon_frequency=security["coupon_frequency"],
        acquired=acquired,
    )
    return HeldPosition(holding, account_name, security["view_name"], cost, security["last_close"])


def _inferred_events(
    txns: list[dict], history: PositionHistory, security_ids: set[int], *, today: date
) -> list[DividendEventInput]:
    """Return per-share dividends inferred from the household's own received dividends."""
    inferred: dict[tuple[int, date], DividendEventInput] = {}
    for row in sorted(txns, key=lambda row: (row["trade_date"], row["account_id"], row["id"])):
        security_id, pay_date = row["security_id"], row["trade_date"]
        if (
            row["type"] not in DIVIDEND_TYPES
            or security_id not in security_ids
            or row["income_class"] in IRREGULAR_CLASSES
            or pay_date >= today
            or (security_id, pay_date) in inferred
        ):
            continue
        shares = history.quantity_before(row["account_id"], security_id, pay_date)
        if shares <= 0 or row["amount"] <= 0:
            continue
        inferred[(security_id, pay_date)] = DividendEventInput(
            security_id=security_id,
            ex_date=pay_date,
            pay_date=pay_date,
            amount=(row["amount"] / shares).quantize(PER_SHARE_STEP),
        )
    return list(inferred.values())


@dataclass(frozen=True, slots=True)
class DividendCutRow:
    """A held security whose latest dividend per share was cut."""

    security_id: int
    symbol: str
    previous_amount: Decimal
    latest_amount: Decimal
    change: Decimal


def dividend_cuts(*, household: Household, today: date | None = None) -> list[DividendCutRow]:
    """Return the household's held securities whose latest dividend fell by the threshold.

    The threshold is the household's income setting (default 10%); see
    `detect_dividend_cuts` for the rule. For the alerts app and the income page.
    """
    inputs = income_inputs(household=household, today=today)
    threshold = income_settings_get(household=household).cut_threshold
    return [
        DividendCutRow(
            cut.security_id,
            inputs.symbols.get(cut.security_id, ""),
            cut.previous_amount,
            cut.latest_amount,
            cut.change,
        )
        for cut in detect_dividend_cuts(inputs.dividend_events, threshold=threshold)
    ]


def events_by_security(events: list[DividendEventInput]) -> dict[int, list[DividendEventInput]]:
    """Return the dividend events grouped per security."""
    grouped: dict[int, list[DividendEventInput]] = defaultdict(list)
    for event in events:
        grouped[event.security_id].append(event)
    return grouped
