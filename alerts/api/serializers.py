from rest_framework import serializers

from alerts.calculations import SCOPES, THRESHOLD_UNITS
from alerts.models import AlertEpisode, AlertRule
from portfolios.fields import MONEY


class AlertEpisodeSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.kind")
    rule_id = serializers.IntegerField(source="rule.pk")
    threshold = serializers.DecimalField(source="rule.threshold", allow_null=True, **MONEY)
    status = serializers.CharField()
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", default=None, allow_null=True
    )

    class Meta:
        model = AlertEpisode
        fields = [
            "id",
            "rule",
            "rule_id",
            "threshold",
            "subject",
            "message",
            "value",
            "link",
            "status",
            "opened_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "last_seen_at",
        ]


class AlertRuleSerializer(serializers.ModelSerializer):
    """A rule as DESIGN §8's `alert-rules/` rows: kind, scope, threshold, enabled, notify_email,
    plus scope_name (one sleeve, account or symbol) and direction (value_level only)."""

    threshold = serializers.DecimalField(allow_null=True, required=False, **MONEY)
    threshold_unit = serializers.SerializerMethodField()
    scopes = serializers.SerializerMethodField()

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "kind",
            "scope",
            "scope_name",
            "threshold",
            "threshold_unit",
            "direction",
            "enabled",
            "notify_email",
            "scopes",
        ]
        read_only_fields = ["id", "threshold_unit", "scopes"]
        extra_kwargs = {"scope": {"required": False}}

    def get_threshold_unit(self, rule: AlertRule) -> str:
        return THRESHOLD_UNITS[rule.kind]

    def get_scopes(self, rule: AlertRule) -> list[str]:
        return list(SCOPES[rule.kind])


class AlertRuleUpdateSerializer(AlertRuleSerializer):
    """PATCH: every field optional; the kind stays (create another rule for another kind)."""

    class Meta(AlertRuleSerializer.Meta):
        read_only_fields = ["id", "kind", "threshold_unit", "scopes"]
