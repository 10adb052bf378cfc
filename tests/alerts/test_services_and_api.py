"""Alert episodes through the command, the API and the pages."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from alerts.calculations import HouseholdFacts, PositionFact
from alerts.models import AlertEpisode, AlertRule
from alerts.services import alert_rules_create_defaults, alerts_evaluate
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)


def heavy_vti(weight: str) -> HouseholdFacts:
    return HouseholdFacts(positions=[PositionFact("VTI", Decimal(weight), kind="stock")])


@pytest.fixture
def weight_rule(cast):
    cast.owner.email = "alice@example.com"
    cast.owner.save(update_fields=["email"])
    return AlertRule.objects.create(
        household=cast.household_a, kind="position_weight", threshold=Decimal(10)
    )


def test_an_episode_opens_once_is_emailed_once_and_resolves(cast, weight_rule):
    # when the condition holds on two evaluations
    first = alerts_evaluate(household=cast.household_a, facts=heavy_vti("0.15"), now=NOW)
    second = alerts_evaluate(
        household=cast.household_a, facts=heavy_vti("0.16"), now=NOW + timedelta(days=1)
    )
    # then one episode, one email, its value updated
    assert len(first.opened) == 1 and first.emailed == 1
    assert second.opened == [] and second.ongoing == 1 and second.emailed == 0
    episode = AlertEpisode.objects.get()
    assert episode.value == Decimal("0.16")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "VTI is 15.0% of the household" in mail.outbox[0].body
    # when the condition clears, the episode resolves; when it returns, a new episode opens
    cleared = alerts_evaluate(
        household=cast.household_a, facts=heavy_vti("0.05"), now=NOW + timedelta(days=2)
    )
    assert cleared.resolved == 1
    assert AlertEpisode.objects.get().status == "resolved"
    again = alerts_evaluate(
        household=cast.household_a, facts=heavy_vti("0.2"), now=NOW + timedelta(days=3)
    )
    assert len(again.opened) == 1
    assert AlertEpisode.objects.count() == 2


def test_api_lists_by_status_and_member_acknowledges(cast, weight_rule):
    alerts_evaluate(household=cast.household_a, facts=heavy_vti("0.15"), now=NOW)
    episode = AlertEpisode.objects.get()
    viewer = client_for(cast.viewer)
    assert viewer.get("/api/v1/alerts/?status=open").json()["count"] == 1
    assert viewer.post(f"/api/v1/alerts/{episode.pk}/acknowledge/").status_code == 403
    member = client_for(cast.member)
    response = member.post(f"/api/v1/alerts/{episode.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert member.get("/api/v1/alerts/?status=open").json()["count"] == 0
    assert member.get("/api/v1/alerts/?status=acknowledged").json()["count"] == 1
    bad = member.get("/api/v1/alerts/?status=closed")
    assert bad.status_code == 400
    assert "status" in bad.json()["errors"]
    csv = member.get("/api/v1/alerts/?format=csv").content.decode().splitlines()
    assert csv[0].startswith("id,rule,threshold,subject,message,value,status")


def test_other_household_cannot_see_or_acknowledge(cast, weight_rule):
    alerts_evaluate(household=cast.household_a, facts=heavy_vti("0.15"), now=NOW)
    episode = AlertEpisode.objects.get()
    outsider = client_for(cast.outsider)
    assert outsider.get("/api/v1/alerts/").json()["count"] == 0
    assert outsider.post(f"/api/v1/alerts/{episode.pk}/acknowledge/").status_code == 404
    page_client = Client()
    page_client.force_login(cast.outsider)
    assert page_client.post(f"/alerts/{episode.pk}/acknowledge/").status_code == 404


def test_alerts_page_shows_and_acknowledges(cast, weight_rule):
    alerts_evaluate(household=cast.household_a, facts=heavy_vti("0.15"), now=NOW)
    episode = AlertEpisode.objects.get()
    client = Client()
    client.force_login(cast.viewer)
    assert b"VTI is 15.0% of the household" in client.get("/alerts/").content
    assert client.post(f"/alerts/{episode.pk}/acknowledge/").status_code == 403
    client.force_login(cast.owner)
    assert client.post(f"/alerts/{episode.pk}/acknowledge/").status_code == 302
    episode.refresh_from_db()
    assert episode.status == "acknowledged"


def test_evaluate_alerts_command_uses_stored_facts(cast):
    # given default rules and a household whose cash (no cash account) reserve is 0 months
    from portfolios.models import Household

    Household.objects.filter(pk=cast.household_a.pk).update(monthly_income_target=Decimal(1000))
    cast.household_a.refresh_from_db()
    alert_rules_create_defaults(household=cast.household_a)
    out = StringIO()
    # when
    call_command("evaluate_alerts", "--household", "Alpha", stdout=out)
    # then the 0-month reserve is below the 6-month minimum, and with nothing projected the
    # next two months (1,000 short each) fall below the 750 floor of a 25% tolerance
    assert "3 opened" in out.getvalue()
    assert "cash reserve covers 0.0 months, under the 6-month minimum" in out.getvalue()
    assert out.getvalue().count("$1000.00 short of the $1000.00 target") == 2


def test_harvest_facts_come_only_from_taxable_accounts(cast):
    # given the same losing purchase (1,000 now worth 800) in a taxable account and a Roth IRA
    from alerts.selectors import household_facts
    from alerts.services.recompute import household_recompute
    from tests.portfolios.factories import AccountFactory, SecurityFactory
    from tests.portfolios.ledger_builders import buy, close, deposit

    xyz = SecurityFactory(symbol="XYZ", kind="stock")
    for name, kind in (("Joint", "taxable"), ("Roth", "roth_ira")):
        account = AccountFactory(household=cast.household_a, name=name, type=kind)
        deposit(account, "2025-01-02", 1000)
        buy(account, "2025-01-02", xyz, 10, 1000)
    close(xyz, "2025-01-02", 80)
    household_recompute(household=cast.household_a)
    # when
    facts = household_facts(household=cast.household_a)
    # then only the taxable lot is a harvesting fact; both count toward the position:
    # 2 × 10 × 80 = 1,600 of a 1,600 household (no cash left) = 100%
    assert [(lot.account, lot.market_value) for lot in facts.lots] == [("Joint", Decimal(800))]
    assert [(p.symbol, p.weight) for p in facts.positions] == [("XYZ", Decimal(1))]


def test_dividend_cut_facts_come_from_the_income_engine(cast):
    # given 10 SCHD held and its dividend per share going from 0.50 to 0.40: −20%
    from datetime import date

    from alerts.selectors import household_facts
    from alerts.services.recompute import household_recompute
    from portfolios.models import DividendEvent
    from tests.portfolios.factories import AccountFactory, SecurityFactory
    from tests.portfolios.ledger_builders import buy, close, deposit

    schd = SecurityFactory(symbol="SCHD", kind="etf")
    joint = AccountFactory(household=cast.household_a, name="Joint")
    deposit(joint, "2025-01-02", 1000)
    buy(joint, "2025-01-02", schd, 10, 1000)
    close(schd, "2025-01-02", 100)
    for ex, pay, amount in [
        ("2025-03-20", "2025-03-27", "0.50"),
        ("2025-06-20", "2025-06-27", "0.40"),
    ]:
        DividendEvent.objects.create(
            security=schd, ex_date=date.fromisoformat(ex), pay_date=date.fromisoformat(pay),
            amount=Decimal(amount),
        )  # fmt: skip
    household_recompute(household=cast.household_a)
    # when
    facts = household_facts(household=cast.household_a, today=date(2025, 7, 1))
    # then (0.40 − 0.50) / 0.50 = −0.2
    assert facts.dividend_changes == {"SCHD": Decimal("-0.2")}
