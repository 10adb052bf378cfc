from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alerts.api.serializers import (
    AlertEpisodeSerializer,
    AlertRuleSerializer,
    AlertRuleUpdateSerializer,
)
from alerts.models import AlertEpisode, AlertRule
from alerts.selectors import alert_list, alert_rule_list
from alerts.services import alert_acknowledge, alert_rule_create, alert_rule_update
from portfolios.api.mixins import HouseholdScopedMixin


class AlertFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(required=False, choices=AlertEpisode.Status.values)


@extend_schema_view(list=extend_schema(parameters=[AlertFilterSerializer]))
class AlertViewSet(HouseholdScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Alert episodes; `status=open|acknowledged|resolved`. POST …/acknowledge/ to acknowledge."""

    serializer_class = AlertEpisodeSerializer
    csv_filename = "alerts"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AlertEpisode.objects.none()
        status = None
        if self.action == "list":
            params = AlertFilterSerializer(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            status = params.validated_data.get("status")
        return alert_list(household=self.household, status=status)

    @extend_schema(request=None, responses=AlertEpisodeSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        episode = self.get_object()
        alert_acknowledge(episode=episode, user=request.user)
        episode = alert_list(household=self.household).get(pk=episode.pk)
        return Response(self.get_serializer(episode).data)


class AlertRuleViewSet(
    HouseholdScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The household's alert rules (DESIGN §8). POST creates one, PATCH `alert-rules/<id>/`
    changes it; both need a member/owner session or a write-scope token."""

    serializer_class = AlertRuleSerializer
    csv_filename = "alert-rules"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AlertRule.objects.none()
        return alert_rule_list(household=self.household)

    @extend_schema(request=AlertRuleSerializer, responses={201: AlertRuleSerializer})
    def create(self, request, *args, **kwargs):
        payload = AlertRuleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rule = alert_rule_create(household=self.household, fields=dict(payload.validated_data))
        return Response(AlertRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AlertRuleUpdateSerializer, responses=AlertRuleSerializer)
    def partial_update(self, request, *args, **kwargs):
        rule = self.get_object()
        payload = AlertRuleUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        rule = alert_rule_update(rule=rule, fields=dict(payload.validated_data))
        return Response(AlertRuleSerializer(rule).data)
