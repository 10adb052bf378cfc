from django.contrib import admin

from alerts.models import AlertEpisode, AlertRule


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["household", "kind", "threshold", "scope", "enabled"]
    list_filter = ["kind", "enabled"]


@admin.register(AlertEpisode)
class AlertEpisodeAdmin(admin.ModelAdmin):
    list_display = ["household", "rule", "subject", "opened_at", "acknowledged_at", "resolved_at"]
    list_filter = ["resolved_at"]
