"""A database out of reach answers 503 with the error envelope, on pages and in the API.

The fault test (tests/reliability/test_postgres_stopped.py) stops a real PostgreSQL; here
the same answers are pinned in-process, the database failing where each request first
needs it: the session, the API token, or a view's own query.
"""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from portfolios.models import ApiToken
from tests.conftest import token_client

pytestmark = pytest.mark.django_db

ENVELOPE = {
    "detail": "The database is unavailable right now; nothing was changed. Try again shortly.",
    "errors": {},
}


def _fail(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def test_api_with_a_token_answers_503_with_the_envelope(cast, monkeypatch):
    # given a token client, and the database failing when the token is looked up
    client, _ = token_client(cast.owner, cast.household_a)
    monkeypatch.setattr(ApiToken.objects, "for_key", _fail)
    # when
    response = client.get("/api/v1/accounts/")
    # then
    assert response.status_code == 503
    assert response.json() == ENVELOPE
    assert response["Retry-After"] == "30"


def test_api_in_csv_answers_503_with_the_envelope_as_json(cast, monkeypatch):
    client, _ = token_client(cast.owner, cast.household_a)
    monkeypatch.setattr(ApiToken.objects, "for_key", _fail)
    response = client.get("/api/v1/holdings/?format=csv")
    assert response.status_code == 503
    assert b"The database is unavailable" in response.content


def test_a_page_answers_503_when_its_query_fails(cast, monkeypatch):
    # given a signed-in member, and the holdings page's ledger check failing on a dead
    # connection
    from portfolios.views import ledger

    def dead(**kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(ledger, "ledger_refresh_if_stale", dead)
    browser = Client(raise_request_exception=False)
    browser.force_login(cast.owner)
    # when
    response = browser.get("/portfolio/holdings/")
    # then a plain page says so, with a 503 and when to retry
    assert response.status_code == 503
    assert b"Hearth is briefly unavailable" in response.content
    assert response["Retry-After"] == "30"


def test_a_session_request_to_the_api_answers_503_when_the_session_cannot_be_read(
    cast, monkeypatch
):
    # given a signed-in browser whose session store fails (the first query of the request)
    from django.contrib.sessions.backends.db import SessionStore

    browser = Client(raise_request_exception=False)
    browser.force_login(cast.owner)
    monkeypatch.setattr(SessionStore, "load", _fail)
    # when / then the JSON envelope under /api/, the page elsewhere
    api = browser.get("/api/v1/accounts/")
    assert (api.status_code, api.json()) == (503, ENVELOPE)
    page = browser.get("/")
    assert page.status_code == 503 and b"briefly unavailable" in page.content


def test_other_server_errors_stay_500(cast, monkeypatch):
    # given a bug, not an outage
    from portfolios.views import ledger

    def bug(**kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr(ledger, "ledger_refresh_if_stale", bug)
    browser = Client(raise_request_exception=False)
    browser.force_login(cast.owner)
    # when / then
    assert browser.get("/portfolio/holdings/").status_code == 500
