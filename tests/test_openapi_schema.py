"""The OpenAPI schema is valid, warning-free, and names every contract route."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings_and_lists_the_routes(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    for route in ["accounts/", "securities/", "transactions/", "holdings/", "lots/",
                  "realized-gains/", "income/", "income/projection/", "income/calendar/",
                  "performance/", "performance/series/", "allocation/", "rebalance/",
                  "harvest/", "alerts/", "prices/"]:  # fmt: skip
        assert f"/api/v1/{route}" in paths, route
