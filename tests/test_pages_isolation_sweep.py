"""Every browser page without a parameter, found from the URL configuration, for the cast."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver

from config import urls as root_urls
from tests.conftest import SECRET_ACCOUNT, SECRET_SYMBOL

pytestmark = pytest.mark.django_db

SKIP_PREFIXES = ("admin/", "accounts/", "api/")


def page_routes(patterns=root_urls.urlpatterns, prefix="") -> list[str]:
    routes = []
    for pattern in patterns:
        text = prefix + str(pattern.pattern)
        if text.startswith(SKIP_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            routes += page_routes(pattern.url_patterns, text)
        elif isinstance(pattern, URLPattern) and "<" not in text and "(?P" not in text:
            routes.append("/" + text)
    return routes


POST_ONLY = {"/households/switch/", "/income/settings/", "/alerts/rules/new/"}
GET_PAGES = [route for route in page_routes() if route not in POST_ONLY]


def test_sweep_covers_the_main_pages():
    for page in ["/", "/portfolio/holdings/", "/portfolio/transactions/", "/income/",
                 "/performance/", "/alerts/"]:  # fmt: skip
        assert page in GET_PAGES


@pytest.mark.parametrize("page", GET_PAGES)
def test_anonymous_is_sent_to_login(page, secret_household):
    response = Client().get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", GET_PAGES)
def test_viewer_sees_the_page_and_outsider_never_sees_household_a(page, secret_household):
    viewer = Client()
    viewer.force_login(secret_household.viewer)
    response = viewer.get(page)
    assert response.status_code in (200, 403), page  # 403: a page only writers may use
    outsider = Client()
    outsider.force_login(secret_household.outsider)
    response = outsider.get(page)
    assert response.status_code in (200, 403)
    assert SECRET_ACCOUNT.encode() not in response.content
    assert SECRET_SYMBOL.encode() not in response.content
