from django.contrib import admin

from income import models


@admin.register(models.IncomeSettings)
class IncomeSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "household",
        "paycheck_account",
        "paycheck_amount",
        "cash_interest_rate",
        "include_option_premium",
        "dividend_cut_threshold",
    ]
    raw_id_fields = ["household", "paycheck_account"]


@admin.register(models.ProjectedPayment)
class ProjectedPaymentAdmin(admin.ModelAdmin):
    list_display = ["pay_date", "household", "account", "symbol", "source", "amount", "status"]
    list_filter = ["status", "source", "household"]
    raw_id_fields = ["household", "account", "security"]
    date_hierarchy = "pay_date"


@admin.register(models.ProjectionSnapshot)
class ProjectionSnapshotAdmin(admin.ModelAdmin):
    list_display = ["household", "month", "total", "taken_at"]
    list_filter = ["household"]


@admin.register(models.ProjectionState)
class ProjectionStateAdmin(admin.ModelAdmin):
    list_display = ["household", "as_of", "computed_at"]
