"""The demo household's history, generated deterministically as Hearth CSV rows.

Pure: given the closes of the demo price provider and a "today", it returns the rows that
`import_transactions` would read from a broker export, plus the dividend events. Nothing here
touches the database, so the same inputs always give the same household.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
SHARE_STEP = Decimal("0.0001")


@dataclass(frozen=True)
class DemoSecurity:
    symbol: str
    name: str
    kind: str
    asset_class: str
    annual_yield: Decimal  # percent of the price at the start of the year
    frequency: str  # "monthly" | "quarterly" | "semiannual" | ""
    qualified: bool
    expense_ratio: Decimal | None = None
    coupon_rate: Decimal | None = None
    maturity: date | None = None


@dataclass(frozen=True)
class DemoAccount:
    name: str
    type: str
    institution: str
    number: str
    owner: str
    sleeve: str | None
    deposit: Decimal
    allocation: dict[str, Decimal]
    monthly_deposit: Decimal = Decimal(0)
    monthly_buy: str | None = None


def demo_securities(today: date) -> list[DemoSecurity]:
    """Return the demo's securities; the treasury ladder matures over the next three years."""
    ladder = [
        DemoSecurity(
            symbol=f"UST-{today.year + n}-05",
            name=f"US Treasury {rate}% {today.year + n}-05-15",
            kind="bond",
            asset_class="bonds",
            annual_yield=Decimal(0),
            frequency="semiannual",
            qualified=False,
            coupon_rate=Decimal(rate) / 100,
            maturity=date(today.year + n, 5, 15),
        )
        for n, rate in ((1, "4.25"), (2, "4.00"), (3, "3.875"))
    ]
    d = Decimal
    return [
        DemoSecurity(
            "VTI",
            "Vanguard Total Stock Market ETF",
            "etf",
            "us_equity",
            d("1.4"),
            "quarterly",
            True,
            d("0.03"),
        ),
        DemoSecurity(
            "VOO",
            "Vanguard S&P 500 ETF",
            "etf",
            "us_equity",
            d("1.3"),
            "quarterly",
            True,
            d("0.03"),
        ),
        DemoSecurity(
            "VXUS",
            "Vanguard Total International Stock ETF",
            "etf",
            "intl_equity",
            d("3.0"),
            "quarterly",
            True,
            d("0.08"),
        ),
        DemoSecurity(
            "BND",
            "Vanguard Total Bond Market ETF",
            "etf",
            "bonds",
            d("3.5"),
            "monthly",
            False,
            d("0.03"),
        ),
        DemoSecurity(
            "QQQ", "Invesco QQQ Trust", "etf", "us_equity", d("0.6"), "quarterly", True, d("0.20")
        ),
        DemoSecurity(
            "VGT",
            "Vanguard Information Technology ETF",
            "etf",
            "us_equity",
            d("0.7"),
            "quarterly",
            True,
            d("0.10"),
        ),
        DemoSecurity(
            "VUG", "Vanguard Growth ETF", "etf", "us_equity", d("0.5"), "quarterly", True, d("0.04")
        ),
        DemoSecurity(
            "SCHD",
            "Schwab US Dividend Equity ETF",
            "etf",
            "us_equity",
            d("3.6"),
            "quarterly",
            True,
            d("0.06"),
        ),
        DemoSecurity(
            "VNQ",
            "Vanguard Real Estate ETF",
            "reit",
            "real_estate",
            d("4.0"),
            "quarterly",
            False,
            d("0.13"),
        ),
        DemoSecurity("O", "Realty Income Corp.", "reit", "real_estate", d("5.5"), "monthly", False),
        DemoSecurity(
            "PFF",
            "iShares Preferred and Income Securities ETF",
            "preferred",
            "bonds",
            d("6.0"),
            "monthly",
            False,
            d("0.46"),
        ),
        DemoSecurity(
            "JEPI",
            "JPMorgan Equity Premium Income ETF",
            "etf",
            "us_equity",
            d("7.5"),
            "monthly",
            False,
            d("0.35"),
        ),
        *ladder,
    ]


def demo_accounts(today: date) -> list[DemoAccount]:
    """Return the demo's seven accounts of both spouses (~$650k deposited)."""
    d = Decimal
    ust = [s.symbol for s in demo_securities(today) if s.kind == "bond"]
    return [
        DemoAccount(
            "Joint Brokerage",
            "taxable",
            "Fidelity",
            "Z12345678",
            "demo",
            "core",
            d(170000),
            {"VTI": d("0.5"), "VXUS": d("0.25"), "BND": d("0.25")},
            monthly_deposit=d(1000),
            monthly_buy="VXUS",
        ),
        DemoAccount(
            "Jordan IRA",
            "traditional_ira",
            "Vanguard",
            "88001234",
            "demo",
            "core",
            d(105000),
            {"VTI": d("0.6"), "BND": d("0.4")},
        ),
        DemoAccount(
            "Jordan Roth IRA",
            "roth_ira",
            "Vanguard",
            "88005678",
            "demo",
            "growth",
            d(38000),
            {"QQQ": d("0.6"), "VGT": d("0.4")},
        ),
        DemoAccount(
            "Alex 401(k)",
            "401k",
            "Fidelity",
            "401K5521",
            "alex",
            "core",
            d(120000),
            {"VOO": d("0.7"), "BND": d("0.3")},
            monthly_deposit=d(750),
            monthly_buy="VOO",
        ),
        DemoAccount(
            "Alex Roth IRA",
            "roth_ira",
            "Schwab",
            "44551122",
            "alex",
            "growth",
            d(24000),
            {"VUG": d(1)},
        ),
        DemoAccount(
            "Income Brokerage",
            "taxable",
            "Schwab",
            "77889900",
            "alex",
            "income",
            d(125000),
            {
                "SCHD": d("0.25"),
                "VNQ": d("0.15"),
                "O": d("0.10"),
                "PFF": d("0.15"),
                "JEPI": d("0.15"),
                **{symbol: d("0.06") for symbol in ust},
            },
        ),
        DemoAccount("Emergency Fund", "cash", "Ally Bank", "ALLY3321", "demo", None, d(30000), {}),
    ]


@dataclass
class DemoHistory:
    rows: list[dict] = field(default_factory=list)
    dividends: list[tuple[str, date, date, Decimal]] = field(default_factory=list)
    wash_sale: tuple[str, date] | None = None
    value: Decimal = Decimal(0)  # positions at today's close plus cash

    def to_csv(self) -> str:
        columns = [
            "date",
            "account",
            "type",
            "symbol",
            "quantity",
            "price",
            "amount",
            "fees",
            "income_class",
            "to_account",
            "lots",
            "id",
            "memo",
        ]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in sorted(self.rows, key=lambda r: (r["date"], r["_order"], r["id"])):
            writer.writerow({k: _text(row.get(k)) for k in columns})
        return buffer.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _month_starts(start: date, end: date):
    month = date(start.year, start.month, 1)
    while month <= end:
        yield month
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)


class _Builder:
    """Tracks positions and cash while writing rows, so every row is one a broker could send."""

    def __init__(self, closes: dict[str, dict[date, Decimal]], today: date):
        self.closes = closes
        self.today = today
        self.history = DemoHistory()
        self.shares: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.cash: dict[str, Decimal] = defaultdict(Decimal)
        self.lots: dict[tuple[str, str], list[tuple[str, date, Decimal, Decimal]]] = defaultdict(
            list
        )
        self.counter = 0

    def close(self, symbol: str, day: date) -> Decimal:
        series = self.closes[symbol]
        probe = day
        while probe not in series:
            probe -= timedelta(days=1)
            if (day - probe).days > 10:
                raise ValueError(f"no demo close for {symbol} near {day}")
        return series[probe].quantize(CENT, rounding=ROUND_HALF_UP)

    def add(self, order: int, **row) -> str:
        self.counter += 1
        row_id = f"demo-{self.counter:05d}"
        self.history.rows.append({"_order": order, "id": row_id, **row})
        return row_id

    def cash_row(self, kind: str, account: str, day: date, amount: Decimal, memo: str, **extra):
        amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
        sign = -1 if kind in ("WITHDRAWAL", "FEE", "TAX_WITHHELD") else 1
        self.cash[account] += sign * amount
        return self.add(
            1 if sign > 0 else 5,
            date=day,
            account=account,
            type=kind,
            amount=amount,
            memo=memo,
            **extra,
        )

    def buy(self, account: str, symbol: str, day: date, budget: Decimal, memo: str) -> None:
        price = self.close(symbol, day)
        quantity = (budget / price).quantize(Decimal(1), rounding=ROUND_DOWN)
        if quantity <= 0:
            return
        amount = (quantity * price).quantize(CENT)
        self.cash[account] -= amount
        self.shares[(account, symbol)] += quantity
        row_id = self.add(
            2,
            date=day,
            account=account,
            type="BUY",
            symbol=symbol,
            quantity=quantity,
            price=price,
            amount=amount,
            memo=memo,
        )
        self.lots[(account, symbol)].append((row_id, day, quantity, price))

    def sell_lot(self, account: str, symbol: str, lot: tuple, day: date, memo: str) -> None:
        row_id, _, quantity, _ = lot
        price = self.close(symbol, day)
        amount = (quantity * price).quantize(CENT)
        self.cash[account] += amount
        self.shares[(account, symbol)] -= quantity
        self.lots[(account, symbol)].remove(lot)
        self.add(
            4,
            date=day,
            account=account,
            type="SELL",
            symbol=symbol,
            quantity=quantity,
            price=price,
            amount=amount,
            lots=row_id,
            memo=memo,
        )


def build_demo_history(
    *,
    closes: dict[str, dict[date, Decimal]],
    today: date,
    start: date,
    target_value: Decimal | None = None,
) -> DemoHistory:
    """Return the demo's rows from start to today.

    1. Each account's opening deposit is invested on the first trading day by its allocation.
    2. Monthly contributions buy one fund (dollar-cost averaging).
    3. Distributions are paid on the shares held at each ex-date: cash in taxable accounts
       (with foreign tax withheld on VXUS), reinvested in retirement accounts.
    4. Treasuries pay semi-annual coupons; the emergency fund earns monthly interest; the
       income account writes covered calls for monthly premium.
    5. A VXUS lot is sold at a loss and bought back 12 days later: a wash sale.
    """
    if target_value is not None:
        # Synthetic prices drift differently for each "today": scale the contributions so the
        # household is worth about target_value now, whenever the demo is seeded.
        trial = _build(closes=closes, today=today, start=start, scale=Decimal(1))
        scale = target_value / trial.value
        return _build(closes=closes, today=today, start=start, scale=scale)
    return _build(closes=closes, today=today, start=start, scale=Decimal(1))


def _build(
    *, closes: dict[str, dict[date, Decimal]], today: date, start: date, scale: Decimal
) -> DemoHistory:
    securities = {s.symbol: s for s in demo_securities(today)}
    accounts = [
        replace(
            a,
            deposit=(a.deposit * scale).quantize(Decimal(1)),
            monthly_deposit=(a.monthly_deposit * scale).quantize(Decimal(1)),
        )
        for a in demo_accounts(today)
    ]
    b = _Builder(closes, today)
    first_day = _weekday_on_or_after(start)

    for account in accounts:
        b.cash_row("DEPOSIT", account.name, first_day, account.deposit, "Opening deposit")
        for symbol, weight in account.allocation.items():
            b.buy(account.name, symbol, first_day, account.deposit * weight, "Initial allocation")

    events = _dividend_events(securities, closes, b, start, today)
    b.history.dividends = events
    by_day: dict[date, list[tuple]] = defaultdict(list)
    for symbol, ex_date, pay_date, per_share in events:
        by_day[ex_date].append((symbol, pay_date, per_share))

    months = list(_month_starts(first_day + timedelta(days=1), today))
    day = first_day + timedelta(days=1)
    month_index = 0
    wash_plan = None
    while day <= today:
        if month_index < len(months) and day >= months[month_index] and day.weekday() < 5:
            _monthly(b, accounts, securities, day, today)
            month_index += 1
        for symbol, pay_date, per_share in by_day.get(day, []):
            if pay_date <= today:
                _pay_distribution(b, accounts, securities[symbol], day, pay_date, per_share)
        if wash_plan is None and day >= today - timedelta(days=400) and day.weekday() == 2:
            wash_plan = _try_wash_sale(b, day)
        day += timedelta(days=1)
    if isinstance(wash_plan, tuple):
        b.history.wash_sale = wash_plan
    b.history.value = sum(
        (qty * b.close(symbol, today) for (_, symbol), qty in b.shares.items()), Decimal(0)
    ) + sum(b.cash.values(), Decimal(0))
    return b.history


def _dividend_events(securities, closes, b: _Builder, start: date, today: date):
    """Return (symbol, ex_date, pay_date, per_share) from start to ~45 days ahead."""
    events = []
    horizon = today + timedelta(days=45)
    for security in securities.values():
        if security.kind == "bond" or not security.frequency:
            continue
        months = range(1, 13) if security.frequency == "monthly" else (3, 6, 9, 12)
        for year in range(start.year, horizon.year + 1):
            reference_day = min(_weekday_on_or_after(date(year, 1, 2)), today)
            reference = b.close(security.symbol, reference_day)
            per_payment = security.annual_yield / 100 * reference / len(months)
            for month in months:
                ex_date = _weekday_on_or_after(date(year, month, 1 if len(months) == 12 else 20))
                if ex_date <= start or ex_date > horizon:
                    continue
                pay_date = _weekday_on_or_after(ex_date + timedelta(days=7))
                events.append(
                    (security.symbol, ex_date, pay_date, per_payment.quantize(SHARE_STEP))
                )
    # A dividend cut: the REIT's latest paid distribution is 20% below the one before.
    vnq = [e for e in events if e[0] == "VNQ" and e[2] <= today]
    if len(vnq) >= 2:
        symbol, ex_date, pay_date, _ = vnq[-1]
        cut = (vnq[-2][3] * Decimal("0.8")).quantize(SHARE_STEP)
        events[events.index(vnq[-1])] = (symbol, ex_date, pay_date, cut)
    return sorted(events, key=lambda e: (e[1], e[0]))


def _pay_distribution(b: _Builder, accounts, security, ex_date, pay_date, per_share) -> None:
    for account in accounts:
        shares = b.shares.get((account.name, security.symbol), Decimal(0))
        if shares <= 0:
            continue
        gross = (shares * per_share).quantize(CENT, rounding=ROUND_HALF_UP)
        if gross <= 0:
            continue
        memo = f"{security.symbol} distribution {per_share}/sh on {shares} sh (ex {ex_date})"
        if account.type in ("taxable", "trust", "cash"):
            income_class = "qualified" if security.qualified else "ordinary"
            b.cash_row(
                "DIVIDEND",
                account.name,
                pay_date,
                gross,
                memo,
                symbol=security.symbol,
                income_class=income_class,
            )
            if security.symbol == "VXUS":
                withheld = (gross * Decimal("0.07")).quantize(CENT, rounding=ROUND_HALF_UP)
                b.cash_row(
                    "TAX_WITHHELD",
                    account.name,
                    pay_date,
                    withheld,
                    "Foreign tax withheld",
                    symbol=security.symbol,
                )
        else:
            price = b.close(security.symbol, pay_date)
            quantity = (gross / price).quantize(SHARE_STEP, rounding=ROUND_DOWN)
            b.shares[(account.name, security.symbol)] += quantity
            row_id = b.add(
                2,
                date=pay_date,
                account=account.name,
                type="REINVEST",
                symbol=security.symbol,
                quantity=quantity,
                price=price,
                amount=gross,
                memo=memo,
            )
            b.lots[(account.name, security.symbol)].append((row_id, pay_date, quantity, price))


def _monthly(b: _Builder, accounts, securities, day: date, today: date) -> None:
    for account in accounts:
        if account.monthly_deposit:
            b.cash_row(
                "DEPOSIT", account.name, day, account.monthly_deposit, "Monthly contribution"
            )
            b.buy(account.name, account.monthly_buy, day, account.monthly_deposit, "Monthly buy")
    # Emergency fund interest at 4% a year on last month's balance.
    balance = b.cash["Emergency Fund"]
    b.cash_row(
        "INTEREST", "Emergency Fund", day, balance * Decimal("0.04") / 12, "Savings interest"
    )
    # Covered calls on the income account's SCHD in the last two years.
    if day >= today - timedelta(days=730) and b.shares[("Income Brokerage", "SCHD")] >= 100:
        contracts = int(b.shares[("Income Brokerage", "SCHD")] // 100)
        premium = Decimal(contracts) * Decimal("38.50") + Decimal(day.month * 3)
        b.cash_row(
            "OPTION_PREMIUM",
            "Income Brokerage",
            day,
            premium,
            f"Sold {contracts} SCHD covered calls",
            symbol="SCHD",
        )
    # Treasury coupons: semi-annual, in May and November on the 15th.
    if day.month in (5, 11):
        coupon_day = _weekday_on_or_after(date(day.year, day.month, 15))
        for security in securities.values():
            if security.kind != "bond" or coupon_day > today or coupon_day > security.maturity:
                continue
            units = b.shares.get(("Income Brokerage", security.symbol), Decimal(0))
            if units > 0:
                coupon = units * 100 * security.coupon_rate / 2
                b.cash_row(
                    "INTEREST",
                    "Income Brokerage",
                    coupon_day,
                    coupon,
                    f"{security.symbol} coupon",
                    symbol=security.symbol,
                )


# Taxable positions a harvest may come from, most interesting first.
HARVESTABLE = (("Income Brokerage", "JEPI"), ("Joint Brokerage", "VXUS"))


def _try_wash_sale(b: _Builder, day: date):
    """Harvest the taxable lot with the largest loss (over 5%) today, and rebuy in 12 days.

    Buying the same shares back within 30 days makes it a wash sale: the loss is disallowed
    and moves into the new lot's basis.
    """
    if day + timedelta(days=12) > b.today:
        return None
    candidates = []
    for account, symbol in HARVESTABLE:
        price = b.close(symbol, day)
        for lot in b.lots[(account, symbol)]:
            if lot[3] > price * Decimal("1.05") and (day - lot[1]).days > 45:
                candidates.append(((lot[3] - price) * lot[2], account, symbol, lot))
    if not candidates:
        return None
    _, account, symbol, lot = max(candidates, key=lambda c: c[0])
    b.sell_lot(account, symbol, lot, day, "Tax-loss harvest")
    rebuy_day = _weekday_on_or_after(day + timedelta(days=12))
    b.buy(
        account,
        symbol,
        rebuy_day,
        lot[2] * b.close(symbol, rebuy_day) + 1,
        "Bought back within 30 days (wash sale)",
    )
    return (symbol, day)
