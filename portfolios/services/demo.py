"""Seed the demo household through the same paths a real household uses."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from portfolios.models import Household, IdentityGroup, Membership, Security, Sleeve, Target
from portfolios.providers.demo import DemoProvider
from portfolios.selectors.as_of import household_today
from portfolios.services.demo_history import build_demo_history, demo_accounts, demo_securities
from portfolios.services.demo_settings import demo_settings_fill
from portfolios.services.households import account_create, household_create, membership_add
from portfolios.services.market_data import dividends_upsert, prices_upsert

DEMO_HOUSEHOLD = "Demo household"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"
DEMO_TIME_ZONE = "America/New_York"
HISTORY_YEARS = 4
TARGET_VALUE = Decimal(650_000)

SLEEVE_TARGETS = {
    "core": {"us_equity": 55, "intl_equity": 20, "bonds": 25},
    "income": {"us_equity": 45, "real_estate": 25, "bonds": 30},
    "growth": {"us_equity": 100},
}


@dataclass(frozen=True)
class DemoSeedResult:
    household: Household
    created: bool
    transactions: int = 0
    prices: int = 0


def demo_seed(*, today: date | None = None, reset: bool = False) -> DemoSeedResult:
    """Create the demo household (user demo/demo) with several years of history.

    1. Household, members (demo owns it, alex is the spouse, sam an adult child viewing).
    2. Sleeves with targets, accounts of both spouses, securities with their reference data.
    3. Synthetic closes from the demo provider for every security.
    4. The history as a Hearth CSV, imported through the import service.
    5. Dividend events (incl. the next declared ones).
    What derives from these rows (ledger, valuations, projections, alerts) is the top
    layer's to seed: ``alerts.services.demo.demo_household_seed``.
    """
    from portfolios.services.imports import transactions_import

    # The demo household's own day (its as-of), so no close is dated after it.
    today = today or household_today(Household(time_zone=DEMO_TIME_ZONE))
    existing = Household.objects.filter(name=DEMO_HOUSEHOLD).first()
    if existing and not reset:
        return DemoSeedResult(household=existing, created=False)
    if existing:
        existing.delete()

    start = date(today.year - HISTORY_YEARS, 1, 2)
    with transaction.atomic():
        household = _household()
        securities = _securities(today)
        _accounts(household, today)
        demo_settings_fill(
            household=household,
            owner=household.memberships.get(role=Membership.Role.OWNER).user,
            today=today,
        )
    closes = _closes(list(securities), start - timedelta(days=10), today)
    prices = prices_upsert(
        closes=(
            (securities[symbol], day, close)
            for symbol, series in closes.items()
            for day, close in series.items()
        ),
        source="demo",
    )
    history = build_demo_history(closes=closes, today=today, start=start, target_value=TARGET_VALUE)
    result = transactions_import(
        household=household,
        content=history.to_csv().encode(),
        filename="demo-history.csv",
        format="hearth",
        user=household.memberships.get(role=Membership.Role.OWNER).user,
    )
    dividends_upsert(
        events=((securities[s], ex, pay, amount) for s, ex, pay, amount in history.dividends),
        source="demo",
    )
    return DemoSeedResult(
        household=household, created=True, transactions=result.added, prices=prices
    )


def _household() -> Household:
    user_model = get_user_model()
    household = household_create(
        name=DEMO_HOUSEHOLD, owner_username=DEMO_USERNAME, password=DEMO_PASSWORD
    )
    Household.objects.filter(pk=household.pk).update(
        monthly_income_target=Decimal(1500),
        cash_reserve_months=Decimal(6),
        time_zone=DEMO_TIME_ZONE,
        default_benchmark="VTI:60,BND:40",
        min_trade_amount=Decimal(100),
    )
    household.refresh_from_db()
    user_model.objects.filter(username=DEMO_USERNAME).update(
        first_name="Jordan", email="jordan@example.com"
    )
    membership_add(household=household, username="alex", role=Membership.Role.MEMBER)
    membership_add(household=household, username="sam", role=Membership.Role.VIEWER)
    user_model.objects.filter(username="alex").update(first_name="Alex", email="alex@example.com")
    for sleeve in Sleeve.objects.filter(household=household):
        for asset_class, weight in SLEEVE_TARGETS.get(sleeve.name, {}).items():
            Target.objects.create(sleeve=sleeve, asset_class=asset_class, target_weight=weight)
    return household


def _securities(today: date) -> dict[str, Security]:
    securities = {}
    for spec in demo_securities(today):
        security, _ = Security.objects.update_or_create(
            symbol=spec.symbol,
            exchange="",
            defaults={
                "name": spec.name,
                "kind": spec.kind,
                "asset_class": spec.asset_class,
                "expense_ratio": spec.expense_ratio,
                "dividend_frequency": spec.frequency,
                "qualified_default": spec.qualified,
                "coupon_rate": spec.coupon_rate,
                "face_value": Decimal(100) if spec.kind == "bond" else None,
                "maturity": spec.maturity,
                "coupon_frequency": 2 if spec.kind == "bond" else None,
                "needs_review": False,
            },
        )
        securities[spec.symbol] = security
    ivv, _ = Security.objects.get_or_create(
        symbol="IVV",
        exchange="",
        defaults={"name": "iShares Core S&P 500 ETF", "kind": "etf", "asset_class": "us_equity"},
    )
    return securities | {"IVV": ivv}


def _accounts(household: Household, today: date) -> None:
    users = {m.user.username: m.user for m in household.memberships.select_related("user")}
    sleeves = {s.name: s for s in household.sleeves.all()}
    for spec in demo_accounts(today):
        account_create(
            household=household,
            name=spec.name,
            type=spec.type,
            institution=spec.institution,
            number=spec.number,
            owner=users.get(spec.owner),
            default_sleeve=sleeves.get(spec.sleeve) if spec.sleeve else None,
        )
    group = IdentityGroup.objects.create(household=household, name="S&P 500 index funds")
    group.securities.set(Security.objects.filter(symbol__in=["VOO", "IVV"]))


def _closes(symbols: list[str], start: date, end: date) -> dict[str, dict[date, Decimal]]:
    provider = DemoProvider()
    return {
        symbol: {c.date: c.close for c in provider.fetch_closes(symbol, start, end)}
        for symbol in symbols
    }
