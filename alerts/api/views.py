from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alerts.api.serializers import AlertEpisodeSerializer
from alerts.models import AlertEpisode
from alerts.selectors import alert_list
from alerts.services import alert_acknowledge
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
        episode.refresh_from_db()
        return Response(self.get_serializer(episode).data)
