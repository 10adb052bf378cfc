"""`allocation/`, `rebalance/` and `harvest/`: the household against its policy, in JSON or CSV.

Weights, targets, drifts and bands are fractions (0.6 = 60%); money and quantities are exact
decimal strings, as in `holdings/`. The ledger is brought up to date before reading.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from portfolios.api.fields import ExactDecimalField
from portfolios.api.mixins import HouseholdScopedMixin
from portfolios.calculations.allocation import GROUPINGS
from portfolios.selectors.allocation import allocation_list, harvest_list, rebalance_list
from portfolios.services.ledger import ledger_refresh_if_stale


class AllocationFilterSerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=GROUPINGS, required=False, default="asset_class")


class HarvestFilterSerializer(serializers.Serializer):
    min_loss = serializers.DecimalField(
        max_digits=20, decimal_places=4, required=False, min_value=0, help_text="money"
    )


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


class TradeSerializer(serializers.Serializer):
    account = serializers.CharField()
    action = serializers.CharField(help_text="buy or sell")
    symbol = serializers.CharField(allow_null=True)
    asset_class = serializers.CharField()
    amount = ExactDecimalField()
    quantity = ExactDecimalField(allow_null=True)
    lots = serializers.CharField(help_text="sells: lot id (acquired), ';'-separated")
    estimated_tax = ExactDecimalField()
    reason = serializers.CharField()


class HarvestSerializer(serializers.Serializer):
    account = serializers.CharField()
    symbol = serializers.CharField()
    acquired = serializers.DateField()
    quantity = ExactDecimalField()
    cost_basis = ExactDecimalField()
    market_value = ExactDecimalField()
    loss = ExactDecimalField(help_text="cost_basis - market_value, positive")
    term = serializers.CharField(help_text="short or long if sold today")
    wash_sale_conflicts = serializers.ListField(
        child=serializers.CharField(), help_text='"account symbol date qty" bought in 30 days'
    )


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


class RebalanceListApi(_OversightListApi):
    """Proposed tax-aware trades back to target for asset classes outside their bands."""

    serializer_class = TradeSerializer
    csv_filename = "rebalance"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        self.filters()
        return rebalance_list(household=self.household)


@extend_schema(parameters=[HarvestFilterSerializer])
class HarvestListApi(_OversightListApi):
    """Open taxable lots at a loss, largest first, with wash-sale conflicts."""

    serializer_class = HarvestSerializer
    filter_serializer_class = HarvestFilterSerializer
    csv_filename = "harvest"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        return harvest_list(household=self.household, **self.filters())
