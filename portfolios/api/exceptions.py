"""One handler owns the error envelope: {"detail": ..., "errors": {field: [...]}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portfolios.errors import ApplicationError
from portfolios.views.errors import (
    DATABASE_ERRORS,
    RETRY_AFTER_SECONDS,
    database_unavailable_envelope,
)

__all__ = ["ApplicationError", "hearth_exception_handler"]


def _as_lists(errors) -> dict:
    if isinstance(errors, dict):
        return {
            str(key): [str(item) for item in value] if isinstance(value, list) else [str(value)]
            for key, value in errors.items()
        }
    if isinstance(errors, list):
        return {"non_field_errors": [str(item) for item in errors]}
    return {"non_field_errors": [str(errors)]}


def hearth_exception_handler(exc, context):
    if isinstance(exc, DATABASE_ERRORS):
        return Response(
            database_unavailable_envelope(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
        )
    if isinstance(exc, ApplicationError):
        return Response(
            {"detail": exc.message, "errors": _as_lists(exc.errors)},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(errors)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": "Invalid input.", "errors": _as_lists(exc.detail)}
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else response.data
        response.data = {"detail": str(detail), "errors": {}}
    return response
