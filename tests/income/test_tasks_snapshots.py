"""Each month's projection is kept when the month starts, and reliability compares with it.

The household keeps the default America/New_York time zone (UTC-4 in spring).
"""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from config.schedule import beat_schedule
from income.models import ProjectionSnapshot
from income.selectors import income_reliability
from income.services.projections import snapshot_projection
from income.tasks import snapshot_income_projections_task
from portfolios.models import Account, Household, Security
from portfolios.services.ledger import ledger_rebuild
from tests.income.builders import buy, deposit, event, income, monthly_events, security
from tests.portfolios.factories import AccountFactory

pytestmark = pytest.mark.tasks
D = Decimal


@pytest.fixture
def monthly_payer(cast):
    """200 O in an IRA: 0.2625 paid on the 15th since April 2024, April 2025's 0.264 declared."""
    ira = AccountFactory(household=cast.household_a, name="IRA", type=Account.Type.TRADITIONAL_IRA)
    realty = security(
        "O", kind=Security.Kind.REIT, dividend_frequency="monthly", qualified_default=False
    )
    deposit(ira, date(2024, 1, 2), "20000")
    buy(ira, realty, date(2024, 2, 1), "200", "55")
    monthly_events(realty, date(2024, 4, 15), 12, "0.2625")
    event(realty, date(2025, 3, 31), date(2025, 4, 15), "0.264")
    ledger_rebuild(household=cast.household_a)
    return {"ira": ira, "o": realty}


def test_snapshot_is_taken_once_when_the_household_month_starts(cast, monthly_payer):
    # given 23:30 on 31 March in New York (03:30 UTC on 1 April): still March there
    with time_machine.travel("2025-04-01 03:30Z", tick=False):
        snapshot_income_projections_task.delay()
    # then March was kept (its payments are past: nothing left to expect on the 31st)
    march = ProjectionSnapshot.objects.get(household=cast.household_a)
    assert (march.month, march.total) == (date(2025, 3, 1), D(0))

    # when the job runs again at 00:30 on 1 April in New York, and once more an hour later
    with time_machine.travel("2025-04-01 04:30Z", tick=False):
        first = snapshot_income_projections_task.delay().get()
    buy(monthly_payer["ira"], monthly_payer["o"], date(2025, 4, 1), "100", "56")
    with time_machine.travel("2025-04-01 05:30Z", tick=False):
        second = snapshot_income_projections_task.delay().get()

    # then April is kept once, with what was expected at its start: 200 * 0.264 = 52.80 on
    # 15 April; the later purchase does not change it. Household B (nothing held) gets its
    # own, empty snapshot
    april = ProjectionSnapshot.objects.get(household=cast.household_a, month=date(2025, 4, 1))
    assert april.total == D("52.80")
    assert april.by_source == {"ordinary_dividend": "52.8000"}
    assert sorted(first["taken"]) == sorted([cast.household_a.pk, cast.household_b.pk])
    assert second["taken"] == []
    assert ProjectionSnapshot.objects.filter(household=cast.household_b).count() == 2


def test_snapshot_follows_each_households_own_time_zone(cast, monthly_payer):
    # given household B in Tokyo (UTC+9)
    Household.objects.filter(pk=cast.household_b.pk).update(time_zone="Asia/Tokyo")

    # when the job runs at 16:00 UTC on 31 March: 01:00 on 1 April in Tokyo
    with time_machine.travel("2025-03-31 16:00Z", tick=False):
        snapshot_income_projections_task.delay()

    # then Tokyo keeps April, New York keeps March
    months = dict(ProjectionSnapshot.objects.values_list("household__name", "month"))
    assert months == {"Alpha": date(2025, 3, 1), "Bravo": date(2025, 4, 1)}


def test_snapshot_projection_is_idempotent(cast, monthly_payer):
    # given April's snapshot
    with time_machine.travel("2025-04-01 12:00Z", tick=False):
        snapshot_income_projections_task.delay()
    kept = ProjectionSnapshot.objects.get(household=cast.household_a, month=date(2025, 4, 1))

    # when it is asked for again, for any day of April
    again = snapshot_projection(household=cast.household_a, month=date(2025, 4, 20))

    # then
    assert again.pk == kept.pk
    assert ProjectionSnapshot.objects.filter(household=cast.household_a).count() == 1


def test_reliability_compares_received_with_the_projection_kept_at_month_start(cast, monthly_payer):
    # given April's projection kept on 1 April (52.80 from O), then O paid only 47.52 on
    # 15 April (0.2376 a share: the declared raise became a cut)
    with time_machine.travel("2025-04-01 12:00Z", tick=False):
        snapshot_income_projections_task.delay()
    income(monthly_payer["ira"], date(2025, 4, 15), "47.52", held=monthly_payer["o"])

    # when reliability is read on 10 May
    with time_machine.travel("2025-05-10 16:00Z", tick=False):
        snapshot_income_projections_task.delay()
        result = income_reliability(household=cast.household_a, today=date(2025, 5, 10))

    # then April: 47.52 / 52.80 = 0.9; May is not closed yet; the trailing 12 months hold
    # only April, so also 0.9
    assert [(m.month, m.received, m.projected, m.ratio) for m in result.months] == [
        (date(2025, 4, 1), D("47.52"), D("52.80"), D("0.9"))
    ]
    assert result.trailing_twelve_months == D("0.9")


def test_one_households_failure_does_not_stop_the_others(cast, monthly_payer, monkeypatch):
    # given household A's rebuild fails
    from income.services import projections

    original = projections.projections_rebuild

    def failing(*, household, today=None):
        if household.pk == cast.household_a.pk:
            raise RuntimeError("bad data")
        return original(household=household, today=today)

    monkeypatch.setattr(projections, "projections_rebuild", failing)

    # when
    with time_machine.travel("2025-04-01 12:00Z", tick=False):
        result = snapshot_income_projections_task.delay().get()

    # then B was kept and A is reported; the next run tries A again
    assert result["taken"] == [cast.household_b.pk]
    assert result["failed"] == {cast.household_a.pk: "bad data"}
    assert not ProjectionSnapshot.objects.filter(household=cast.household_a).exists()


def test_the_job_is_on_the_beat_schedule_hourly_with_expiry(monkeypatch):
    # given no override
    monkeypatch.delenv("SCHEDULE_INCOME_SNAPSHOTS", raising=False)

    # when
    entry = beat_schedule()["Keep the income projection at each month's start"]

    # then every hour at :05, expiring before the next run
    assert entry["task"] == "income.tasks.snapshot_income_projections_task"
    assert entry["schedule"].minute == {5}
    assert len(entry["schedule"].hour) == 24
    assert entry["options"]["expires"] < 3600
    monkeypatch.setenv("SCHEDULE_INCOME_SNAPSHOTS", "disable")
    assert "Keep the income projection at each month's start" not in beat_schedule()
