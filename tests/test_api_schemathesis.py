"""schemathesis against the live schema: every operation, generated inputs, a write token.

Bounded in time (a fixed number of examples per operation, no shrinking past a deadline)
and pinned (schemathesis==4.32.5 in pyproject.toml). Any server error, status the schema
does not document, content type or body that does not match it fails the test.
"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import token_client
from tests.security_report import count

pytestmark = [pytest.mark.django_db, pytest.mark.api, pytest.mark.slow]

EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _schema() -> dict:
    import json

    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    # round-trip through JSON: the generator leaves lazy strings and tuples in place
    from rest_framework.utils.encoders import JSONEncoder

    return json.loads(json.dumps(schema, cls=JSONEncoder))


schema = schemathesis.openapi.from_dict(_schema())
schema.app = get_wsgi_application()
schema.config.update(base_url="http://testserver")


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: the WSGI app must not close the test's database
    connection at the end of each request (PostgreSQL would lose the test transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def write_token(secret_household, keep_test_connection):
    _, raw_key = token_client(secret_household.owner, secret_household.household_a, "write")
    return raw_key


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case, write_token):
    count("API cases fuzzed (schemathesis)")
    try:
        case.call_and_validate(headers={"Authorization": f"Token {write_token}"}, checks=CHECKS)
    except Exception as failure:
        text = str(failure)
        if "Server error" in text or "500" in text:
            count("API server errors")
        else:
            count("API schema violations")
        raise
