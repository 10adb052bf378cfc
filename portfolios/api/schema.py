"""The OpenAPI schema says exactly what the API answers.

Every operation documents the error envelope for each status the API can give (400 bad
input, 401 no or bad credentials, 403 role or scope, 404 not found or another household,
406 an unknown ``format``, 429 throttled with ``Retry-After``), and a CSV body is described
as the text it is, not as the JSON object of the same rows.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from portfolios.api.mixins import HouseholdScopedMixin

CSV_MEDIA_TYPE = "text/csv"
ERROR_STATUSES = {
    "400": "Invalid input: `errors` names each field and what is wrong",
    "401": "No credentials, or an invalid, expired or revoked token",
    "403": "The caller's role or the token's scope does not allow this",
    "404": "No such object, page or household (another household's answers the same)",
    "406": "The `format` or `Accept` asked for is not offered",
    "429": "Too many requests; retry after `Retry-After` seconds",
}


class ErrorEnvelopeSerializer(serializers.Serializer):
    """Every error: a sentence, and the problems per field (empty when none)."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


HOUSEHOLD_PARAMETER = OpenApiParameter(
    "household",
    OpenApiTypes.INT64,
    description="Household id, for a user of several (default: the session's, or the token's)",
)


class HearthAutoSchema(AutoSchema):
    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if isinstance(self.view, HouseholdScopedMixin):
            parameters.append(HOUSEHOLD_PARAMETER)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for response in responses.values():
            content = response.get("content") or {}
            if CSV_MEDIA_TYPE in content:
                content[CSV_MEDIA_TYPE] = {"schema": {"type": "string"}}
        if direction != "response":
            return responses
        envelope = self.resolve_serializer(ErrorEnvelopeSerializer, "response").ref
        media_types = [
            media for media in self.map_renderers("media_type") if media in (CSV_MEDIA_TYPE,)
        ]
        for status, description in ERROR_STATUSES.items():
            if status in responses:
                continue
            content = {"application/json": {"schema": envelope}}
            for media in media_types:
                content[media] = {"schema": {"type": "string"}}
            responses[status] = {"content": content, "description": description}
            if status == "429":
                responses[status]["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before the next request",
                    }
                }
        return responses
