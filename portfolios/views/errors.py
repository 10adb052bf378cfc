"""Answers for a database that cannot be reached: 503 with the error envelope, not a 500.

A stopped or restarting database surfaces as ``OperationalError`` (or ``InterfaceError`` on a
connection that died in use) wherever the request first needs it: the session, the token,
the view. ``server_error`` is Django's 500 handler (``handler500`` in ``config/urls.py``), so
it sees all of them; the API's exception handler answers the same for errors inside DRF.
Neither touches the database or the household's templates while answering.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_DETAIL = (
    "The database is unavailable right now; nothing was changed. Try again shortly."
)


def database_unavailable_envelope() -> dict:
    """Return the API's error envelope for an unreachable database."""
    return {"detail": UNAVAILABLE_DETAIL, "errors": {}}


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """Return 503: the JSON envelope under /api/, a plain page elsewhere."""
    if request.path.startswith("/api/"):
        response = JsonResponse(database_unavailable_envelope(), status=503)
    else:
        response = HttpResponse(
            render_to_string("503.html", {"detail": UNAVAILABLE_DETAIL}), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """Django's 500 handler: 503 when the cause is the database being out of reach."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable(request)
    return defaults.server_error(request, template_name=template_name)
