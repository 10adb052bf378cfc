"""The weekly income email: what it says, when it goes, and that it goes once."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from alerts.services.recompute import household_recompute
from portfolios.models import DividendEvent, Membership, Transaction
from reporting.models import WeeklyReportDelivery
from reporting.tasks import send_income_reports_task
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory

pytestmark = pytest.mark.django_db

# Monday 2026-11-23 07:30 in New York (EST, UTC−5) = 12:30 UTC: the report is due.
MONDAY_MORNING = "2026-11-23 12:30:00+00:00"


@pytest.fixture
def income_household(cast):
    for user, address in ((cast.owner, "alice@example.com"), (cast.member, "carol@example.com")):
        user.email = address
        user.save(update_fields=["email"])
    Membership.objects.filter(user=cast.viewer).update(weekly_report=False)
    schd = SecurityFactory(symbol="SCHD", kind="etf", qualified_default=True)
    account = AccountFactory(household=cast.household_a, name="Income")

    def row(day, kind, amount, **extra):
        return TransactionFactory(
            account=account, trade_date=day, type=kind, amount=Decimal(amount), **extra
        )

    row(date(2026, 1, 5), "DEPOSIT", "10000")
    row(date(2026, 1, 5), "BUY", "2500", security=schd, quantity=Decimal(100), price=Decimal(25))
    row(date(2026, 10, 15), "DIVIDEND", "30.00", security=schd, income_class="qualified")
    row(date(2026, 11, 2), "DIVIDEND", "40.00", security=schd, income_class="qualified")
    row(date(2026, 11, 18), "DIVIDEND", "60.00", security=schd, income_class="qualified")
    row(date(2026, 11, 18), "TAX_WITHHELD", "6.00", security=schd)
    row(date(2026, 11, 18), "INTEREST", "12.34")
    # declared: 0.65 a share on the 100 shares, paid in the fortnight after the week
    DividendEvent.objects.create(
        security=schd, ex_date=date(2026, 11, 25), pay_date=date(2026, 11, 30), amount="0.65"
    )
    return cast.household_a


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_due_report_is_sent_once_to_each_opted_in_member(income_household):
    household_recompute(household=income_household)
    # when the hourly job runs twice on Monday morning
    first = send_income_reports_task()
    second = send_income_reports_task()
    # then alice and carol get one email each; victor opted out; bob has no address
    assert first == {"sent": 2, "already_sent": 0, "failed": []}
    assert second == {"sent": 0, "already_sent": 2, "failed": []}
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "carol@example.com"]
    assert set(WeeklyReportDelivery.objects.values_list("week_ending", flat=True)) == {
        date(2026, 11, 22)
    }
    message = mail.outbox[0]
    # received in the week 11-16..11-22: dividend 60.00 + interest 12.34 = 72.34
    assert message.subject == "Hearth weekly income: $72.34 received, week ending Nov 22"
    body = message.body
    assert "Received this week: $72.34 (tax withheld $6.00)" in body
    # November so far: 40.00 + 72.34 = 112.34; year to date: 30.00 + 112.34 = 142.34
    assert "November so far: $112.34" in body
    assert "Year to date: $142.34" in body
    # coming: 100 shares × 0.65 = 65.00 declared, paid Monday 11-30
    assert "Expected in the next two weeks: $65.00" in body
    assert "Mon Nov 30  SCHD  Income  $65.00  (declared)" in body
    assert message.alternatives[0][1] == "text/html"


@time_machine.travel("2026-11-23 11:59:00+00:00", tick=False)
def test_nothing_is_sent_before_seven_household_time(income_household):
    assert send_income_reports_task()["sent"] == 0
    assert mail.outbox == []


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_command_sends_a_chosen_week_once_and_checks_the_date(income_household):
    out = StringIO()
    call_command("send_income_reports", "--week-ending", "2026-11-15", stdout=out)
    call_command("send_income_reports", "--week-ending", "2026-11-15", stdout=out)
    assert out.getvalue().splitlines() == [
        "sent 2 report(s); 0 already sent",
        "sent 0 report(s); 2 already sent",
    ]
    # the week 11-09..11-15 had no income
    assert "Nothing was paid this week." in mail.outbox[0].body
    with pytest.raises(CommandError, match="is a Saturday, not a Sunday"):
        call_command("send_income_reports", "--week-ending", "2026-11-21")


def test_transactions_of_other_households_never_appear(income_household, cast):
    other = AccountFactory(household=cast.household_b, name="Bravo")
    TransactionFactory(
        account=other, trade_date=date(2026, 11, 18), type=Transaction.Type.INTEREST,
        amount=Decimal("999.99"),
    )  # fmt: skip
    call_command("send_income_reports", "--week-ending", "2026-11-22", stdout=StringIO())
    assert all("999.99" not in m.body for m in mail.outbox)
