"""How every API route writes a Decimal: the string of its exact value, no trailing zeros."""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def decimal_string(value: Decimal) -> str:
    """Return the exact decimal as a plain string without trailing zeros ("12.5", "0.3333")."""
    normalized = value.normalize()
    return "0" if normalized == 0 else format(normalized, "f")


@extend_schema_field(OpenApiTypes.DECIMAL)
class ExactDecimalField(serializers.Field):
    """A read-only Decimal written as ``decimal_string`` ("2305.5")."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal) -> str:
        return decimal_string(value)
