"""Reads of the derived ledger: holdings, open lots and realized gains of one household.

Holdings and lots are valued at the latest close on or before the valuation date (by
default the household's as-of, ``portfolios.selectors.as_of.household_today``); before a
security's first close, at its first close (DESIGN §7 "Valuation"); a security without any
close has no market value (and no weight or unrealized gain).

A position (one security in one account) is worth quantity × close rounded once to the
cent; its open lots share that value by cumulative rounding (each lot gets the rounded
value of the lots up to it less that of the lots before it), so the lots of a position add
up to the position's value, and their unrealized gains to its unrealized gain, exactly.

``weight`` is a holding's share of the household's total value on that date: the market
value of every holding plus the cash of every account. Holdings' weights therefore add up
to 1 less the cash share. It is a fraction (0.25 = 25%) rounded to 6 places.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from portfolios.calculations.lot_rules import term
from portfolios.calculations.lots import build_ledger
from portfolios.models import (
    Account,
    Household,
    LedgerState,
    LotRelief,
    Price,
    Security,
    TaxLot,
    Transaction,
)
from portfolios.selectors.accounts import account_cash_balances
from portfolios.selectors.as_of import household_today, lot_values, position_value
from portfolios.selectors.ledger_inputs import (
    ledger_inputs,
    ledger_txns,
    lot_selection_targets,
    transaction_rows,
)
from portfolios.selectors.securities import security_profiles

ZERO = Decimal(0)
WEIGHT_STEP = Decimal("0.000001")


@dataclass(frozen=True)
class Holding:
    """Shares of one security in one account (or in all accounts, when consolidated)."""

    account_id: int | None  # None when consolidated
    account: str | None
    security_id: int
    symbol: str
    name: str
    asset_class: str
    sleeve: str | None  # the account's default sleeve; None when accounts disagree
    quantity: Decimal
    cost_basis: Decimal
    price: Decimal | None
    market_value: Decimal | None
    unrealized_gain: Decimal | None
    weight: Decimal | None
    # Some of its shares were opened with unknown basis: cost_basis is only the known part
    # and there is no unrealized gain (unknown, never counted as zero cost).
    basis_unknown: bool = False


@dataclass(frozen=True)
class HoldingsReport:
    """Holdings on a date with the totals their weights are shares of."""

    as_of: date
    holdings: list[Holding]
    invested: Decimal  # market value of every priced holding of the household
    cash: Decimal
    cost_basis: Decimal  # of the holdings listed
    cash_by_account: dict[int, Decimal]  # every account of the household, by id

    @property
    def total(self) -> Decimal:
        return self.invested + self.cash


@dataclass(frozen=True)
class OpenLot:
    """An open tax lot valued at the latest close."""

    lot: TaxLot
    price: Decimal | None
    market_value: Decimal | None
    unrealized_gain: Decimal | None  # None without a price, or when the basis is unknown
    term: str  # "short" | "long" if sold on the valuation date

    @property
    def basis_unknown(self) -> bool:
        return self.lot.basis_unknown


def holdings_report(
    *,
    household: Household,
    as_of: date | None = None,
    consolidated: bool = False,
    account: Account | None = None,
    symbol: str | None = None,
    cash_by_account: Mapping[int, Decimal] | None = None,
) -> HoldingsReport:
    """Return the household's holdings on ``as_of`` (default the household's today).

    ``cash_by_account`` is every account's cash today when the caller already has it (the
    stored valuation series, as new as the ledger): it saves the grouped query over every
    transaction. It is ignored for a date before the last transaction.

    1. Positions: the stored lots when no transaction is dated after ``as_of``; otherwise the
       lot engine replays the transactions up to ``as_of`` (a past date shows what was held
       then, with wash-sale adjustments known by then).
    2. Values: quantity × the close on or before ``as_of`` (see the module docstring).
    3. Weights: of every holding and every account's cash, whatever the filters.
    """
    as_of = as_of or household_today(household)
    positions, cash_by_account = _positions(household, as_of, cash_by_account)
    cash = sum(cash_by_account.values(), ZERO)
    # The household's own view of each security: its name and asset class, not another's.
    securities = security_profiles(
        household=household, security_ids={security for _, security in positions}
    )
    prices = closes_on(security_ids=securities, as_of=as_of)
    accounts = {
        a.pk: a
        for a in Account.objects.filter(household=household).select_related("default_sleeve")
    }

    values = {key: position_value(held[0], prices.get(key[1])) for key, held in positions.items()}
    invested = sum((v for v in values.values() if v is not None), ZERO)
    total = invested + cash

    rows: dict[tuple[int | None, int], list] = defaultdict(
        lambda: [ZERO, ZERO, ZERO, set(), True, False]
    )
    for (account_id, security_id), (quantity, cost, unknown) in positions.items():
        if account is not None and account_id != account.pk:
            continue
        if symbol and securities[security_id].symbol.upper() != symbol.strip().upper():
            continue
        row = rows[(None if consolidated else account_id, security_id)]
        row[0] += quantity
        row[1] += cost
        value = values[(account_id, security_id)]
        row[2] = row[2] + value if value is not None else row[2]
        row[3].add(_sleeve(accounts[account_id]))
        row[4] = row[4] and value is not None
        row[5] = row[5] or unknown

    holdings = []
    for (account_id, security_id), values_of in rows.items():
        quantity, cost, value, sleeves, priced, unknown = values_of
        security = securities[security_id]
        market_value = value if priced else None
        holdings.append(
            Holding(
                account_id=account_id,
                account=accounts[account_id].name if account_id is not None else None,
                security_id=security_id,
                symbol=security.symbol,
                name=security.name,
                asset_class=security.asset_class,
                sleeve=next(iter(sleeves)) if len(sleeves) == 1 else None,
                quantity=quantity,
                cost_basis=cost,
                price=prices.get(security_id),
                market_value=market_value,
                unrealized_gain=(
                    market_value - cost if market_value is not None and not unknown else None
                ),
                weight=_weight(market_value, total),
                basis_unknown=unknown,
            )
        )
    holdings.sort(key=lambda h: (h.account or "", h.symbol, h.security_id))
    return HoldingsReport(
        as_of=as_of,
        holdings=holdings,
        invested=invested,
        cash=cash,
        cost_basis=sum((h.cost_basis for h in holdings), ZERO),
        cash_by_account=cash_by_account,
    )


# Of the related rows, the columns the lot pages, the API and the alert facts read.
OPEN_LOT_RELATED_FIELDS = (
    "account__name",
    "account__type",
    "account__household",
    "security__symbol",
    "security__name",
    "opening_transaction__external_id",
    "opening_transaction__account",
)


def open_lots_list(
    *,
    household: Household,
    account: Account | None = None,
    symbol: str | None = None,
    security: Security | None = None,
    today: date | None = None,
) -> list[OpenLot]:
    """Return the household's open lots valued at the close of ``today`` (default the
    household's today), with their term if sold today, by account, symbol and acquisition.

    The lots of one position share its value by cumulative rounding (module docstring).
    """
    today = today or household_today(household)
    lots = (
        _open_lots(household, account, symbol, security)
        .select_related("account", "security", "opening_transaction")
        # The columns the lot pages, the API and the alert facts read: thousands of lots
        # build four model instances each, so only these are loaded (others load on access).
        .only(*(f.name for f in TaxLot._meta.concrete_fields), *OPEN_LOT_RELATED_FIELDS)
    )
    lots = list(lots)
    prices = closes_on(security_ids={lot.security_id for lot in lots}, as_of=today)
    keys = [(x.pk, x.account_id, x.security_id, x.acquired, x.lot_key, x.quantity) for x in lots]
    shares = _lot_shares(keys, prices)
    result = []
    for lot in lots:
        price = prices.get(lot.security_id)
        value = shares.get(lot.pk)
        result.append(
            OpenLot(
                lot=lot,
                price=price,
                market_value=value,
                unrealized_gain=(
                    value - lot.cost_basis if value is not None and not lot.basis_unknown else None
                ),
                term=term(lot.holding_period_start, today),
            )
        )
    return result


@dataclass(frozen=True)
class OpenLotRow:
    """An open lot as plain columns (no model instances), valued as ``open_lots_list``
    values it: for rows by the thousand (the lots CSV)."""

    account: str
    symbol: str
    name: str  # the security's reference name, as the lot pages show it
    acquired: date
    holding_period_start: date
    quantity: Decimal
    cost_basis: Decimal
    basis_unknown: bool
    wash_sale_adjustment: Decimal
    opened_by: str
    account_id: int
    security_id: int
    market_value: Decimal | None
    unrealized_gain: Decimal | None
    term: str


def open_lot_rows(
    *,
    household: Household,
    account: Account | None = None,
    symbol: str | None = None,
    today: date | None = None,
) -> list[OpenLotRow]:
    """Return the same lots, values and order as ``open_lots_list``, as plain rows."""
    today = today or household_today(household)
    rows = list(
        _open_lots(household, account, symbol, None).values_list(
            "pk",
            "account_id",
            "security_id",
            "acquired",
            "lot_key",
            "quantity",
            "account__name",
            "security__symbol",
            "holding_period_start",
            "cost_basis",
            "basis_unknown",
            "wash_sale_adjustment",
            "opening_transaction__external_id",
            "security__name",
        )
    )
    prices = closes_on(security_ids={row[2] for row in rows}, as_of=today)
    shares = _lot_shares((row[:6] for row in rows), prices)
    terms: dict[date, str] = {}
    result = []
    for row in rows:
        pk, account_id, security_id, acquired, _, quantity, name, ticker, start = row[:9]
        cost, unknown, adjustment, opened_by, security_name = row[9:]
        value = shares.get(pk)
        if start not in terms:
            terms[start] = term(start, today)
        result.append(
            OpenLotRow(
                account=name,
                symbol=ticker,
                name=security_name,
                acquired=acquired,
                holding_period_start=start,
                quantity=quantity,
                cost_basis=cost,
                basis_unknown=unknown,
                wash_sale_adjustment=adjustment,
                opened_by=opened_by,
                account_id=account_id,
                security_id=security_id,
                market_value=value,
                unrealized_gain=value - cost if value is not None and not unknown else None,
                term=terms[start],
            )
        )
    return result


def _open_lots(
    household: Household,
    account: Account | None,
    symbol: str | None,
    security: Security | None,
) -> QuerySet[TaxLot]:
    """Return the household's open lots by account name, symbol, acquisition and key."""
    lots = TaxLot.objects.filter(household=household, quantity__gt=0)
    if account is not None:
        lots = lots.filter(account=account)
    if symbol:
        lots = lots.filter(security__symbol__iexact=symbol.strip())
    if security is not None:
        lots = lots.filter(security=security)
    return lots.order_by("account__name", "security__symbol", "acquired", "lot_key")


def _lot_shares(lots, prices: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """Return each priced lot's share of its position's value by lot id (``lot_values``),
    of lots given as (id, account id, security id, acquired, lot key, quantity)."""
    by_position: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for lot in lots:
        by_position[(lot[1], lot[2])].append(lot)
    shares: dict[int, Decimal] = {}
    for (_, security_id), held in by_position.items():
        price = prices.get(security_id)
        if price is not None:
            held.sort(key=lambda x: (x[3], x[4]))  # Python's order, not a collation
            for lot, value in zip(held, lot_values((x[5] for x in held), price), strict=True):
                shares[lot[0]] = value
    return shares


def realized_gains_list(
    *,
    household: Household,
    year: int | None = None,
    account: Account | None = None,
    symbol: str | None = None,
) -> QuerySet[LotRelief]:
    """Return the household's lot reliefs (Form 8949 rows), by sale date and sale order."""
    reliefs = LotRelief.objects.filter(household=household).select_related("account", "security")
    if year is not None:
        reliefs = reliefs.filter(sold__gte=date(year, 1, 1), sold__lte=date(year, 12, 31))
    if account is not None:
        reliefs = reliefs.filter(account=account)
    if symbol:
        reliefs = reliefs.filter(security__symbol__iexact=symbol.strip())
    return reliefs.order_by("sold", "sale_transaction_id", "sequence")


def realized_gain_totals(reliefs: QuerySet[LotRelief]) -> dict[str, dict[str, Decimal]]:
    """Return proceeds, cost basis, gain, disallowed loss and taxable gain per term, of
    the sales whose basis is known; the proceeds and count of those of unknown basis
    (whose gain is unknown, never counted as if their basis were zero) apart."""
    unknown = {
        row["term"]: (row["proceeds"], row["count"])
        for row in reliefs.order_by()
        .filter(basis_unknown=True)
        .values("term")
        .annotate(proceeds=Sum("proceeds"), count=Count("pk"))
    }
    reliefs = reliefs.filter(basis_unknown=False)
    totals = {
        row["term"]: {
            "proceeds": row["proceeds"],
            "cost_basis": row["cost_basis"],
            "gain": row["gain"],
            "wash_sale_disallowed": row["disallowed"],
            "taxable_gain": row["gain"] + row["disallowed"],
        }
        for row in reliefs.order_by()
        .values("term")
        .annotate(
            proceeds=Sum("proceeds"),
            cost_basis=Sum("cost_basis"),
            gain=Sum("gain"),
            disallowed=Sum("wash_sale_disallowed"),
        )
    }
    empty = dict.fromkeys(
        ("proceeds", "cost_basis", "gain", "wash_sale_disallowed", "taxable_gain"), ZERO
    )
    result = {}
    for term_name in ("short", "long"):
        proceeds, count = unknown.get(term_name, (ZERO, 0))
        result[term_name] = {
            **totals.get(term_name, empty),
            "unknown_basis_proceeds": proceeds,
            "unknown_basis_count": count,
        }
    return result


def realized_gain_years(*, household: Household) -> list[int]:
    """Return the years with a realized gain or loss, newest first.

    On PostgreSQL, one step per year down the (household, sold) index: each year's first
    sale, then the first on or after the next 1 January (tens of index probes, where
    grouping reads every relief: 17,000 on a heavy household).
    """
    if connection.vendor != "postgresql":
        reliefs = LotRelief.objects.filter(household=household)
        return sorted({d.year for d in reliefs.dates("sold", "year")}, reverse=True)
    table = connection.ops.quote_name(LotRelief._meta.db_table)
    first_sale = f"SELECT min(sold) FROM {table} WHERE household_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE years(sold) AS ({first_sale} UNION ALL "
            f"SELECT ({first_sale} AND sold >= make_date(extract(year FROM years.sold)::int + 1,"
            " 1, 1)) FROM years WHERE years.sold IS NOT NULL) "
            "SELECT extract(year FROM sold)::int FROM years WHERE sold IS NOT NULL",
            [household.pk, household.pk],
        )
        return sorted((year for (year,) in cursor.fetchall()), reverse=True)


def closes_on(*, security_ids, as_of: date) -> dict[int, Decimal]:
    """Return each security's close on or before ``as_of``, else its first close (one query)."""
    if not security_ids:
        return {}
    latest = Price.objects.filter(security=OuterRef("pk"), date__lte=as_of).order_by("-date")
    first = Price.objects.filter(security=OuterRef("pk")).order_by("date")
    rows = (
        Security.objects.filter(pk__in=list(security_ids))
        .annotate(
            latest=Subquery(latest.values("close")[:1]), first=Subquery(first.values("close")[:1])
        )
        .values_list("pk", "latest", "first")
    )
    return {
        pk: latest if latest is not None else first
        for pk, latest, first in rows
        if (latest is not None or first is not None)
    }


def _positions(
    household: Household, as_of: date, cash_today: Mapping[int, Decimal] | None = None
) -> tuple[dict[tuple[int, int], tuple[Decimal, Decimal, bool]], dict[int, Decimal]]:
    """Return {(account, security): (quantity, cost basis, some basis unknown)} and each
    account's cash on ``as_of``."""
    later = Transaction.objects.filter(account__household=household, trade_date__gt=as_of)
    if not later.exists():
        rows = (
            TaxLot.objects.filter(household=household, quantity__gt=0)
            .values("account_id", "security_id")
            .annotate(
                quantity=Sum("quantity"),
                cost=Sum("cost_basis"),
                unknown=Count("pk", filter=Q(basis_unknown=True)),
            )
            .order_by()
        )
        positions = {
            (row["account_id"], row["security_id"]): (
                row["quantity"],
                row["cost"],
                row["unknown"] > 0,
            )
            for row in rows
        }
        if cash_today is not None:
            accounts = Account.objects.filter(household=household).values_list("pk", flat=True)
            return positions, {pk: cash_today.get(pk, ZERO) for pk in accounts}
        return positions, account_cash_balances(household=household)
    inputs = ledger_inputs(household=household)
    txn_rows = transaction_rows(household=household, until=as_of)
    targets = lot_selection_targets(household=household, rows=txn_rows)
    result = build_ledger(
        ledger_txns(rows=txn_rows, inputs=inputs, targets=targets),
        inputs.accounts,
        inputs.identity_groups,
    )
    replayed: dict[tuple[int, int], tuple[Decimal, Decimal, bool]] = {}
    for lot in result.lots:
        quantity, cost, unknown = replayed.get(
            (lot.account_id, lot.security_id), (ZERO, ZERO, False)
        )
        replayed[(lot.account_id, lot.security_id)] = (
            quantity + lot.quantity_open,
            cost + lot.cost_open,
            unknown or not lot.basis_known,
        )
    return replayed, dict(result.cash)


def _weight(value: Decimal | None, total: Decimal) -> Decimal | None:
    if value is None or total <= 0:
        return None
    return (value / total).quantize(WEIGHT_STEP)


def _sleeve(account: Account) -> str | None:
    return account.default_sleeve.name if account.default_sleeve else None


def ledger_rebuilt_at(*, household: Household):
    """Return when the household's lots were last rebuilt (None: never, or a change pending)."""
    row = LedgerState.objects.filter(household=household).values_list("rebuilt_at", "dirty_from")
    found = row.first()
    if found is None or found[1] is not None:
        return None
    return found[0]
