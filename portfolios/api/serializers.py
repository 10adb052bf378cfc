from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolios.api.fields import DECIMAL_STRING_SCHEMA, ExactDecimalField
from portfolios.models import Account


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
            "closed_on",
            "cash_balance",
        ]

    @extend_schema_field(DECIMAL_STRING_SCHEMA)
    def get_cash_balance(self, account: Account) -> str:
        balances = self.context.get("cash_balances", {})
        return format(balances.get(account.pk, 0), "f")


class SecuritySerializer(serializers.Serializer):
    """A security as the household sees it: shared reference data plus its classification."""

    id = serializers.IntegerField()
    symbol = serializers.CharField()
    exchange = serializers.CharField()
    name = serializers.CharField(source="view_name")
    kind = serializers.CharField(source="view_kind")
    asset_class = serializers.CharField(source="view_asset_class")
    sector = serializers.CharField(source="view_sector")
    currency = serializers.CharField()
    expense_ratio = ExactDecimalField(source="view_expense_ratio", allow_null=True)
    dividend_frequency = serializers.CharField(source="view_dividend_frequency")
    qualified_default = serializers.BooleanField(source="view_qualified_default")
    identity_group = serializers.CharField(source="view_identity_group", allow_null=True)
    needs_review = serializers.BooleanField(source="view_needs_review")
    coupon_rate = ExactDecimalField(allow_null=True)
    face_value = ExactDecimalField(allow_null=True)
    maturity = serializers.DateField(allow_null=True)
    coupon_frequency = serializers.IntegerField(allow_null=True)
    provider_name = serializers.CharField(help_text="what the price provider calls it")
    provider_kind = serializers.CharField(help_text="what the price provider says it is")
