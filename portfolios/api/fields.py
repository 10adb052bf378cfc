"""How every API route writes a Decimal: the string of its exact value, no trailing zeros."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def decimal_string(value: Decimal) -> str:
    """Return the exact decimal as a plain string without trailing zeros ("12.5", "0.3333")."""
    normalized = value.normalize()
    return "0" if normalized == 0 else format(normalized, "f")


# How the schema describes every such value: a string holding a plain decimal.
DECIMAL_STRING_SCHEMA = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
    "example": "1234.5",
}


@extend_schema_field(DECIMAL_STRING_SCHEMA)
class DecimalTextField(serializers.CharField):
    """A decimal already written as text by the view ("0.2557677597", "426.82")."""


@extend_schema_field(DECIMAL_STRING_SCHEMA)
class ExactDecimalField(serializers.Field):
    """A read-only Decimal written as ``decimal_string`` ("2305.5")."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal) -> str:
        return decimal_string(value)
