import pytest


@pytest.fixture(autouse=True)
def site_url(settings):
    """E-mails link to SITE_URL; a recognisable one shows every link is absolute."""
    settings.SITE_URL = "http://testserver.example"
