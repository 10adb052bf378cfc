"""A household member tunes an alert rule and their e-mails on a phone, and prints the
quarterly review."""

import pytest
from django.contrib.auth import get_user_model

from alerts.models import AlertRule, EmailPreference
from portfolios.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_member_changes_a_threshold_and_quiet_hours_on_a_phone(live_server, browser, cast):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    user = get_user_model().objects.get(username="carol")
    user.set_password("pw-carol-1")
    user.save(update_fields=["password"])
    log_in(page, live_server, "carol", "pw-carol-1")
    page.goto(f"{live_server.url}/alerts/rules/")
    # no sideways scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    rule = AlertRule.objects.get(household=cast.household_a, kind="drawdown")
    form = page.locator(f"#rule-{rule.pk}")
    form.locator("input[name$='-threshold']").fill("12")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Saved: Drawdown from peak.")
    rule.refresh_from_db()
    assert str(rule.threshold) == "12.0000"
    membership = Membership.objects.get(user=user, household=cast.household_a)
    mine = page.locator(f"#member-{membership.pk}")
    mine.locator("input[name$='-quiet_start']").fill("21:30")
    mine.locator("input[name$='-quiet_end']").fill("06:45")
    mine.locator("input[value='price_move']").uncheck()
    mine.locator("button[type=submit]").click()
    page.wait_for_selector("text=Saved the e-mails of carol.")
    preference = EmailPreference.objects.get(membership=membership)
    assert "price_move" not in preference.alert_kinds and "drawdown" in preference.alert_kinds
    assert (preference.quiet_start.isoformat(), preference.quiet_end.isoformat()) == (
        "21:30:00", "06:45:00",
    )  # fmt: skip
    context.close()


def test_quarterly_review_prints_without_the_navigation(live_server, page, cast):
    log_in(page, live_server, "alice", "pw-alice-1")
    page.goto(f"{live_server.url}/reports/quarterly/?quarter=2026-Q3")
    assert page.locator("h1").inner_text() == "Alpha: quarterly review, Q3 2026"
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden()
    assert page.locator(".review-nav").is_hidden()
    assert page.locator("#performance").is_visible()
    pdf = page.pdf(format="Letter")
    assert pdf.startswith(b"%PDF")
