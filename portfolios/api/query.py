"""Query parameters every route shares, and the bounded fields every filter uses.

Every query parameter reaches a view only through a serializer, so a bad value is a 400 in
the error envelope, never a 500: dates only within 1900-01-01 … 2200-12-31 (a far date
would make a daily series of millions of days), ids only as 64-bit integers, text without
control characters and of bounded length.
"""

from __future__ import annotations

from datetime import date

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2200, 12, 31)
MAX_ID = 2**63 - 1
MAX_PAGE_SIZE = 10_000


@extend_schema_field(
    {"type": "string", "format": "date", "example": "2025-01-31"},
)
class BoundedDateField(serializers.DateField):
    """An ISO date between 1900-01-01 and 2200-12-31."""

    default_error_messages = {
        "range": f"must be between {FIRST_DATE.isoformat()} and {LAST_DATE.isoformat()}.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["iso-8601"])
        super().__init__(**kwargs)

    def to_internal_value(self, value) -> date:
        parsed = super().to_internal_value(value)
        if not FIRST_DATE <= parsed <= LAST_DATE:
            self.fail("range")
        return parsed


class RefField(serializers.CharField):
    """An id or a name (account, sleeve): bounded text without control characters."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 120)
        super().__init__(**kwargs)


class CommonQuerySerializer(serializers.Serializer):
    """Parameters any route may get: household, pagination, format and a read token."""

    household = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    page = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)
    format = serializers.ChoiceField(required=False, choices=["json", "csv", "api"])
    token = serializers.CharField(required=False, max_length=200)


def common_query_validate(query_params) -> None:
    """Raise a ValidationError (400) for a bad shared parameter."""
    CommonQuerySerializer(data=query_params).is_valid(raise_exception=True)
