"""Read one household into the rebalancing optimiser's ``HouseholdState``.

``rebalance_inputs`` reads, in a fixed number of queries: holdings and cash (the holdings
report, so the household's own asset classes apply), accounts with their trading rules, the
policy, open lots, and the events that can make a sale a wash sale.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, Min, OuterRef, Subquery, Sum

from portfolios.calculations.allocation import TargetSpec, asset_class_targets, sleeve_targets
from portfolios.calculations.lot_rules import term
from portfolios.calculations.rebalancing import (
    AccountState,
    GroupTarget,
    HouseholdState,
    LotState,
    Policy,
    Rates,
    SecurityState,
    WashEvent,
)
from portfolios.models import (
    Account,
    DividendEvent,
    Household,
    LotRelief,
    Security,
    Sleeve,
    Target,
    TaxLot,
    Transaction,
)
from portfolios.selectors.as_of import household_today
from portfolios.selectors.ledger import HoldingsReport, holdings_report
from portfolios.selectors.ledger_inputs import ledger_inputs
from portfolios.selectors.securities import security_profiles

ZERO = Decimal(0)
HUNDRED = Decimal(100)
WINDOW = timedelta(days=30)
FRACTIONAL_KINDS = {Security.Kind.MUTUAL_FUND, Security.Kind.MONEY_MARKET}
ORDINARY_KINDS = {Security.Kind.BOND, Security.Kind.REIT, Security.Kind.MONEY_MARKET}
ORDINARY_CLASSES = {"bonds", "real_estate", "cash"}
PLAN_TYPES = {Account.Type.K401, Account.Type.B403}
NEW_MONEY_TYPES = {Account.Type.TAXABLE, Account.Type.TRUST}
PERIOD_DAYS = {"monthly": 30, "quarterly": 91, "semiannual": 182, "annual": 365}


def rebalance_inputs(
    *, household: Household, today: date | None = None, report: HoldingsReport | None = None
) -> HouseholdState:
    """Return everything the optimiser needs about the household today.

    1. Holdings and each account's cash from the holdings report, valued at the latest close.
    2. Accounts with their sleeve and trading rule (cash floor, 401(k) plan menu).
    3. Policy: asset-class and sleeve targets with bands, minimum trade, the cash reserve
       (reserve months × monthly income target), tax rates with the state rate added.
    4. Open lots of priced holdings, referenced as a broker import names them: the opening
       transaction's own id in that account, or its number when it opened elsewhere.
    5. Wash-sale events: purchases and taxable loss sales of the last 30 days, dividend
       reinvestments expected in the next 30.
    """
    today = today or household_today(household)
    if report is None or report.as_of != today:  # the caller's report, when it is today's
        report = holdings_report(household=household, as_of=today)
    inputs = ledger_inputs(household=household)
    accounts = _accounts(household, report.cash_by_account)
    names = {a.id: a.name for a in accounts}
    priced = [h for h in report.holdings if h.market_value is not None and h.price]
    held_ids = {h.security_id for h in priced}
    details = _security_details(household, held_ids, today)
    securities: dict[int, SecurityState] = {}
    positions: dict[tuple[int, int], Decimal] = {}
    for holding in priced:
        kind, qualified, coupon = details.get(holding.security_id, ("", True, ZERO))
        dividends = details.get(("dividends", holding.security_id), ZERO)
        income = dividends if dividends > 0 else coupon
        securities[holding.security_id] = SecurityState(
            id=holding.security_id,
            symbol=holding.symbol,
            asset_class=holding.asset_class,
            price=holding.price,
            identity=inputs.group_key(holding.security_id),
            fractional=kind in FRACTIONAL_KINDS,
            income_yield=(income / holding.price) if holding.price > 0 else ZERO,
            ordinary_income=(
                kind in ORDINARY_KINDS or holding.asset_class in ORDINARY_CLASSES or not qualified
            ),
        )
        positions[(holding.account_id, holding.security_id)] = holding.market_value
    unpriced = report.invested - sum(positions.values(), ZERO)
    symbols = {s.id: s.symbol for s in securities.values()}
    return HouseholdState(
        today=today,
        accounts=tuple(accounts),
        securities=securities,
        positions=positions,
        lots=tuple(_lots(household, positions, today)),
        policy=_policy(household),
        purchases=tuple(_purchases(household, inputs, names, today)),
        loss_sales=tuple(_loss_sales(household, inputs, names, today)),
        reinvestments=tuple(_reinvestments(household, inputs, names, symbols, today)),
        other_value=max(unpriced, ZERO),
    )


def _accounts(household: Household, cash: dict[int, Decimal]) -> list[AccountState]:
    result = []
    for account in (
        Account.objects.filter(household=household)
        .select_related("default_sleeve", "trading_rule")
        .order_by("name")
    ):
        rule = getattr(account, "trading_rule", None)
        result.append(
            AccountState(
                id=account.pk,
                name=account.name,
                treatment=str(account.tax_treatment),
                cash=cash.get(account.pk, ZERO),
                floor=rule.cash_floor if rule else ZERO,
                sleeve=account.default_sleeve.name if account.default_sleeve else None,
                is_cash_account=account.type == Account.Type.CASH,
                plan_menu_only=account.type in PLAN_TYPES
                and not (rule and rule.buy_outside_holdings),
                accepts_new_money=account.type in NEW_MONEY_TYPES,
                closed=account.is_closed,
            )
        )
    return result


def _policy(household: Household) -> Policy:
    specs = [
        TargetSpec(
            sleeve=t.sleeve.name,
            sleeve_weight=t.sleeve.target_weight,
            asset_class=t.asset_class,
            weight=t.target_weight,
            band=t.band,
            band_kind=t.band_kind,
        )
        for t in Target.objects.filter(sleeve__household=household).select_related("sleeve")
    ]
    sleeves = dict(Sleeve.objects.filter(household=household).values_list("name", "target_weight"))
    state = household.state_marginal_rate
    return Policy(
        targets=_group_targets(asset_class_targets(specs, default_band=household.default_band)),
        sleeve_targets=_group_targets(sleeve_targets(sleeves, default_band=household.default_band)),
        min_trade=household.min_trade_amount,
        reserve=household.cash_reserve_months * household.monthly_income_target,
        rates=Rates(
            short_term=(household.federal_marginal_rate + state) / HUNDRED,
            long_term=(household.long_term_rate + state) / HUNDRED,
            ordinary=(household.federal_marginal_rate + state) / HUNDRED,
            qualified=(household.qualified_dividend_rate + state) / HUNDRED,
        ),
        labels=dict(Security.AssetClass.choices),
    )


def _group_targets(targets: dict) -> dict[str, GroupTarget]:
    return {k: GroupTarget(v.target, v.band) for k, v in targets.items()}


def _security_details(household: Household, security_ids: set[int], today: date) -> dict:
    """Return per security, as the household classifies it, (kind, qualified default, coupon
    per unit) and, under ("dividends", id), the distributions per share with an ex-date in
    the last 12 months."""
    details: dict = {}
    for pk, view in security_profiles(household=household, security_ids=security_ids).items():
        coupon = (
            view.coupon_rate * view.face_value if view.coupon_rate and view.face_value else ZERO
        )
        details[pk] = (view.kind, view.qualified_default, coupon)
    for pk, amount in (
        DividendEvent.objects.filter(
            security_id__in=security_ids,
            ex_date__gt=today - timedelta(days=365),
            ex_date__lte=today,
        )
        .values("security_id")
        .annotate(amount=Sum("amount"))
        .values_list("security_id", "amount")
    ):
        details[("dividends", pk)] = amount
    return details


def _lots(
    household: Household, positions: dict[tuple[int, int], Decimal], today: date
) -> list[LotState]:
    # The opening transaction's id in the lot's own account (None when it opened in another
    # account): a lookup by primary key per lot, where a join read every transaction of the
    # household to find the few thousand that opened a lot.
    opened_here = Transaction.objects.filter(
        pk=OuterRef("opening_transaction_id"), account_id=OuterRef("account_id")
    ).order_by()
    rows = (
        TaxLot.objects.filter(household=household, quantity__gt=0)
        .annotate(opening_external_id=Subquery(opened_here.values("external_id")[:1]))
        .order_by("account_id", "security_id", "acquired", "lot_key")
        .values_list(
            "lot_key",
            "account_id",
            "security_id",
            "quantity",
            "cost_basis",
            "acquired",
            "holding_period_start",
            "opening_transaction_id",
            "opening_external_id",
            "basis_unknown",
        )
    )
    lots = []
    for (
        key,
        account_id,
        security_id,
        quantity,
        cost,
        acquired,
        start,
        txn,
        ext,
        basis_unknown,
    ) in rows:
        if (account_id, security_id) not in positions:
            continue
        lots.append(
            LotState(
                ref=_lot_ref(txn, ext),
                account_id=account_id,
                security_id=security_id,
                quantity=quantity,
                cost_basis=cost,
                acquired=acquired,
                term=term(start, today),
                opening_transaction_id=txn,
                key=key,
                basis_known=not basis_unknown,
            )
        )
    return lots


def _lot_ref(txn: int, external_id: str | None) -> str:
    """Return how an import's ``lots`` column names the lot's purchase: its own id in the
    account (DESIGN §3; ``external_id``, None when it was bought in another account), or the
    transaction's number when it was bought elsewhere (a transfer in kind) or its id would
    not survive "ID:QTY;…"."""
    if external_id and not set(external_id) & {":", ";", " "}:
        return external_id
    return str(txn)


def _purchases(household, inputs, names, today: date) -> list[WashEvent]:
    rows = (
        Transaction.objects.filter(
            account__household=household,
            type__in=[Transaction.Type.BUY, Transaction.Type.REINVEST],
            security__isnull=False,
            trade_date__gte=today - WINDOW,
            trade_date__lte=today,
        )
        .order_by("trade_date", "pk")
        .values_list(
            "pk", "account_id", "security_id", "security__symbol", "trade_date", "quantity"
        )
    )
    return [
        WashEvent(
            identity=inputs.group_key(security_id),
            account_id=account_id,
            day=day,
            label=f"{names[account_id]} {symbol} {day.isoformat()} {_plain(quantity)}",
            transaction_id=pk,
        )
        for pk, account_id, security_id, symbol, day, quantity in rows
    ]


def _loss_sales(household, inputs, names, today: date) -> list[WashEvent]:
    taxable = [
        t for t, treatment in Account.TAX_TREATMENT_BY_TYPE.items() if treatment == "taxable"
    ]
    rows = (
        LotRelief.objects.filter(
            household=household,
            sold__gte=today - WINDOW,
            sold__lte=today,
            account__type__in=taxable,
        )
        .annotate(allowed=F("gain") + F("wash_sale_disallowed"))
        .filter(allowed__lt=0)
        .order_by("sold", "pk")
        .values_list("account_id", "security_id", "security__symbol", "sold")
    )
    return [
        WashEvent(
            identity=inputs.group_key(security_id),
            account_id=account_id,
            day=day,
            label=f"{names[account_id]} {symbol} sold at a loss {day.isoformat()}",
        )
        for account_id, security_id, symbol, day in rows
    ]


def _reinvestments(household, inputs, names, symbols, today: date) -> list[WashEvent]:
    """Return the dividend reinvestments expected in the next 30 days: an account that
    reinvested a security in the last 13 months reinvests its next payment, on a declared
    pay date when there is one, else one period (the security's dividend frequency, or the
    gap between its last two reinvestments) after the last."""
    since = today - timedelta(days=400)
    history: dict[tuple[int, int], list[date]] = defaultdict(list)
    for account_id, security_id, day in (
        Transaction.objects.filter(
            account__household=household,
            type=Transaction.Type.REINVEST,
            trade_date__gte=since,
            trade_date__lte=today,
        )
        .order_by("trade_date")
        .values_list("account_id", "security_id", "trade_date")
    ):
        history[(account_id, security_id)].append(day)
    if not history:
        return []
    security_ids = {s for _, s in history}
    declared = dict(
        DividendEvent.objects.filter(
            security_id__in=security_ids, pay_date__gt=today, pay_date__lte=today + WINDOW
        )
        .values("security_id")
        .annotate(first=Min("pay_date"))
        .values_list("security_id", "first")
    )
    frequency = {
        pk: view.dividend_frequency
        for pk, view in security_profiles(household=household, security_ids=security_ids).items()
    }
    events = []
    for (account_id, security_id), days in sorted(history.items()):
        expected = declared.get(security_id)
        if expected is None:
            period = PERIOD_DAYS.get(frequency.get(security_id) or "")
            if period is None and len(days) > 1:
                period = (days[-1] - days[-2]).days
            if not period:
                continue
            expected = days[-1] + timedelta(days=period)
            if expected <= today - timedelta(days=period):
                continue  # two payments missed: reinvestment has stopped
            if expected <= today:
                expected = today + timedelta(days=1)
            if expected > today + WINDOW:
                continue
        symbol = symbols.get(security_id, "")
        events.append(
            WashEvent(
                identity=inputs.group_key(security_id),
                account_id=account_id,
                day=expected,
                label=f"{names[account_id]} {symbol} reinvests dividends about "
                f"{expected.isoformat()}".replace("  ", " "),
            )
        )
    return events


def symbol_identities(household: Household) -> dict[str, str]:
    inputs = ledger_inputs(household=household)
    members = Security.objects.filter(pk__in=inputs.identity_groups).values_list("pk", "symbol")
    return {symbol: inputs.group_key(pk) for pk, symbol in members}


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    normalized = value.normalize()
    return "0" if normalized == 0 else format(normalized, "f")
