"""Every page under the Content Security Policy in a real browser: no console errors, no
CSP violations, and Plotly draws its charts."""

from datetime import date

import pytest
from django.core.management import call_command

from tests.test_pages_isolation_sweep import GET_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIOLATIONS_SCRIPT = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def _pages() -> list[str]:
    return [
        *GET_PAGES,
        "/accounts/login/",
        "/accounts/2fa/",
        "/api/v1/docs/",
    ]


def test_pages_work_under_the_csp_without_console_errors(live_server, page, settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", today=date(2026, 11, 20))
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(f"{page.url}: {m.text} {m.location}") if m.type == "error" else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    page.on("response", lambda r: errors.append(f"404 {r.url}") if r.status == 404 else None)
    page.add_init_script(VIOLATIONS_SCRIPT)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", "demo")
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    violations: dict[str, list[str]] = {}
    for path in _pages():
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status < 500, path
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
        page.wait_for_load_state("networkidle")
        found = page.evaluate("window.__cspViolations")
        if found:
            violations[path] = found
        if path in ("/performance/", "/income/"):
            # Plotly drew at least one chart (its SVG root) under the policy
            assert page.locator(".main-svg").count() >= 1, path
    assert not violations, violations
    assert not errors, errors
