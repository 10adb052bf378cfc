from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolios.api.fields import DECIMAL_STRING_SCHEMA
from portfolios.models import Account, Security


class AccountSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(
        source="owner.username", default=None, read_only=True, allow_null=True
    )
    number = serializers.CharField(source="masked_number", read_only=True)
    tax_treatment = serializers.CharField(read_only=True)
    default_sleeve = serializers.CharField(
        source="default_sleeve.name", default=None, allow_null=True
    )
    cash_balance = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "institution",
            "number",
            "type",
            "tax_treatment",
            "owner",
            "currency",
            "default_sleeve",
            "lot_method",
            "cash_balance",
        ]

    @extend_schema_field(DECIMAL_STRING_SCHEMA)
    def get_cash_balance(self, account: Account) -> str:
        balances = self.context.get("cash_balances", {})
        return format(balances.get(account.pk, 0), "f")


class SecuritySerializer(serializers.ModelSerializer):
    class Meta:
        model = Security
        fields = [
            "id",
            "symbol",
            "exchange",
            "name",
            "kind",
            "asset_class",
            "sector",
            "currency",
            "expense_ratio",
            "dividend_frequency",
            "qualified_default",
            "coupon_rate",
            "face_value",
            "maturity",
            "coupon_frequency",
            "needs_review",
        ]
