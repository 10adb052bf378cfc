"""`household/`, `targets/` and `audit/`: a household's policy and targets (read; members and
owners change them with a write token) and its audit trail (owners only), JSON or CSV."""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolios.api.fields import ExactDecimalField
from portfolios.api.mixins import HouseholdScopedMixin
from portfolios.api.permissions import IsHouseholdOwner
from portfolios.api.views import request_fields
from portfolios.errors import ApplicationError
from portfolios.models import AuditEvent, Target
from portfolios.selectors.audit import audit_list
from portfolios.services.policy import household_update, targets_replace


class HouseholdSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    base_currency = serializers.CharField()
    time_zone = serializers.CharField()
    monthly_income_target = ExactDecimalField()
    cash_reserve_months = ExactDecimalField()
    default_band = ExactDecimalField(help_text="percentage points")
    max_position_weight = ExactDecimalField(help_text="% of the household")
    max_expense_ratio = ExactDecimalField(help_text="%")
    default_lot_method = serializers.CharField()
    default_benchmark = serializers.CharField(help_text="VTI or VTI:60,BND:40")
    min_trade_amount = ExactDecimalField()
    federal_marginal_rate = ExactDecimalField(help_text="%")
    state_marginal_rate = ExactDecimalField(help_text="%")
    qualified_dividend_rate = ExactDecimalField(help_text="%")
    long_term_rate = ExactDecimalField(help_text="%")


HouseholdInput = inline_serializer(
    "HouseholdInput",
    {
        name: serializers.CharField(required=False)
        for name in HouseholdSerializer().fields
        if name != "id"
    },
)


class HouseholdApi(HouseholdScopedMixin, APIView):
    """The household's settings and investment policy. PATCH any of the fields (member or
    owner, write token); every bad field is named in one 400."""

    csv_filename = "household"

    @extend_schema(responses=HouseholdSerializer)
    def get(self, request):
        return Response(HouseholdSerializer(self.household).data)

    @extend_schema(request=HouseholdInput, responses=HouseholdSerializer)
    def patch(self, request):
        household = household_update(
            household=self.household, changes=request_fields(request), request=request
        )
        return Response(HouseholdSerializer(household).data)


class TargetSerializer(serializers.Serializer):
    sleeve = serializers.CharField(source="sleeve.name")
    sleeve_target = ExactDecimalField(source="sleeve.target_weight", help_text="% of household")
    asset_class = serializers.CharField()
    target = ExactDecimalField(source="target_weight", help_text="% of the sleeve")
    band = ExactDecimalField(allow_null=True, help_text="blank: the household's default band")
    band_kind = serializers.CharField(help_text="absolute (± pp) or relative (± % of target)")


TargetInput = inline_serializer(
    "TargetInput",
    {
        "sleeve": serializers.CharField(),
        "sleeve_target": serializers.CharField(),
        "asset_class": serializers.CharField(),
        "target": serializers.CharField(),
        "band": serializers.CharField(required=False, allow_null=True, allow_blank=True),
        "band_kind": serializers.CharField(required=False),
    },
    many=True,
)


class TargetsApi(HouseholdScopedMixin, generics.ListAPIView):
    """One row per (sleeve, asset class). PUT replaces the whole set at once (a list of
    rows, or the `results` of a GET): sleeve targets must add up to 100, and so must each
    sleeve's asset-class targets; a 400 names every bad row."""

    serializer_class = TargetSerializer
    filter_backends = []
    csv_filename = "targets"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Target.objects.none()
        return (
            Target.objects.filter(sleeve__household=self.household)
            .select_related("sleeve")
            .order_by("-sleeve__target_weight", "sleeve__name", "-target_weight", "asset_class")
        )

    @extend_schema(request=TargetInput, responses=TargetSerializer(many=True))
    def put(self, request):
        rows = request.data
        if isinstance(rows, Mapping) and isinstance(rows.get("results"), list):
            rows = rows["results"]
        if not isinstance(rows, list):
            raise ApplicationError(
                "Send the whole set of targets as a list of rows.",
                errors={"rows": ["expected a list of rows"]},
            )
        targets_replace(household=self.household, rows=rows, request=request)
        return self.list(request)


class AuditSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    user = serializers.CharField(source="username")
    action = serializers.CharField()
    target = serializers.CharField()
    outcome = serializers.CharField()
    ip = serializers.CharField(allow_null=True)
    changes = serializers.SerializerMethodField(
        help_text="what changed, one 'field: old → new' each (people and sleeves by name)"
    )

    def get_changes(self, event: AuditEvent) -> list[str]:
        found = []
        if isinstance(event.changes, dict):
            for name, value in event.changes.items():
                old, new = [*value, None, None][:2] if isinstance(value, list) else (None, value)
                shown = "—" if new is None else new
                found.append(f"{name}: {old} → {shown}" if old is not None else f"{name}: {shown}")
        return found


class AuditFilterSerializer(serializers.Serializer):
    action = serializers.CharField(required=False, help_text="an action or its family (token)")
    user = serializers.CharField(required=False, help_text="username")
    outcome = serializers.ChoiceField(choices=AuditEvent.Outcome.choices, required=False)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["must be on or after start"]})
        return attrs


@extend_schema(parameters=[AuditFilterSerializer])
class AuditListApi(HouseholdScopedMixin, generics.ListAPIView):
    """The household's audit trail, newest first (owners only): logins, member and role
    changes, tokens, imports, edits and deletions."""

    serializer_class = AuditSerializer
    filter_backends = []
    csv_filename = "audit"

    def get_permissions(self):
        return [*super().get_permissions(), IsHouseholdOwner()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        params = AuditFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return audit_list(
            household=self.household,
            action=data.get("action"),
            username=data.get("user"),
            outcome=data.get("outcome"),
            start=data.get("start"),
            end=data.get("end"),
        )
