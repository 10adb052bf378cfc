"""Static files as a phone gets them: the favicon, and plotly.js compressed and cached."""

import gzip
from pathlib import Path
from unittest import mock

import plotly
import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client, override_settings

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def test_favicon_is_served_at_the_site_root():
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file's header: reserved 0, type 1 (icon)


@pytest.mark.django_db
def test_every_page_links_the_favicon():
    html = Client().get("/accounts/login/").content.decode()  # base.html, as every page
    assert '<link rel="icon" href="/favicon.ico" sizes="any">' in html
    assert 'href="/static/img/favicon.svg" type="image/svg+xml"' in html
    assert Client().get("/static/img/favicon.svg").status_code == 200


def test_production_storage_serves_plotly_gzipped_and_cached_for_a_year(tmp_path):
    # given production's storage (hashed names, compressed copies) and a collectstatic;
    # without the brotli copies, which this test never asks for (it asks for gzip): brotli at
    # WhiteNoise's quality 11 over every file twice (~20 MB of JS, under its plain and its
    # hashed name) was nine tenths of the test's time
    production = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(
        STATIC_ROOT=tmp_path,
        STORAGES=production,
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
    ):
        with mock.patch("whitenoise.compress.brotli_installed", False):
            call_command("collectstatic", interactive=False, verbosity=0)
        hashed = staticfiles_storage.stored_name("plotly/plotly.min.js")

        # then the pages link the hashed name, and its gzip sits beside it, byte-exact inside
        assert static("plotly/plotly.min.js") == f"/static/{hashed}"
        packed = tmp_path / f"{hashed}.gz"
        assert packed.exists()
        original = PLOTLY_JS.read_bytes()
        assert gzip.decompress(packed.read_bytes()) == original
        assert packed.stat().st_size < len(original) / 2  # minified JS still packs 3:1 or so

        # and a browser that accepts gzip gets the small file, cached as immutable
        response = Client().get(f"/static/{hashed}", HTTP_ACCEPT_ENCODING="gzip, deflate")
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert int(response["Content-Length"]) == packed.stat().st_size
        assert "immutable" in response["Cache-Control"]
        assert "max-age=315360000" in response["Cache-Control"]
        assert "Accept-Encoding" in response["Vary"]
