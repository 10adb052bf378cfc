"""Every page a household member can reach, on a desktop and on a phone, in Chromium.

The pages are read from what the demo user sees: the main navigation, the settings and
income sub-navigation, and the pages one click further that the navigation leads to (an
account, a position's lots, alert rules, the quarterly review, rebalancing settings). At
1440×900 and 390×844 each must fit its width (no sideways scrolling of the page), draw every
Plotly chart with data, log no console error and fail no request; on the phone the menu folds
behind its button and every control is at least 44 px high. Screenshots go to
var/test-artifacts/pages/ (git-ignored) for a person to look at.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "test-artifacts" / "pages"
WIDTHS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
# One page further than the navigation: the first link on the page matching each pattern.
FURTHER = [
    r"^/portfolio/accounts/\d+/$",
    r"^/portfolio/holdings/\d+/lots/",
    r"^/portfolio/allocation/settings/$",
    r"^/alerts/rules/$",
    r"^/reports/quarterly/$",
    r"^/portfolio/transactions/\d+/edit/$",
]
PAGE_LINKS = """() => Array.from(document.querySelectorAll(
    '#site-menu a, .settings-nav a, .subnav a, main a'))
  .map(a => a.getAttribute('href'))
  .filter(h => h && h.startsWith('/') && !h.startsWith('//'))"""
NAV_LINKS = """() => Array.from(
    document.querySelectorAll('#site-menu a, .settings-nav a, .subnav a'))
  .map(a => a.getAttribute('href')).filter(h => h && h.startsWith('/'))"""
# Plotly charts: each drawn (a div.chart becomes .js-plotly-plot) and holding points.
CHARTS = """() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot, div.chart'));
  const points = t => Math.max(...['x', 'y', 'values', 'labels', 'r', 'z']
    .map(k => (t[k] && t[k].length) || 0));
  return plots.map(gd => ({
    id: gd.id || gd.className,
    drawn: gd.classList.contains('js-plotly-plot'),
    traces: (gd.data || []).length,
    points: Math.max(0, ...(gd.data || []).map(points)),
  }));
}"""
SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    'main button, main select, main a.button, main td a, .menu-toggle, #site-menu a,'
    + 'main input:not([type=checkbox]):not([type=radio]):not([type=hidden]):not([type=file])'))
  .filter(el => { const r = el.getBoundingClientRect();
                  return r.width > 0 && r.height > 0 && r.height < 43.5; })
  .map(el => `${el.tagName.toLowerCase()} "${(el.textContent || el.name || '').trim()
    .slice(0, 24)}" ${Math.round(el.getBoundingClientRect().height)}px`)"""


def _log_in(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", "demo")
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _pages(page, base: str) -> list[str]:
    """The navigation's pages, then one page further for each FURTHER pattern."""
    found = [
        "/",
        *[h for h in page.evaluate(NAV_LINKS) if not h.startswith("/accounts/logout")],
    ]
    for path in ["/settings/", "/income/"]:  # their sub-navigation
        page.goto(base + path)
        found += page.evaluate(NAV_LINKS)
    pages = list(dict.fromkeys(h.split("#")[0] for h in found))
    wanted = list(FURTHER)
    for path in list(pages):
        if not wanted:
            break
        page.goto(base + path)
        for href in page.evaluate(PAGE_LINKS):
            for pattern in wanted:
                if re.search(pattern, href):
                    pages.append(href)
                    wanted.remove(pattern)
                    break
    assert not wanted, f"no page links to {wanted}"
    return list(dict.fromkeys(pages))


def test_every_page_fits_a_desktop_and_a_phone_with_charts_and_no_errors(
    live_server, browser, settings
):
    settings.DEMO_MODE = True
    call_command("seed_demo")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    contexts = {
        label: browser.new_context(viewport=viewport, is_mobile=label == "phone",
                                   has_touch=label == "phone")
        for label, viewport in WIDTHS.items()
    }  # fmt: skip
    tabs = {label: context.new_page() for label, context in contexts.items()}
    problems: list[str] = []
    for label, tab in tabs.items():
        tab.on(
            "console",
            lambda m, label=label, tab=tab: (
                m.type == "error" and problems.append(f"{label} {tab.url}: console: {m.text[:200]}")
            ),
        )
        tab.on(
            "pageerror",
            lambda e, label=label, tab=tab: problems.append(f"{label} {tab.url}: page error: {e}"),
        )
        tab.on("response", lambda r, label=label: r.status >= 400
               and problems.append(f"{label}: {r.status} {r.url}"))  # fmt: skip
        # the login page itself, before logging in
        tab.goto(f"{base}/accounts/login/")
        if tab.evaluate("() => document.documentElement.scrollWidth") > WIDTHS[label]["width"]:
            problems.append(f"{label} /accounts/login/: wider than the window")
        tab.screenshot(path=str(ARTIFACTS / f"login-{label}.png"), full_page=True)
        _log_in(tab, base)

    pages = _pages(tabs["desktop"], base)
    assert len(pages) >= 25, pages  # the navigation and its sub-pages, not a handful

    # the phone's menu: folded behind its button, opened by it, links big enough to tap
    phone = tabs["phone"]
    phone.goto(f"{base}/portfolio/holdings/")
    assert phone.locator(".menu-toggle").is_visible()
    assert not phone.locator("#site-menu").is_visible()
    phone.click(".menu-toggle")
    assert phone.locator("#site-menu").is_visible()
    assert phone.get_attribute(".menu-toggle", "aria-expanded") == "true"
    assert phone.evaluate(SMALL_TARGETS) == []
    assert not tabs["desktop"].locator(".menu-toggle").is_visible()

    checked = 0
    for path in pages:
        name = re.sub(r"[^\w]+", "-", path).strip("-") or "dashboard"
        for label, tab in tabs.items():
            response = tab.goto(base + path)
            if response is None or response.status >= 400:
                problems.append(f"{label} {path}: status {response and response.status}")
                continue
            tab.wait_for_load_state("networkidle")
            width = WIDTHS[label]["width"]
            page_width = tab.evaluate("() => document.documentElement.scrollWidth")
            inner = tab.evaluate("() => window.innerWidth")
            if page_width > width or inner > width:
                problems.append(f"{label} {path}: {page_width} px wide in a {width} px window")
            for chart in tab.evaluate(CHARTS):
                if not (chart["drawn"] and chart["traces"] > 0 and chart["points"] > 0):
                    problems.append(f"{label} {path}: chart {chart} has no data")
            if label == "phone":
                small = tab.evaluate(SMALL_TARGETS)
                if small:
                    problems.append(f"phone {path}: touch targets under 44 px: {small[:5]}")
            tab.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
            checked += 1
    for context in contexts.values():
        context.close()
    assert checked == 2 * len(pages)
    assert not problems, "\n".join(problems)
