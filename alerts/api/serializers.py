from rest_framework import serializers

from alerts.models import AlertEpisode


class AlertEpisodeSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.kind")
    threshold = serializers.DecimalField(source="rule.threshold", max_digits=9, decimal_places=4)
    status = serializers.CharField()

    class Meta:
        model = AlertEpisode
        fields = [
            "id",
            "rule",
            "threshold",
            "subject",
            "message",
            "value",
            "status",
            "opened_at",
            "acknowledged_at",
            "resolved_at",
            "last_seen_at",
        ]
