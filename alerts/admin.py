from django.contrib import admin

from alerts.models import AlertEpisode, AlertNotification, AlertRule, EmailPreference


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["household", "kind", "scope", "scope_name", "threshold", "enabled"]
    list_filter = ["kind", "scope", "enabled"]


@admin.register(AlertEpisode)
class AlertEpisodeAdmin(admin.ModelAdmin):
    list_display = ["household", "rule", "subject", "opened_at", "acknowledged_at", "resolved_at"]
    list_filter = ["resolved_at"]


@admin.register(AlertNotification)
class AlertNotificationAdmin(admin.ModelAdmin):
    list_display = ["episode", "membership", "outcome", "attempts", "sent_at", "last_error"]
    list_filter = ["outcome"]


@admin.register(EmailPreference)
class EmailPreferenceAdmin(admin.ModelAdmin):
    list_display = ["membership", "quiet_start", "quiet_end"]
