"""Every list route under /api/v1/, found from the URL configuration itself, for the cast.

New routes join this sweep automatically: anonymous callers get 401, another household's
members get 404 for `?household=` of A and never see A's rows, A's viewer reads JSON and CSV.
"""

import pytest
from django.urls import URLPattern, URLResolver

from config import api_router
from tests.conftest import SECRET_ACCOUNT, SECRET_SYMBOL, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.api]


@pytest.fixture
def secret_household(secret_household_once, db):
    """Built once for the module (tests/conftest.py): these tests change it only through
    HTTP, and each test's writes are rolled back after it."""
    return secret_household_once


SKIP = {"schema/", "docs/"}
# Routes only a household's owners may read.
OWNER_ONLY = {"audit/"}


def list_routes(patterns=api_router.urlpatterns, prefix="") -> list[str]:
    routes = []
    for pattern in patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += list_routes(pattern.url_patterns, text)
        elif isinstance(pattern, URLPattern):
            plain = text.lstrip("^").rstrip("$")
            if "<" in plain or "(?P" in plain or "." in plain or not plain or plain in SKIP:
                continue
            if plain.endswith("/") and plain not in routes:
                routes.append(plain)
    return routes


ROUTES = list_routes()


def test_the_sweep_finds_the_contract_routes():
    for route in ["accounts/", "transactions/", "holdings/", "lots/", "realized-gains/",
                  "income/", "income/projection/", "income/calendar/", "performance/",
                  "performance/series/", "alerts/", "prices/", "securities/",
                  "household/", "targets/", "audit/"]:  # fmt: skip
        assert route in ROUTES


def body_of(response) -> bytes:
    """Return a response's bytes, whether streamed (the transactions CSV) or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_is_refused(route, api_client, secret_household):
    assert api_client.get(f"/api/v1/{route}").status_code == 401


@pytest.mark.parametrize("route", ROUTES)
def test_other_household_gets_404_and_never_sees_a_row(route, secret_household):
    cast = secret_household
    outsider = client_for(cast.outsider)
    assert outsider.get(f"/api/v1/{route}?household={cast.household_a.pk}").status_code == 404
    own = outsider.get(f"/api/v1/{route}?format=csv")
    body = body_of(own)
    assert own.status_code in (200, 400), body[:200]
    assert SECRET_ACCOUNT.encode() not in body
    assert SECRET_SYMBOL.encode() not in body


@pytest.mark.parametrize("route", ROUTES)
def test_viewer_reads_json_and_csv(route, secret_household):
    if route in OWNER_ONLY:
        for user in (secret_household.viewer, secret_household.member):
            refused = client_for(user).get(f"/api/v1/{route}")
            assert refused.status_code == 403
            assert set(refused.json()) == {"detail", "errors"}
    reader = secret_household.owner if route in OWNER_ONLY else secret_household.viewer
    viewer = client_for(reader)
    as_json = viewer.get(f"/api/v1/{route}")
    as_csv = viewer.get(f"/api/v1/{route}?format=csv")
    assert as_json.status_code == 200, as_json.content[:300]
    assert as_json["Content-Type"].startswith("application/json")
    csv_body = body_of(as_csv)
    assert as_csv.status_code == 200, csv_body[:300]
    assert as_csv["Content-Type"].startswith("text/csv")
    header = csv_body.decode().splitlines()[0]
    assert header and header == header.lower() and " " not in header


def test_viewer_cannot_write(secret_household):
    viewer = client_for(secret_household.viewer)
    response = viewer.post(
        "/api/v1/transactions/",
        {"date": "2025-02-03", "account": SECRET_ACCOUNT, "type": "DEPOSIT", "amount": "10"},
        format="json",
    )
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}
    member = client_for(secret_household.member)
    assert (
        member.post(
            "/api/v1/transactions/",
            {"date": "2025-02-03", "account": SECRET_ACCOUNT, "type": "DEPOSIT", "amount": "10"},
            format="json",
        ).status_code
        == 201
    )


BAD_QUERIES = [
    "start=yesterday",
    "end=2024-13-01",
    "start=2025-02-01&end=2025-01-01",
    "account=999999",
    "account=No such account",
    "symbol=%00",
    "page=abc",
    "page=99999",
    "page_size=abc",
    "year=abc",
    "as_of=2024-02-30",
    "group_by=planet",
    "months=-3",
    "benchmark=VTI:150,BND:-50",
    "by=colour",
    "status=closed",
    "min_loss=lots",
    "consolidated=perhaps",
    "period=7Y",
]


@pytest.mark.parametrize("route", ROUTES)
def test_bad_parameters_never_cause_a_server_error(route, secret_household):
    """Every route answers bad input with a 4xx (or ignores a parameter it does not take)."""
    viewer = client_for(secret_household.owner if route in OWNER_ONLY else secret_household.viewer)
    for query in BAD_QUERIES:
        response = viewer.get(f"/api/v1/{route}?{query}")
        assert response.status_code < 500, (route, query, response.content[:300])
        if response.status_code == 400:
            body = response.json()
            assert set(body) == {"detail", "errors"}, (route, query, body)


def _writes(cast) -> list[tuple[str, str, object]]:
    """Return (method, path, body) of every API write of household A's settings."""
    from portfolios.models import Account, Security

    account = Account.objects.get(household=cast.household_a, name=SECRET_ACCOUNT)
    security = Security.objects.get(symbol=SECRET_SYMBOL)
    targets = [
        {"sleeve": "core", "sleeve_target": "100", "asset_class": "us_equity", "target": "100"}
    ]
    return [
        ("patch", "/api/v1/household/", {"monthly_income_target": "999"}),
        ("post", "/api/v1/accounts/", {"name": "Sneaky", "type": "taxable"}),
        ("patch", f"/api/v1/accounts/{account.pk}/", {"institution": "Elsewhere"}),
        ("patch", f"/api/v1/securities/{security.pk}/", {"asset_class": "bonds"}),
        ("put", "/api/v1/targets/", targets),
    ]


def test_viewers_and_read_tokens_cannot_write_settings(secret_household):
    from portfolios.models import AuditEvent
    from tests.conftest import token_client

    cast = secret_household
    viewer = client_for(cast.viewer)
    read_token, _ = token_client(cast.owner, cast.household_a, scope="read")
    before = AuditEvent.objects.count()
    for method, path, body in _writes(cast):
        for client in (viewer, read_token):
            response = getattr(client, method)(path, body, format="json")
            assert response.status_code == 403, (method, path, response.content[:200])
            assert set(response.json()) == {"detail", "errors"}
    assert AuditEvent.objects.count() == before


def test_members_and_write_tokens_write_settings(secret_household):
    from tests.conftest import token_client

    cast = secret_household
    member = client_for(cast.member)
    writer, _ = token_client(cast.owner, cast.household_a, scope="write")
    for index, (method, path, body) in enumerate(_writes(cast)):
        client = member if index % 2 else writer
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code in (200, 201), (method, path, response.content[:300])


def test_another_households_ids_answer_404_on_writes(secret_household):
    cast = secret_household
    outsider = client_for(cast.outsider)
    for method, path, body in _writes(cast):
        if ("/accounts/" in path and path.count("/") > 4) or "/securities/" in path:
            response = getattr(outsider, method)(path, body, format="json")
            assert response.status_code == 404, (path, response.content[:200])
        response = getattr(outsider, method)(
            f"{path}?household={cast.household_a.pk}", body, format="json"
        )
        assert response.status_code == 404, (path, response.content[:200])


# --- The full matrix: every API URL, ids included, x every kind of caller -----------------

from rest_framework.test import APIClient  # noqa: E402

from tests.conftest import token_client  # noqa: E402
from tests.security.matrix import (  # noqa: E402
    add_matrix_objects,
    api_routes,
    concrete,
    expired_and_revoked_tokens,
)
from tests.security_report import count  # noqa: E402

API_ROUTES = api_routes()
SECRETS = (SECRET_ACCOUNT.encode(), SECRET_SYMBOL.encode(), b"Zanzibar")


@pytest.fixture
def matrix(secret_household):
    cast = secret_household
    add_matrix_objects(cast)
    dead = expired_and_revoked_tokens(cast)
    outsider_token, _ = token_client(cast.outsider, cast.household_b, "write")
    read_token, read_key = token_client(cast.owner, cast.household_a, "read")
    _, write_key = token_client(cast.owner, cast.household_a, "write")

    def with_key(key: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return {
        "cast": cast,
        "anonymous": APIClient(),
        "expired token": with_key(dead["expired"]),
        "revoked token": with_key(dead["revoked"]),
        "other household's session": client_for(cast.outsider),
        "other household's token": outsider_token,
        "read token": read_token,
        "viewer": client_for(cast.viewer),
        "write_key": write_key,
        "read_key": read_key,
    }


def test_every_api_url_is_in_the_matrix(secret_household):
    """Meta-test: a URL whose ids the matrix cannot fill with household A's objects fails
    here; add its model to tests/security/matrix.py (SEGMENT_MODELS or PARAM_MODELS)."""
    add_matrix_objects(secret_household)
    missing = [r.template for r in API_ROUTES if concrete(r, secret_household.household_a) is None]
    assert not missing, f"API URLs outside the isolation matrix: {missing}"
    assert len(API_ROUTES) >= 21


def _call(client, method: str, url: str):
    return getattr(client, method)(url, {}, format="json") if method != "get" else client.get(url)


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.template)
def test_isolation_matrix(route, matrix):
    cast = matrix["cast"]
    path = concrete(route, cast.household_a)
    assert path is not None
    url = f"/api/v1/{path}"
    foreign = url if route.is_detail else f"{url}?household={cast.household_a.pk}"
    for method in route.methods:
        # anonymous, expired, revoked, and a write token in the query string: 401
        for caller in ("anonymous", "expired token", "revoked token"):
            count("anonymous/revoked/expired attempts")
            response = _call(matrix[caller], method, url)
            if response.status_code < 400:
                count("anonymous/revoked/expired successes")
            assert response.status_code == 401, (caller, method, url, response.status_code)
        in_query = _call(APIClient(), method, f"{url}?token={matrix['write_key']}")
        assert in_query.status_code == 401, (method, url)
        # another household, by session and by token: A's rows answer 404
        for caller in ("other household's session", "other household's token"):
            count("cross-household attempts")
            response = _call(matrix[caller], method, foreign)
            if response.status_code < 400 or any(s in response.content for s in SECRETS):
                count("cross-household successes")
            # 405: a method the route never allows (PUT where only PATCH is), whatever the id
            assert response.status_code in (404, 405), (caller, method, foreign)
        # household A's read token (its owner's) and viewer: read yes, write never
        for caller in ("read token", "viewer"):
            response = _call(matrix[caller], method, url)
            if method == "get" and caller == "viewer" and path in OWNER_ONLY:
                assert response.status_code == 403, (caller, url)
            elif method == "get":
                assert response.status_code == 200, (caller, url, response.content[:200])
            else:
                assert response.status_code in (403, 405), (caller, method, url)
                assert set(response.json()) == {"detail", "errors"}
        if method == "get":
            # a read token in the query string works for reading (spreadsheets)
            sheet = APIClient().get(f"{url}?token={matrix['read_key']}")
            assert sheet.status_code == 200, url
