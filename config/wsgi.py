"""WSGI entry point (gunicorn config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

application = get_wsgi_application()


def _warm_up() -> None:
    """Import every view (and with them pandas, scipy and plotly) while the worker boots.

    Django loads the URL configuration on the first request; in a fresh gunicorn worker
    that import is about three seconds on a small machine, which the first visitor of each
    worker would wait for. A worker that has imported them before it accepts a connection
    answers its first request as fast as its hundredth.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 -- the import is the point


_warm_up()
