"""Hostile query values on every API route (found from the URL configuration): always a 4xx
in the error envelope or a normal answer, never a server error, and quickly."""

import time

import pytest

from tests.conftest import client_for
from tests.security_report import count
from tests.test_api_isolation_sweep import ROUTES
from tests.test_pages_isolation_sweep import GET_PAGES

pytestmark = [pytest.mark.django_db, pytest.mark.api]


@pytest.fixture
def secret_household(secret_household_once, db):
    """Built once for the module (tests/conftest.py): these tests change it only through
    HTTP, and each test's writes are rolled back after it."""
    return secret_household_once


HOSTILE = [
    # '¹'.isdigit() is True but int('¹') fails
    "account=%C2%B9",
    "account=99999999999999999999999999",
    "account=-1",
    "account=%00",
    "account=" + "A" * 5000,
    "household=%C2%B9",
    "household=99999999999999999999999999",
    "household=-1",
    "household=0",
    # dates outside 1900-01-01 ... 2200-12-31, and the widest allowed range
    "start=0001-01-01",
    "end=9999-12-31",
    "start=1899-12-31",
    "end=2201-01-01",
    "start=1900-01-01&end=2200-12-31",
    "as_of=9999-12-31",
    "as_of=0001-01-01",
    "as_of=2200-12-31",
    "start=2024-01-01T00:00:00",
    "year=99999",
    "year=%C2%B9",
    "months=99999999999999999999",
    "months=%C2%B9",
    "page=0",
    "page=-1",
    "page=99999999999999999999999",
    "page_size=0",
    "page_size=100000000",
    "page_size=%C2%B9",
    "benchmark=%C2%B9",
    "benchmark=VTI:1e999999",
    "benchmark=VTI:NaN",
    "benchmark=VTI:Infinity,BND:-Infinity",
    "benchmark=" + "V" * 300,
    "benchmark=,,,,",
    "sleeve=%C2%B9",
    "sleeve=99999999999999999999999",
    "period=%00",
    "period=%C2%B9",
    "min_loss=1e999999",
    "min_loss=NaN",
    "min_loss=-Infinity",
    "format=xml",
    "format=%00",
    "symbol=%3Cscript%3E",
    "symbol=%27%20OR%201%3D1%20--",
    "type=%C2%B9",
    "status=%00",
    "by=%00",
    "group_by=%00",
    "consolidated=%C2%B9",
    "token=%00",
    "token=" + "x" * 5000,
]
SLOW_SECONDS = 10


@pytest.mark.parametrize("route", ROUTES)
def test_hostile_values_get_an_answer_never_a_server_error(route, secret_household):
    viewer = client_for(secret_household.viewer)
    for query in HOSTILE:
        count("hostile query values sent")
        started = time.monotonic()
        response = viewer.get(f"/api/v1/{route}?{query}")
        took = time.monotonic() - started
        if response.status_code >= 500:
            count("hostile query server errors")
        assert response.status_code < 500, (route, query[:80], response.content[:300])
        assert took < SLOW_SECONDS, (route, query[:80], took)
        if response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
            assert set(response.json()) == {"detail", "errors"}, (route, query[:80])


HUGE_ID = "9" * 30


def test_ids_past_64_bits_in_paths_are_not_found(secret_household):
    """Every URL with an id, API and pages, given an id no integer column can hold."""
    from django.test import Client

    from tests.security.matrix import api_routes, page_routes

    api = client_for(secret_household.owner)
    pages = Client()
    pages.force_login(secret_household.owner)
    checked = 0
    for routes, client, prefix in ((api_routes(), api, "/api/v1/"), (page_routes(), pages, "/")):
        for route in routes:
            if not route.params:
                continue
            url = prefix + _fill(route.template, HUGE_ID)
            for method in route.methods:
                count("hostile query values sent")
                response = getattr(client, method)(url)
                if response.status_code >= 500:
                    count("hostile query server errors")
                # 400: a one-time link page refusing a made-up link
                expected = (400, 404, 405) if route.is_link else (404, 405)
                assert response.status_code in expected, (method, url, response.status_code)
                checked += 1
    assert checked >= 10


def _fill(template: str, value: str) -> str:
    import re

    template = re.sub(r"\(\?P<\w+>[^)]*\)", value, template)
    return re.sub(r"<(?:\w+:)?\w+>", value, template)


PAGE_HOSTILE = [
    "account=%C2%B9",
    "household=99999999999999999999999999",
    "start=0001-01-01&end=9999-12-31",
    "as_of=9999-12-31",
    "year=%C2%B9",
    "page=-1",
    "period=%00",
    "benchmark=VTI:NaN",
    "sleeve=%C2%B9",
    "status=%00",
    "symbol=%27%20OR%201%3D1%20--",
    "months=99999999999999999999",
]


@pytest.mark.parametrize("page", GET_PAGES)
def test_hostile_values_on_pages_never_cause_a_server_error(page, secret_household):
    from django.test import Client

    viewer = Client()
    viewer.force_login(secret_household.viewer)
    for query in PAGE_HOSTILE:
        count("hostile query values sent")
        response = viewer.get(f"{page}?{query}")
        if response.status_code >= 500:
            count("hostile query server errors")
        assert response.status_code < 500, (page, query[:80])
