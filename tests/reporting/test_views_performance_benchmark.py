"""The performance page compares with the household's default benchmark unasked."""

import pytest
from django.test import Client

from portfolios.models import Household
from tests.reporting.test_views_performance import valued  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _page(user, query=""):
    client = Client()
    client.force_login(user)
    return client.get(f"/performance/{query}").content.decode()


def test_default_benchmark_is_compared_without_being_asked(cast, valued):  # noqa: F811
    # given the household's default benchmark, a ticker, besides its saved "Total market"
    Household.objects.filter(pk=valued.pk).update(default_benchmark="vti")
    # when the page is opened with no benchmark in the query
    html = _page(cast.viewer, "?period=1Y")
    # then it compares with the household's default, not the first saved one
    assert "against VTI." in html
    assert 'name="benchmark" list="benchmark-names" value="vti"' in html.lower()
