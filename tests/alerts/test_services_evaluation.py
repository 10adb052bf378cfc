"""Each rule crosses and un-crosses its threshold on a hand-built household, evaluated from
the stored rows (ledger, valuations, projection) as the worker does."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from alerts.models import AlertEpisode, AlertRule
from alerts.services import alerts_evaluate
from alerts.services.derived import derived_rebuild
from income.models import ProjectionSnapshot
from portfolios.models import DividendEvent, Household, Transaction
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory
from tests.portfolios.ledger_builders import buy, close, deposit

pytestmark = pytest.mark.django_db
D = Decimal

# Monday 2026-11-23, 23:30 UTC = 18:30 in New York (EST): after the close.
NOW = "2026-11-23 23:30:00+00:00"


def only(household, kind: str, scope: str, threshold=None, **extra) -> AlertRule:
    """Switch every rule off but this one (created or changed)."""
    AlertRule.objects.filter(household=household).update(enabled=False)
    rule, _ = AlertRule.objects.update_or_create(
        household=household,
        kind=kind,
        scope=scope,
        scope_name=extra.get("scope_name", ""),
        direction=extra.get("direction", "below"),
        defaults={"threshold": None if threshold is None else D(str(threshold)), "enabled": True},
    )
    return rule


def open_messages(household) -> list[str]:
    return sorted(
        AlertEpisode.objects.filter(household=household, resolved_at__isnull=True).values_list(
            "message", flat=True
        )
    )


def evaluate(household, *, recompute: bool = False):
    if recompute:
        # The derived rows the after-close recompute rebuilds before the rules: the price
        # refresh marks the holders from the first day it stored (here, the test's month).
        derived_rebuild(household=household, from_date=date(2026, 11, 1))
    return alerts_evaluate(household=household)


@pytest.fixture
def alpha(cast):
    cast.owner.email = "alice@example.com"
    cast.owner.save(update_fields=["email"])
    return cast.household_a


@pytest.fixture
def xyz():
    return SecurityFactory(symbol="XYZ", name="XYZ Corp", kind="stock")


@time_machine.travel(NOW, tick=False)
def test_new_households_get_the_default_rules(alpha):
    kinds = set(AlertRule.objects.filter(household=alpha).values_list("kind", flat=True))
    assert kinds == set(AlertRule.Kind.values) - {"value_level"}
    weight = AlertRule.objects.get(household=alpha, kind="position_weight")
    assert (weight.scope, weight.threshold) == ("security", None)  # None: the policy's 10%


@time_machine.travel(NOW, tick=False)
def test_position_weight_opens_once_updates_and_resolves(alpha, xyz):
    only(alpha, "position_weight", "security")
    joint = AccountFactory(household=alpha, name="Joint")
    deposit(joint, "2026-11-02", 10000)
    buy(joint, "2026-11-02", xyz, 20, 2000)
    close(xyz, "2026-11-02", 100)
    # 20 × 100 = 2,000 of 10,000 = 20% > the policy's 10%
    first = evaluate(alpha)
    second = evaluate(alpha)
    assert len(first.opened) == 1 and first.emailed == 1
    assert second.opened == [] and second.ongoing == 1 and second.emailed == 0
    assert open_messages(alpha) == [
        "XYZ is 20.0% of the household ($2,000.00), above the 10% limit"
    ]
    assert len(mail.outbox) == 1
    # the price rises to 125: 2,500 of 10,500 = 23.8%: the same episode says so
    close(xyz, "2026-11-23", 125)
    evaluate(alpha, recompute=True)
    assert AlertEpisode.objects.count() == 1
    assert open_messages(alpha) == [
        "XYZ is 23.8% of the household ($2,500.00), above the 10% limit"
    ]
    # 20,000 more cash: 2,500 of 30,500 = 8.2%, under 10%: resolved and kept as history
    deposit(joint, "2026-11-20", 20000)
    derived_rebuild(household=alpha)
    assert evaluate(alpha).resolved == 1
    assert AlertEpisode.objects.get().status == "resolved"
    assert len(mail.outbox) == 1


@time_machine.travel(NOW, tick=False)
def test_harvestable_loss_sums_the_losing_lots_of_a_taxable_position(alpha, xyz):
    only(alpha, "harvestable_loss", "security", 1000)
    for name, kind in (("Joint", "taxable"), ("Roth", "roth_ira")):
        account = AccountFactory(household=alpha, name=name, type=kind)
        deposit(account, "2026-06-01", 5000)
        buy(account, "2026-06-01", xyz, 10, 1000)
        buy(account, "2026-07-01", xyz, 10, 1200)
    close(xyz, "2026-11-20", 50)
    # Joint: 10 × (100 − 50) + 10 × (120 − 50) = 500 + 700 = 1,200 > 1,000; the Roth's
    # identical lots have no tax value and are left out
    evaluate(alpha)
    assert open_messages(alpha) == [
        "XYZ in Joint could harvest a $1,200.00 loss (2 lots below cost), over $1,000.00"
    ]
    # at 70: 300 + 500 = 800, under 1,000
    close(xyz, "2026-11-23", 70)
    assert evaluate(alpha, recompute=True).resolved == 1
    assert open_messages(alpha) == []


@time_machine.travel(NOW, tick=False)
def test_price_move_and_stale_price(alpha, xyz):
    joint = AccountFactory(household=alpha, name="Joint")
    deposit(joint, "2026-11-02", 1000)
    buy(joint, "2026-11-02", xyz, 5, 500)
    close(xyz, "2026-11-12", 100)
    close(xyz, "2026-11-13", 91)
    # stale: XNYS sessions after Fri 11-13 through Mon 11-23: 16, 17, 18, 19, 20, 23 = 6 > 5
    only(alpha, "stale_price", "security", 5)
    evaluate(alpha)
    assert open_messages(alpha) == ["XYZ has had no new close for 6 trading days"]
    # the 11-13 move, 100 → 91 = −9%, is older than a week: a stale price, not a move
    only(alpha, "price_move", "security", 8)
    evaluate(alpha)
    assert open_messages(alpha) == []
    # closes of 11-20 (92) and 11-23 (84.50): 84.5 / 92 − 1 = −8.15%, beyond 8%
    close(xyz, "2026-11-20", 92)
    close(xyz, "2026-11-23", "84.5")
    evaluate(alpha, recompute=True)
    assert open_messages(alpha) == ["XYZ moved −8.2% on Nov 23, to $84.50"]
    only(alpha, "stale_price", "security", 5)
    evaluate(alpha)
    assert open_messages(alpha) == []  # the 11-23 close: 0 sessions missing


@time_machine.travel(NOW, tick=False)
def test_value_level_below_then_above(alpha):
    only(alpha, "value_level", "household", 10000)
    joint = AccountFactory(household=alpha, name="Joint")
    deposit(joint, "2026-11-02", 9000)
    evaluate(alpha)
    assert open_messages(alpha) == ["The household is worth $9,000.00, below $10,000.00"]
    deposit(joint, "2026-11-20", 2000)
    derived_rebuild(household=alpha)
    assert evaluate(alpha).resolved == 1


@time_machine.travel(NOW, tick=False)
def test_drawdown_of_the_household_from_its_peak(alpha, xyz):
    only(alpha, "drawdown", "household", 15)
    joint = AccountFactory(household=alpha, name="Joint")
    deposit(joint, "2026-11-02", 10000)
    buy(joint, "2026-11-02", xyz, 100, 10000)
    close(xyz, "2026-11-02", 100)
    close(xyz, "2026-11-10", 120)
    close(xyz, "2026-11-20", 96)
    # fully invested, no flows after day one: the index follows the price. Peak 120, last
    # 96 (carried to 11-23): 1 − 96 / 120 = 20% below
    evaluate(alpha)
    assert open_messages(alpha) == [
        "The household is 20.0% below its peak (time-weighted), beyond the 15% limit"
    ]
    # 11-23 closes at 110: 1 − 110 / 120 = 8.3%
    close(xyz, "2026-11-23", 110)
    assert evaluate(alpha, recompute=True).resolved == 1


@time_machine.travel(NOW, tick=False)
def test_cash_reserve_against_the_policy(alpha):
    Household.objects.filter(pk=alpha.pk).update(monthly_income_target=D(1000))
    alpha.refresh_from_db()
    only(alpha, "cash_reserve", "household")  # the policy's 6 months
    savings = AccountFactory(household=alpha, name="Savings", type="cash")
    deposit(savings, "2026-11-02", 5500)
    evaluate(alpha)
    # 5,500 / 1,000 = 5.5 months < 6
    assert open_messages(alpha) == [
        "The cash reserve covers 5.5 months of the income target, under the 6-month minimum"
    ]
    deposit(savings, "2026-11-20", 1000)
    derived_rebuild(household=alpha)
    assert evaluate(alpha).resolved == 1


@time_machine.travel(NOW, tick=False)
def test_sleeves_drifting_outside_their_bands(alpha):
    only(alpha, "allocation_drift", "sleeve")
    sleeves = {s.name: s for s in alpha.sleeves.all()}  # core 70, income 20, growth 10; ±5 pp
    core = AccountFactory(household=alpha, name="Core", default_sleeve=sleeves["core"])
    deposit(core, "2026-11-02", 10000)
    evaluate(alpha)
    # all 10,000 in core: +30 pp; income −20 pp; growth −10 pp: each outside ±5 pp
    assert open_messages(alpha) == [
        "The core sleeve is 100.0% of the household, 30.0 pp over its 70.0% target (band ±5.0 pp)",
        "The growth sleeve is 0.0% of the household, 10.0 pp under its 10.0% target (band ±5.0 pp)",
        "The income sleeve is 0.0% of the household, 20.0 pp under its 20.0% target (band ±5.0 pp)",
    ]
    # 14,000 core, 4,000 income, 2,000 growth of 20,000 = 70 / 20 / 10: on target
    deposit(core, "2026-11-20", 4000)
    income = AccountFactory(household=alpha, name="Income", default_sleeve=sleeves["income"])
    deposit(income, "2026-11-20", 4000)
    growth = AccountFactory(household=alpha, name="Growth", default_sleeve=sleeves["growth"])
    deposit(growth, "2026-11-20", 2000)
    derived_rebuild(household=alpha)
    assert evaluate(alpha).resolved == 3


@time_machine.travel(NOW, tick=False)
def test_dividend_cut(alpha):
    only(alpha, "dividend_cut", "security", 10)
    schd = SecurityFactory(symbol="SCHD", kind="etf")
    joint = AccountFactory(household=alpha, name="Joint")
    deposit(joint, "2025-01-02", 1000)
    buy(joint, "2025-01-02", schd, 10, 1000)
    close(schd, "2025-01-02", 100)
    for ex, pay, amount in [
        ("2026-03-20", "2026-03-27", "0.50"),
        ("2026-06-20", "2026-06-27", "0.40"),
    ]:
        DividendEvent.objects.create(
            security=schd, ex_date=date.fromisoformat(ex), pay_date=date.fromisoformat(pay),
            amount=D(amount),
        )  # fmt: skip
    # (0.40 − 0.50) / 0.50 = −20%, a cut beyond 10%
    evaluate(alpha)
    assert open_messages(alpha) == ["SCHD cut its dividend by 20.0% per share"]
    # the next one is back to 0.50: the latest change is a rise
    DividendEvent.objects.create(
        security=schd, ex_date=date(2026, 9, 20), pay_date=date(2026, 9, 27), amount=D("0.50")
    )
    assert evaluate(alpha).resolved == 1


@time_machine.travel(NOW, tick=False)
def test_income_shortfall_every_short_month_is_its_own_episode(alpha):
    Household.objects.filter(pk=alpha.pk).update(monthly_income_target=D(1500))
    alpha.refresh_from_db()
    only(alpha, "income_shortfall", "household", 10)
    schd = SecurityFactory(symbol="SCHD", kind="etf")
    joint = AccountFactory(household=alpha, name="Joint")
    deposit(joint, "2026-01-05", 20000)
    buy(joint, "2026-01-05", schd, 100, 2500)
    close(schd, "2026-01-05", 25)
    # October received 800 where 1,000 was projected when it started: 20% below
    TransactionFactory(
        account=joint, trade_date=date(2026, 10, 15), type=Transaction.Type.DIVIDEND,
        security=schd, amount=D(800), income_class="qualified",
    )  # fmt: skip
    ProjectionSnapshot.objects.create(
        household=alpha, month=date(2026, 10, 1), total=D(1000), taken_at="2026-10-01T04:00Z"
    )
    result = evaluate(alpha)
    # nothing is projected: November (nothing received yet) and the 11 months after it are
    # each 1,500 short, one episode per month, plus the closed October
    subjects = sorted(e.subject for e in result.opened)
    assert len(subjects) == 13
    assert (
        subjects[0] == "2026-11" and subjects[-2] == "2027-10" and subjects[-1] == "closed:2026-10"
    )
    assert "October 2026 closed at $800.00, 20.0% below the $1,000.00 projected" in " ".join(
        open_messages(alpha)
    )
    # a declared 15.00 a share paid in January on 100 shares: 1,500, the target; January's
    # episode resolves, the others stay
    DividendEvent.objects.create(
        security=schd, ex_date=date(2027, 1, 5), pay_date=date(2027, 1, 15), amount=D("15.00")
    )
    again = evaluate(alpha)
    assert again.resolved == 1 and again.opened == []
    assert AlertEpisode.objects.get(subject="2027-01").status == "resolved"


@time_machine.travel(NOW, tick=False)
def test_volatility_spike_of_a_holding(alpha, xyz):
    from reporting.calculations.risk import xnys_sessions

    only(alpha, "volatility_spike", "security", 2)
    joint = AccountFactory(household=alpha, name="Joint")
    deposit(joint, "2025-11-03", 1000)
    buy(joint, "2025-11-03", xyz, 1, 100)
    sessions = [day.date() for day in xnys_sessions(date(2025, 11, 3), date(2026, 11, 20))]
    # a calm year (±0.1% a day), then 20 sessions of ±3% a day: the 20-day volatility is
    # several times the year's (≈ 0.030 × √252 against ≈ 0.0085 × √252: 3.6×)
    price = 100.0
    for n, day in enumerate(sessions):
        step = 0.03 if n >= len(sessions) - 20 else 0.001
        price *= 1 + (step if n % 2 else -step)
        close(xyz, day.isoformat(), round(price, 4))
    evaluate(alpha)
    [episode] = AlertEpisode.objects.filter(household=alpha, resolved_at__isnull=True)
    assert episode.value > 3
    # 20 calm sessions later the spike is out of the 20-day window
    for n, day in enumerate(xnys_sessions(date(2026, 11, 23), date(2026, 12, 22))):
        price *= 1 + (0.001 if n % 2 else -0.001)
        close(xyz, day.date().isoformat(), round(price, 4))
    with time_machine.travel("2026-12-22 23:30:00+00:00", tick=False):
        derived_rebuild(household=alpha)
        assert evaluate(alpha).resolved == 1


@time_machine.travel(NOW, tick=False)
def test_an_episode_another_evaluation_opened_first_is_counted_once(alpha, xyz, monkeypatch):
    import contextlib

    import alerts.services.evaluation as evaluation_module

    rule = only(alpha, "position_weight", "security")
    joint = AccountFactory(household=alpha, name="Joint")
    deposit(joint, "2026-11-02", 10000)
    buy(joint, "2026-11-02", xyz, 20, 2000)
    close(xyz, "2026-11-02", 100)
    # given another evaluation that opens the episode while this one waits for the
    # household's lock to open its new episodes
    real_lock = evaluation_module.household_lock

    @contextlib.contextmanager
    def lock_after_another(household_id):
        AlertEpisode.objects.create(
            rule=rule,
            household=alpha,
            subject="XYZ",
            message="opened by the other",
            opened_at=NOW,
            last_seen_at=NOW,
        )
        with real_lock(household_id):
            yield

    monkeypatch.setattr(evaluation_module, "household_lock", lock_after_another)
    # when this one evaluates
    result = alerts_evaluate(household=alpha)
    # then it opens nothing and brings the other's episode up to date
    assert result.opened == [] and result.ongoing == 1 and result.updated == 1
    assert open_messages(alpha) == [
        "XYZ is 20.0% of the household ($2,000.00), above the 10% limit"
    ]
