"""The front page and an account page in Chromium on a laptop (1440 px) and a phone (390 px):
no sideways scrolling, every Plotly chart drawn with data, no console errors. Screenshots go
to var/test-artifacts/ (not committed)."""

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from portfolios.models import Account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "test-artifacts"
WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}
CHARTS_DRAWN = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map((el) => ({
  id: el.id,
  points: (el.data || []).reduce((n, trace) =>
    n + ((trace.y || trace.values || []).filter((v) => v !== null).length), 0),
}))"""


@pytest.mark.parametrize("screen", list(WIDTHS))
def test_dashboard_and_account_page_fit_the_screen_with_charts(
    live_server, browser, settings, screen
):
    settings.DEMO_MODE = True
    call_command("seed_demo", today=date(2026, 11, 20))
    account = Account.objects.get(name="Joint Brokerage")
    width, height = WIDTHS[screen]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", "demo")
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, path in [
        ("dashboard", "/"),
        ("dashboard-retirement", "/?show=retirement"),
        ("account", f"/portfolio/accounts/{account.pk}/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{screen}.png"), full_page=True)
        overflow = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], (path, overflow)
        charts = page.evaluate(CHARTS_DRAWN)
        assert {chart["id"] for chart in charts} == {
            "chart-value", "chart-twr", "chart-sunburst", "chart-income"
        }, path  # fmt: skip
        assert all(chart["points"] > 0 for chart in charts), (path, charts)
        # the period picker redraws a chart without reloading the page
        page.click('#value-card .periods a[data-period="1M"]')
        assert page.locator("#value-card .periods a.on").inner_text() == "1M"
        assert page.evaluate("() => document.getElementById('chart-value').data[0].x.length") <= 32
    assert not errors, errors
    context.close()
