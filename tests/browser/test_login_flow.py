"""A person logs in as the demo user, sees the dashboard, and logs out."""

from datetime import date

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_user_logs_in_sees_dashboard_and_logs_out(live_server, page, settings):
    # given the demo household
    settings.DEMO_MODE = True
    call_command("seed_demo", today=date(2026, 11, 20))
    # when the demo user logs in through the form
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_login", "demo")
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    # then the dashboard lists the household's accounts with cash balances
    assert page.locator("h1").inner_text() == "Demo household"
    table = page.locator("#accounts-table")
    assert table.locator("tbody tr").count() == 7
    assert "Joint Brokerage" in table.inner_text()
    assert "Emergency Fund" in table.inner_text()
    # and logging out returns to the login page, after which the dashboard is closed
    page.click("text=Log out")
    page.wait_for_url("**/accounts/login/")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url


def test_wrong_password_is_refused(live_server, page, django_user_model):
    django_user_model.objects.create_user(username="pat", password="right-horse-battery")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", "pat")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert "/accounts/login/" in page.url
    assert "not correct" in page.content() or "incorrect" in page.content().lower()
