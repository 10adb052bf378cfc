"""Reads that feed the income math: positions held, dividend history, option premium."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import F, Max, Min, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

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
    Security,
    TaxLot,
    Transaction,
)
from portfolios.selectors.as_of import position_value
from portfolios.selectors.ledger import closes_on
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
        """Return quantity × the close of the household's as-of to the cent (as the
        holdings page), None without a price."""
        return position_value(self.holding.quantity, self.last_close)


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
    transactions = Transaction.objects.filter(account__household=household).order_by()
    open_positions = _held(household, transactions)
    security_ids = sorted({position[1] for position in open_positions})
    # Kind, name, dividend habits and qualified default are the household's own view.
    securities = {
        row["id"]: row
        for row in with_household_view(
            Security.objects.filter(pk__in=security_ids), household=household
        ).values(
            "id",
            "symbol",
            "coupon_rate",
            "face_value",
            "maturity",
            "coupon_frequency",
            "view_name",
            "view_kind",
            "view_qualified_default",
            "view_dividend_frequency",
        )
    }
    # The close the holdings page values at: on or before today, else the first one.
    closes = closes_on(security_ids=security_ids, as_of=today)
    for security_id, row in securities.items():
        row["last_close"] = closes.get(security_id)
    account_names = dict(
        Account.objects.filter(household=household).values_list("id", "name").order_by()
    )
    positions = [
        _held_position(
            securities[security_id], account_id, account_names[account_id], quantity, cost, acquired
        )
        for account_id, security_id, quantity, cost, acquired in open_positions
    ]
    events = _dividend_events(transactions, security_ids, today=today)
    premium = [
        ReceivedIncome(
            pay_date=row["trade_date"],
            account_id=row["account_id"],
            security_id=row["security_id"],
            symbol="",
            source=IncomeSource.OPTION_PREMIUM,
            amount=row["amount"],
        )
        for row in _rows(transactions, ("OPTION_PREMIUM",))
    ]
    symbols = {security_id: row["symbol"] for security_id, row in securities.items()}
    return IncomeInputs(today, positions, events, premium, symbols)


def _held(
    household: Household, transactions: QuerySet[Transaction]
) -> list[tuple[int, int, Decimal, Decimal, date]]:
    """Return (account, security, quantity, cost, acquired) of each open position: from the
    ledger's lots when they are current, else replayed from the transactions."""
    latest_change = transactions.aggregate(latest=Max("updated_at"))["latest"]
    open_positions = _open_positions(household, latest_change)
    if open_positions is None:
        history = PositionHistory(_position_txns(_rows(transactions, POSITION_TYPES)))
        open_positions = [
            (p.account_id, p.security_id, p.quantity, p.cost_basis, p.acquired)
            for p in history.open_positions()
        ]
    return open_positions


def _dividend_events(
    transactions: QuerySet[Transaction],
    security_ids: list[int],
    *,
    today: date,
    latest: int | None = None,
) -> list[DividendEventInput]:
    """Return the securities' dividend events, else (a security without any) the events
    inferred from the household's dividends (``income_inputs`` step 2).

    With `latest`, only each security's last `latest` events by ex-date then pay date are
    read (ranked in the database; the latest stored wins a tie).
    """
    found = DividendEvent.objects.filter(security_id__in=security_ids)
    if latest is not None:
        found = found.annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("security_id"),
                order_by=[F("ex_date").desc(), F("pay_date").desc(), F("pk").desc()],
            )
        ).filter(rank__lte=latest)
    events = [
        DividendEventInput(
            security_id=row["security_id"],
            ex_date=row["ex_date"],
            pay_date=row["pay_date"],
            amount=row["amount"],
        )
        for row in found.order_by("security_id", "ex_date").values(
            "security_id", "ex_date", "pay_date", "amount"
        )
    ]
    without_events = set(security_ids) - {event.security_id for event in events}
    paid = (
        _rows(transactions.filter(security_id__in=without_events), DIVIDEND_TYPES)
        if without_events
        else []
    )
    if paid:
        # Only the securities that paid the household need their share counts replayed.
        payers = {row["security_id"] for row in paid}
        rows = _rows(transactions.filter(security_id__in=payers), POSITION_TYPES)
        history = PositionHistory(_position_txns(rows))
        events += _inferred_events(paid, history, without_events, today=today)
    return events


def _rows(transactions, types: tuple[str, ...]) -> list[dict]:
    """Return the rows of the given types as dicts of ``POSITION_FIELDS`` and income class."""
    return list(transactions.filter(type__in=types).values(*POSITION_FIELDS, "income_class"))


def _position_txns(rows: list[dict]) -> list[PositionTxn]:
    return [PositionTxn(**{key: row[key] for key in POSITION_FIELDS}) for row in rows]


def _open_positions(
    household: Household, latest_change: datetime | None
) -> list[tuple[int, int, Decimal, Decimal, date]] | None:
    """Return (account, security, quantity, cost, acquired) of each open position from the
    ledger's lots, or None when the transactions must be replayed instead.

    The lots are trusted unless the ledger is marked dirty or a transaction changed after
    its last rebuild.
    """
    # The two dates only: the state's digests are ~100 KB of JSON on a heavy household.
    ledger = (
        LedgerState.objects.filter(household=household).values("dirty_from", "rebuilt_at").first()
    )
    rebuilt_at = ledger["rebuilt_at"] if ledger is not None else None
    behind = ledger is not None and (
        ledger["dirty_from"] is not None
        or (rebuilt_at is not None and latest_change is not None and latest_change > rebuilt_at)
    )
    if not behind:
        lots = list(
            TaxLot.objects.filter(household=household, quantity__gt=0)
            .values("account_id", "security_id")
            .annotate(quantity=Sum("quantity"), cost=Sum("cost_basis"), acquired=Min("acquired"))
            .order_by("account_id", "security_id")
        )
        if lots or rebuilt_at is not None:
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
    return None


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
    """Return per-share dividends inferred from the household's own received dividends
    (``txns``: its dividend rows; ``history``: the positions of the securities paying them)."""
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
    today = today or household_today(household)
    transactions = Transaction.objects.filter(account__household=household).order_by()
    security_ids = sorted({position[1] for position in _held(household, transactions)})
    # Only the last two events of each security decide (``detect_dividend_cuts``).
    events = _dividend_events(transactions, security_ids, today=today, latest=2)
    threshold = income_settings_get(household=household).cut_threshold
    cuts = detect_dividend_cuts(events, threshold=threshold)
    symbols = dict(
        Security.objects.filter(pk__in=[cut.security_id for cut in cuts]).values_list(
            "id", "symbol"
        )
    )
    return [
        DividendCutRow(
            cut.security_id,
            symbols.get(cut.security_id, ""),
            cut.previous_amount,
            cut.latest_amount,
            cut.change,
        )
        for cut in cuts
    ]


def events_by_security(events: list[DividendEventInput]) -> dict[int, list[DividendEventInput]]:
    """Return the dividend events grouped per security."""
    grouped: dict[int, list[DividendEventInput]] = defaultdict(list)
    for event in events:
        grouped[event.security_id].append(event)
    return grouped
