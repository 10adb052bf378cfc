from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from portfolios.api.mixins import HouseholdScopedMixin
from portfolios.api.query import BoundedDateField
from portfolios.models import Price
from portfolios.selectors.prices import price_list


class PriceSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="security.symbol")

    class Meta:
        model = Price
        fields = ["symbol", "date", "close", "source"]


class PriceFilterSerializer(serializers.Serializer):
    symbol = serializers.CharField(required=False, max_length=32)
    start = BoundedDateField(required=False)
    end = BoundedDateField(required=False)

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": ["must be on or after start"]})
        return attrs


@extend_schema(parameters=[PriceFilterSerializer])
class PriceListApi(HouseholdScopedMixin, generics.ListAPIView):
    """Daily closes: `symbol`, `start`, `end` (ISO dates)."""

    serializer_class = PriceSerializer
    csv_filename = "prices"
    filter_backends = []

    def get_queryset(self):
        params = PriceFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return price_list(household=self.household, **params.validated_data)
