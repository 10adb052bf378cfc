from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alerts.api.serializers import AlertEpisodeSerializer
from alerts.models import AlertEpisode
from alerts.selectors import alert_list
from alerts.services import alert_acknowledge
from portfolios.api.mixins import HouseholdScopedMixin


class AlertViewSet(HouseholdScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Alert episodes; `status=open|acknowledged|resolved`. POST …/acknowledge/ to acknowledge."""

    serializer_class = AlertEpisodeSerializer
    csv_filename = "alerts"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AlertEpisode.objects.none()
        status = self.request.query_params.get("status")
        if status and status not in AlertEpisode.Status.values:
            raise exceptions.ValidationError(
                {"status": [f"must be one of {', '.join(AlertEpisode.Status.values)}"]}
            )
        return alert_list(household=self.household, status=status)

    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        episode = self.get_object()
        alert_acknowledge(episode=episode, user=request.user)
        episode.refresh_from_db()
        return Response(self.get_serializer(episode).data)
