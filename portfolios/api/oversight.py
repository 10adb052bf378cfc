"""`allocation/`: the household against its policy, in JSON or CSV (proposals: ``rebalancing.py``).

Weights, targets, drifts and bands are fractions (0.6 = 60%); money and quantities are exact
decimal strings, as in `holdings/`. The ledger is brought up to date before reading.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from portfolios.api.fields import ExactDecimalField
from portfolios.api.mixins import HouseholdScopedMixin
from portfolios.calculations.allocation import GROUPINGS
from portfolios.selectors.allocation import allocation_list
from portfolios.services.ledger import ledger_refresh_if_stale


class AllocationFilterSerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=GROUPINGS, required=False, default="asset_class")


class AllocationSerializer(serializers.Serializer):
    group = serializers.CharField(help_text="asset class, sleeve or account, per `by`")
    value = ExactDecimalField()
    weight = ExactDecimalField(help_text="fraction of the household's total, cash included")
    target = ExactDecimalField(allow_null=True)
    drift = ExactDecimalField(allow_null=True, help_text="weight - target")
    band = ExactDecimalField(allow_null=True)
    status = serializers.CharField(help_text="ok, over, under or untargeted")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        by = self.context.get("by", "asset_class")
        return {by: data.pop("group"), **data}


class AllocationRowSchema(serializers.Serializer):
    """A row as sent: the group under the name `by` gives (for the schema only)."""

    asset_class = serializers.CharField(required=False, help_text="with by=asset_class")
    sleeve = serializers.CharField(required=False, help_text="with by=sleeve")
    account = serializers.CharField(required=False, help_text="with by=account")
    value = ExactDecimalField()
    weight = ExactDecimalField(help_text="fraction of the household's total, cash included")
    target = ExactDecimalField(allow_null=True)
    drift = ExactDecimalField(allow_null=True, help_text="weight - target")
    band = ExactDecimalField(allow_null=True)
    status = serializers.CharField(help_text="ok, over, under or untargeted")


class _OversightListApi(HouseholdScopedMixin, generics.ListAPIView):
    filter_backends = []
    filter_serializer_class: type[serializers.Serializer] | None = None

    def filters(self) -> dict:
        """Return the validated query parameters after bringing the ledger up to date."""
        values: dict = {}
        if self.filter_serializer_class is not None:
            params = self.filter_serializer_class(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            values = dict(params.validated_data)
        ledger_refresh_if_stale(household=self.household)
        return values


@extend_schema(parameters=[AllocationFilterSerializer], responses=AllocationRowSchema(many=True))
class AllocationListApi(_OversightListApi):
    """Weight, target, drift and band per asset class (default), sleeve or account."""

    serializer_class = AllocationSerializer
    filter_serializer_class = AllocationFilterSerializer
    csv_filename = "allocation"

    @property
    def csv_columns(self) -> list[str]:
        return [self._by(), "value", "weight", "target", "drift", "band", "status"]

    def _by(self) -> str:
        by = self.request.query_params.get("by", "asset_class")
        return by if by in GROUPINGS else "asset_class"

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "by": self._by()}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        return allocation_list(household=self.household, **self.filters())
