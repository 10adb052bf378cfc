"""Every browser page without a parameter, found from the URL configuration, for the cast."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver

from config import urls as root_urls
from tests.conftest import SECRET_ACCOUNT, SECRET_SYMBOL

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret_household(secret_household_once, db):
    """Built once for the module (tests/conftest.py): these tests change it only through
    HTTP, and each test's writes are rolled back after it."""
    return secret_household_once


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


POST_ONLY = {
    "/households/switch/",
    "/income/settings/",
    "/settings/securities/bulk/",
    "/settings/securities/import/",
    "/settings/securities/lookup/",
    "/settings/targets/preview/",
    "/alerts/rules/new/",
}
# Pages only a household's owners may open: members, tokens and the audit log.
OWNER_ONLY = {"/settings/members/", "/settings/tokens/", "/settings/audit/"}
# POSTs any member may make, viewers included (choosing the household to work in).
VIEWER_POSTS = {"/households/switch/"}
GET_PAGES = [route for route in page_routes() if route not in POST_ONLY]


def test_sweep_covers_the_main_pages():
    for page in ["/", "/portfolio/holdings/", "/portfolio/transactions/", "/income/",
                 "/performance/", "/alerts/", "/settings/", "/settings/household/",
                 "/settings/accounts/", "/settings/securities/", "/settings/targets/",
                 *OWNER_ONLY]:  # fmt: skip
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


ALL_PAGES = page_routes()


# Settings pages that write on POST: a viewer's POST is refused outright.
SETTINGS_WRITES = {
    "/settings/household/", "/settings/accounts/", "/settings/securities/bulk/",
    "/settings/securities/import/", "/settings/securities/lookup/", "/settings/targets/",
    "/settings/targets/preview/", "/settings/members/", "/settings/tokens/",
}  # fmt: skip


@pytest.mark.parametrize("page", [page for page in ALL_PAGES if page not in VIEWER_POSTS])
def test_viewer_posts_change_nothing_anywhere(page, secret_household):
    from portfolios.models import Account, AuditEvent, Household, Membership

    viewer = Client()
    viewer.force_login(secret_household.viewer)
    before = (AuditEvent.objects.count(), Account.objects.count(), Membership.objects.count())
    response = viewer.post(
        page, {"name": "Hacked", "username": "mallory", "role": "owner", "type": "taxable"}
    )
    if page in SETTINGS_WRITES:
        assert response.status_code == 403, (page, response.status_code)
    after = (AuditEvent.objects.count(), Account.objects.count(), Membership.objects.count())
    assert after == before, page
    assert not Household.objects.filter(name="Hacked").exists()


def test_every_settings_write_page_is_in_the_viewer_sweep():
    assert set(ALL_PAGES) >= SETTINGS_WRITES


@pytest.mark.parametrize("page", sorted(OWNER_ONLY))
def test_only_owners_open_members_tokens_and_audit(page, secret_household):
    for user in (secret_household.member, secret_household.viewer):
        client = Client()
        client.force_login(user)
        assert client.get(page).status_code == 403
        assert client.post(page, {"username": "mallory", "role": "owner"}).status_code == 403
    owner = Client()
    owner.force_login(secret_household.owner)
    assert owner.get(page).status_code == 200


def _household_a_object_pages(cast) -> list[tuple[str, str]]:
    """Return (method, path) of every settings route that names one of A's objects."""
    from portfolios.models import Account, ApiToken, Membership, Security
    from tests.conftest import SECRET_SYMBOL

    account = Account.objects.get(household=cast.household_a, name=SECRET_ACCOUNT)
    security = Security.objects.get(symbol=SECRET_SYMBOL)
    membership = Membership.objects.get(household=cast.household_a, user=cast.member)
    from portfolios.services.households import api_token_create

    token = api_token_create(user=cast.owner, household=cast.household_a).token
    assert isinstance(token, ApiToken)
    return [
        ("get", f"/settings/accounts/{account.pk}/"),
        ("post", f"/settings/accounts/{account.pk}/"),
        ("post", f"/settings/accounts/{account.pk}/close/"),
        ("get", f"/settings/accounts/{account.pk}/delete/"),
        ("post", f"/settings/accounts/{account.pk}/delete/"),
        ("get", f"/settings/securities/{security.pk}/"),
        ("post", f"/settings/securities/{security.pk}/"),
        ("post", f"/settings/securities/{security.pk}/lookup/"),
        ("post", f"/settings/members/{membership.pk}/role/"),
        ("post", f"/settings/members/{membership.pk}/remove/"),
        ("post", f"/settings/members/{membership.pk}/renew/"),
        ("post", f"/settings/tokens/{token.pk}/revoke/"),
    ]


def test_another_households_ids_answer_404_on_every_settings_route(secret_household):
    outsider = Client()
    outsider.force_login(secret_household.outsider)  # owner of household B
    for method, path in _household_a_object_pages(secret_household):
        response = getattr(outsider, method)(path, {"role": "viewer", "name": "Mine now"})
        assert response.status_code == 404, (method, path, response.status_code)
        assert SECRET_ACCOUNT.encode() not in response.content


def test_the_settings_routes_with_ids_are_all_swept():
    """Every settings route that takes an id is in the 404 sweep above."""
    from portfolios import settings_urls

    swept = {
        "settings-account-edit", "settings-account-close", "settings-account-delete",
        "settings-security-edit", "settings-security-lookup", "settings-member-role",
        "settings-member-remove", "settings-member-renew", "settings-token-revoke",
    }  # fmt: skip
    with_ids = {p.name for p in settings_urls.urlpatterns if "<int:pk>" in str(p.pattern)}
    assert len(with_ids) == 9
    assert with_ids <= swept


# --- The full matrix: every page, ids included, x every kind of caller ---------------------

from tests.conftest import token_client  # noqa: E402
from tests.security.matrix import add_matrix_objects, concrete, page_routes  # noqa: E402
from tests.security_report import count  # noqa: E402

PAGE_ROUTES = page_routes()
SECRETS = (SECRET_ACCOUNT.encode(), SECRET_SYMBOL.encode(), b"Zanzibar")


def test_every_page_is_in_the_matrix(secret_household):
    """Meta-test: a page whose ids the matrix cannot fill with household A's objects fails
    here; add its model to tests/security/matrix.py (SEGMENT_MODELS or PARAM_MODELS)."""
    add_matrix_objects(secret_household)
    missing = [r.template for r in PAGE_ROUTES if concrete(r, secret_household.household_a) is None]
    assert not missing, f"pages outside the isolation matrix: {missing}"


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("route", PAGE_ROUTES, ids=lambda r: r.template or "/")
def test_page_isolation_matrix(route, secret_household):
    cast = secret_household
    add_matrix_objects(cast)
    url = "/" + concrete(route, cast.household_a)
    if route.is_link:
        # a one-time link with a made-up secret: refused for everyone, nothing shown
        for client in (Client(), _logged_in(cast.outsider), _logged_in(cast.viewer)):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                assert 400 <= response.status_code < 500, (method, url, response.status_code)
                assert not any(s in response.content for s in SECRETS)
        return
    _, read_key = token_client(cast.owner, cast.household_a, "read")
    _, outsider_key = token_client(cast.outsider, cast.household_b, "write")
    outsider = _logged_in(cast.outsider)
    outsider.post("/households/switch/", {"household": cast.household_a.pk})  # refused
    viewer = _logged_in(cast.viewer)
    for method in ("get", "post"):
        # anonymous, and API tokens (which never open a page): sent to the login
        for label, client in (
            ("anonymous", Client()),
            ("A's token in a header", Client(HTTP_AUTHORIZATION=f"Token {read_key}")),
            ("B's token in a header", Client(HTTP_AUTHORIZATION=f"Token {outsider_key}")),
        ):
            count("anonymous/revoked/expired attempts")
            response = getattr(client, method)(url)
            if response.status_code == 200:
                count("anonymous/revoked/expired successes")
            assert response.status_code in (302, 403, 405), (label, method, url)
            if response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), (label, url)
        token_in_query = getattr(Client(), method)(f"{url}?token={read_key}")
        assert token_in_query.status_code in (302, 403, 405), (method, url)
        # another household's member: A's objects are 404, lists never show A's rows
        count("cross-household attempts")
        response = getattr(outsider, method)(url)
        leaked = response.status_code == 200 and any(s in response.content for s in SECRETS)
        if leaked or (route.is_detail and response.status_code < 400):
            count("cross-household successes")
        assert not leaked, (method, url)
        if route.is_detail:  # 405: a POST-only action asked with GET, whatever the id
            assert response.status_code in (404, 405), (method, url, response.status_code)
        # A's viewer: reads, and a POST anywhere changes nothing of household A
        before = _fingerprint(cast.household_a)
        response = getattr(viewer, method)(url)
        assert response.status_code < 500, (method, url)
        if method == "get":
            assert response.status_code in (200, 302, 403, 405), (url, response.status_code)
        else:
            assert _fingerprint(cast.household_a) == before, url


def _fingerprint(household) -> tuple:
    """What a write could change: transactions, imports, alerts, accounts, members."""
    from alerts.models import AlertEpisode
    from portfolios.models import Account, ImportBatch, Membership, Transaction

    return (
        tuple(Transaction.objects.filter(account__household=household).values_list(
            "pk", "trade_date", "amount", "memo"
        ).order_by("pk")),
        tuple(ImportBatch.objects.filter(household=household).values_list("pk", "status")),
        tuple(AlertEpisode.objects.filter(household=household).values_list(
            "pk", "acknowledged_at", "resolved_at"
        )),
        tuple(Account.objects.filter(household=household).values_list("pk", "name")),
        tuple(Membership.objects.filter(household=household).values_list("user_id", "role")),
    )  # fmt: skip
