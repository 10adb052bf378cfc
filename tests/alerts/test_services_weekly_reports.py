"""The weekly income e-mail: its figures for a hand-built week, read off a real local SMTP
server (aiosmtpd), sent once per member and week, retried after an SMTP failure."""

import email
import socket
from datetime import date
from decimal import Decimal
from email.message import Message
from io import StringIO

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command

from alerts.models import AlertRule
from income.models import ProjectionSnapshot
from portfolios.models import DividendEvent, Household, Membership, Transaction
from reporting.models import WeeklyReportDelivery
from tests.portfolios.factories import AccountFactory, SecurityFactory, TransactionFactory
from tests.portfolios.ledger_builders import buy, close, deposit

pytestmark = pytest.mark.django_db
D = Decimal

# Monday 2026-11-23 07:30 in New York (EST, UTC−5) = 12:30 UTC: the report is due.
MONDAY_MORNING = "2026-11-23 12:30:00+00:00"


class RecordingHandler:
    """An SMTP server's DATA handler that refuses the first ``fail_first`` messages (451,
    a temporary failure) and keeps the ones it accepts."""

    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.refused = 0
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        if self.refused < self.fail_first:
            self.refused += 1
            return "451 4.3.0 Mailbox busy, try again later"
        message = email.message_from_bytes(envelope.content)
        message["X-Rcpt-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free loopback port; Django's SMTP backend sends to it."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.INCOME_REPORT_RETRY_BACKOFF = 0
    yield handler
    controller.stop()


def parts(message: Message) -> dict[str, object]:
    """Return the text, the HTML and the inline image of a received message."""
    found: dict[str, object] = {}
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/plain":
            found["text"] = part.get_payload(decode=True).decode()
        elif kind == "text/html":
            found["html"] = part.get_payload(decode=True).decode()
        elif kind == "image/png":
            found["image"] = part
    return found


@pytest.fixture
def week(cast):
    """Household A's hand-built week of 2026-11-16..22.

    Income account (sleeve "income"): 10,000 deposited 01-05, 100 SCHD bought at 25;
    dividends 30.00 (10-15) and 40.00 (11-02) before the week; in the week 500 deposited
    (11-17), a 60.00 dividend with 6.00 withheld and 12.34 interest (11-18). SCHD closes
    25 (01-05), 26 (10-30), 27 (11-13), 28 (11-20); VTI, the benchmark, 200 (2025-12-31),
    220 (10-30), 231 (11-20). November's projection kept on 11-01: 165.00.
    """
    for user, address in ((cast.owner, "alice@example.com"), (cast.member, "carol@example.com")):
        user.email = address
        user.save(update_fields=["email"])
    Membership.objects.filter(user=cast.viewer).update(weekly_report=False)
    household = cast.household_a
    Household.objects.filter(pk=household.pk).update(
        monthly_income_target=D(1500), default_benchmark="VTI"
    )
    household.refresh_from_db()
    # One rule stays on, kept out of the alert digest so only the weekly e-mail is sent.
    AlertRule.objects.filter(household=household).exclude(kind="cash_reserve").update(enabled=False)
    AlertRule.objects.filter(household=household).update(notify_email=False)
    schd = SecurityFactory(symbol="SCHD", name="Schwab US Dividend Equity ETF", kind="etf")
    vti = SecurityFactory(symbol="VTI", name="Vanguard Total Stock Market ETF", kind="etf")
    income = household.sleeves.get(name="income")
    account = AccountFactory(household=household, name="Income", default_sleeve=income)

    def row(day, kind, amount, **extra):
        return TransactionFactory(
            account=account, trade_date=day, type=kind, amount=D(amount), **extra
        )

    deposit(account, "2026-01-05", 10000)
    buy(account, "2026-01-05", schd, 100, 2500)
    row(date(2026, 10, 15), "DIVIDEND", "30.00", security=schd, income_class="qualified")
    row(date(2026, 11, 2), "DIVIDEND", "40.00", security=schd, income_class="qualified")
    deposit(account, "2026-11-17", 500)
    row(date(2026, 11, 18), "DIVIDEND", "60.00", security=schd, income_class="qualified")
    row(date(2026, 11, 18), "TAX_WITHHELD", "6.00", security=schd)
    row(date(2026, 11, 18), "INTEREST", "12.34")
    for day, price in (
        ("2026-01-05", 25),
        ("2026-10-30", 26),
        ("2026-11-13", 27),
        ("2026-11-20", 28),
    ):
        close(schd, day, price)
    for day, price in (("2025-12-31", 200), ("2026-10-30", 220), ("2026-11-20", 231)):
        close(vti, day, price)
    # declared: 0.65 a share on the 100 shares, paid in the fortnight after the week
    DividendEvent.objects.create(
        security=schd, ex_date=date(2026, 11, 25), pay_date=date(2026, 11, 30), amount="0.65"
    )
    ProjectionSnapshot.objects.create(
        household=household, month=date(2026, 11, 1), total=D(165), taken_at="2026-11-01T05:00Z"
    )
    return household


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_the_weeks_figures_exactly_as_received_by_the_smtp_server(week, smtp):
    out = StringIO()
    call_command("send_income_reports", stdout=out)
    assert out.getvalue() == "sent 2 report(s); 0 already sent\n"
    assert sorted(m["X-Rcpt-To"] for m in smtp.messages) == [
        "alice@example.com", "carol@example.com",
    ]  # fmt: skip
    message = smtp.messages[0]
    # received in the week: dividend 60.00 + interest 12.34 = 72.34
    assert message["Subject"] == "Hearth weekly income: $72.34 received, week ending Nov 22"
    found = parts(message)
    text, html = found["text"], found["html"]
    lines = text.splitlines()
    assert "Received this week: $72.34 (tax withheld $6.00)" in lines
    assert "  Qualified dividends: $60.00" in lines
    assert "  Interest: $12.34" in lines
    assert "  in Income: $72.34" in lines
    assert (
        "  Wed Nov 18  SCHD (Schwab US Dividend Equity ETF)  Income  Qualified dividends  $60.00"
        in lines
    )
    # November so far: 40.00 + 72.34 = 112.34 of the 165.00 kept on 11-01;
    # year to date: 30.00 + 112.34 = 142.34
    assert "November so far: $112.34 of $165.00 projected; monthly target $1,500.00" in lines
    assert "Year to date: $142.34" in lines
    # coming: 100 shares × 0.65 = 65.00 declared, paid Monday 11-30
    assert "Expected in the next two weeks: $65.00" in lines
    assert "  Mon Nov 30  SCHD (Schwab US Dividend Equity ETF)  Income  $65.00  (declared)" in lines
    # value: 11-15 close: cash 10,000 − 2,500 + 30 + 40 = 7,570 + 100 × 27 = 10,270;
    # 11-22: 7,570 + 500 + 60 − 6 + 12.34 = 8,136.34 + 100 × 28 = 10,936.34.
    # Change 666.34 = 500.00 deposited + 166.34 return (100 price + 66.34 income net of tax)
    assert "Value on Nov 22: $10,936.34, +$666.34 over the week" in lines
    assert "  contributions +$500.00, market return +$166.34" in lines
    # TWR, month from the 10-31 close (10,130 = 7,530 cash + 2,600):
    #   10,270 / 10,130 × 10,936.34 / (10,270 + 500) − 1 = 2.95% (the deposit day is 0);
    # year from 0 (first value 10,000 on 01-05): 10,270 / 10,000 × 10,936.34 / 10,770 − 1
    #   = 4.29%. VTI: 231 / 220 − 1 = 5.00% and 231 / 200 − 1 = 15.50%
    assert "Return: November +2.95% (VTI +5.00%); year to date +4.29% (VTI +15.50%)" in lines
    # sleeves: everything is in the income sleeve: 100% against 20% (+80 pp)
    assert "  Income: 100.0% (target 20.0%, +80.0 pp)" in lines
    assert "  Core: 0.0% (target 70.0%, −70.0 pp)" in lines
    assert "ALERTS (1 open)" in lines
    assert (
        "  - The cash reserve covers 0.0 months of the income target, under the 6-month minimum"
        in lines
    )
    # every figure links back with an absolute address
    assert "http://testserver.example/income/" in lines
    assert "http://testserver.example/performance/" in lines
    assert "http://testserver.example/portfolio/allocation/" in lines
    assert 'href="/' not in html
    assert (
        '<a href="http://testserver.example/income/" style="color:#1f2933;'
        'text-decoration:none;">$72.34</a>' in html
    )
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    # the chart is inline: the HTML shows the PNG part by its Content-ID
    assert 'src="cid:income-chart"' in html
    image = found["image"]
    assert image["Content-ID"] == "<income-chart>"
    assert image.get_payload(decode=True)[:8] == b"\x89PNG\r\n\x1a\n"
    assert message.get_content_type() == "multipart/related"


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_an_smtp_failure_is_retried_then_sent_once_and_recorded(week, smtp):
    smtp.fail_first = 1
    out = StringIO()
    call_command("send_income_reports", "--week-ending", "2026-11-22", stdout=out)
    # alice's first try is refused (451) and retried; carol's goes through at once
    assert out.getvalue() == "sent 2 report(s); 0 already sent\n"
    assert smtp.refused == 1 and len(smtp.messages) == 2
    alice = WeeklyReportDelivery.objects.get(membership__user__username="alice")
    assert (alice.attempts, alice.last_error) == (2, "")
    assert alice.sent_at is not None
    # again for the same week: nothing new
    call_command("send_income_reports", "--week-ending", "2026-11-22", stdout=out)
    assert out.getvalue().splitlines()[-1] == "sent 0 report(s); 2 already sent"
    assert len(smtp.messages) == 2


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_a_server_that_keeps_failing_is_reported_and_retried_next_run(week, smtp, settings):
    settings.INCOME_REPORT_RETRIES = 1
    smtp.fail_first = 4  # both members, both tries
    with pytest.raises(Exception, match="2 report"):
        call_command("send_income_reports", stdout=StringIO(), stderr=StringIO())
    rows = WeeklyReportDelivery.objects.order_by("membership__user__username")
    assert [(r.sent_at, r.attempts, r.claimed_at) for r in rows] == [(None, 2, None)] * 2
    assert rows[0].last_error.startswith("(451, b'4.3.0 Mailbox busy")
    # the server is back: the next run sends both, once
    call_command("send_income_reports", stdout=StringIO())
    assert len(smtp.messages) == 2


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_the_hourly_task_queues_each_member_and_retries_with_backoff(week, smtp):
    from alerts.tasks import send_income_reports_task
    from config.celery import app

    smtp.fail_first = 1
    # eager, not propagating, a retry runs at once; on a worker it waits retry_backoff
    # (60 s, doubling, with jitter)
    app.conf.task_eager_propagates = False
    try:
        assert send_income_reports_task() == {"queued": 2}
    finally:
        app.conf.task_eager_propagates = True
    assert len(smtp.messages) == 2 and smtp.refused == 1
    alice = WeeklyReportDelivery.objects.get(membership__user__username="alice")
    assert alice.attempts == 2 and alice.sent_at is not None
    assert send_income_reports_task() == {"queued": 0}
    assert len(smtp.messages) == 2


def test_an_import_changes_the_alert_and_the_next_email_with_no_manual_step(week, smtp):
    from portfolios.services.imports import transactions_import

    with time_machine.travel(MONDAY_MORNING, tick=False):
        AlertRule.objects.filter(household=week, kind="income_shortfall").update(
            enabled=True, threshold=D(10)
        )
        DividendEvent.objects.create(
            security=week.accounts.get().transactions.filter(security__isnull=False)
            .first().security,
            ex_date=date(2027, 1, 5), pay_date=date(2027, 1, 15), amount=D("1.00"),
        )  # fmt: skip
        call_command("send_income_reports", stdout=StringIO())
        # January: 100 shares × 1.00 = 100.00 declared; 1,500 − 100 = 1,400 short
        first = parts(smtp.messages[0])["text"]
        assert (
            "January 2027 is expected at $100.00, $1,400.00 short of the $1,500.00 target" in first
        )
    with time_machine.travel("2026-11-30 12:30:00+00:00", tick=False):
        # the household imports a purchase of 100 more SCHD; no recompute is run by hand
        csv = b"date,account,type,symbol,quantity,price\n2026-11-24,Income,BUY,SCHD,100,28\n"
        transactions_import(
            household=week, content=csv, filename="buy.csv", format="hearth", user=None
        )
        assert Transaction.objects.filter(trade_date=date(2026, 11, 24)).count() == 1
        call_command("send_income_reports", stdout=StringIO())
        # January now 200 × 1.00 = 200.00: 1,300 short, in the alert and in the e-mail
        latest = parts(smtp.messages[-1])["text"]
        assert (
            "January 2027 is expected at $200.00, $1,300.00 short of the $1,500.00 target" in latest
        )
        from alerts.models import AlertEpisode

        assert AlertEpisode.objects.get(subject="2027-01").message.startswith(
            "January 2027 is expected at $200.00"
        )


def test_due_monday_seven_household_time_across_dst(week):
    from alerts.tasks import send_income_reports_task

    # spring forward on Sunday 2026-03-08: Monday 03-09 07:00 EDT = 11:00 UTC
    with time_machine.travel("2026-03-09 10:59:00+00:00", tick=False):
        assert send_income_reports_task() == {"queued": 0}
    with time_machine.travel("2026-03-09 11:10:00+00:00", tick=False):
        assert send_income_reports_task() == {"queued": 2}
    # fall back on Sunday 2026-11-01: Monday 11-02 07:00 EST = 12:00 UTC
    with time_machine.travel("2026-11-02 11:10:00+00:00", tick=False):
        assert send_income_reports_task() == {"queued": 0}
    with time_machine.travel("2026-11-02 12:10:00+00:00", tick=False):
        assert send_income_reports_task() == {"queued": 2}
        assert send_income_reports_task() == {"queued": 0}
    assert sorted(set(WeeklyReportDelivery.objects.values_list("week_ending", flat=True))) == [
        date(2026, 3, 8),
        date(2026, 11, 1),
    ]
    assert len(mail.outbox) == 4


def test_command_checks_the_date(week):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="is a Saturday, not a Sunday"):
        call_command("send_income_reports", "--week-ending", "2026-11-21")
