from datetime import date

from django.contrib import admin

from portfolios import models
from portfolios.services.recompute import ledger_mark_changed


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0


@admin.register(models.Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["name", "base_currency", "time_zone", "monthly_income_target"]
    inlines = [MembershipInline]


@admin.register(models.Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "household", "type", "institution", "lot_method"]
    list_filter = ["type", "household"]
    search_fields = ["name", "institution"]


@admin.register(models.Security)
class SecurityAdmin(admin.ModelAdmin):
    list_display = ["symbol", "exchange", "name", "kind", "asset_class", "needs_review"]
    list_filter = ["kind", "asset_class", "needs_review"]
    search_fields = ["symbol", "name"]


@admin.register(models.Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ["trade_date", "account", "type", "security", "quantity", "amount", "fees"]
    list_filter = ["type", "account__household"]
    search_fields = ["security__symbol", "external_id", "memo"]
    raw_id_fields = ["security", "import_batch"]
    date_hierarchy = "trade_date"

    # An edit here marks the ledger as the transaction services do, so the lots and the
    # stored cash balances (``LedgerState.cash``) are not read as current after it.
    def save_model(self, request, obj, form, change) -> None:
        before = (
            models.Transaction.objects.filter(pk=obj.pk)
            .values_list("account__household_id", "trade_date")
            .first()
            if change
            else None
        )
        super().save_model(request, obj, form, change)
        _mark_changed([*([before] if before else []), (obj.account.household_id, obj.trade_date)])

    def delete_model(self, request, obj) -> None:
        changed = (obj.account.household_id, obj.trade_date)
        super().delete_model(request, obj)
        _mark_changed([changed])

    def delete_queryset(self, request, queryset) -> None:
        changed = list(queryset.values_list("account__household_id", "trade_date"))
        super().delete_queryset(request, queryset)
        _mark_changed(changed)


def _mark_changed(changes: list[tuple[int, date]]) -> None:
    """Mark each household's ledger from the earliest trade date changed in it."""
    earliest: dict[int, date] = {}
    for household_id, day in changes:
        earliest[household_id] = min(day, earliest.get(household_id, day))
    for household in models.Household.objects.filter(pk__in=earliest):
        ledger_mark_changed(household=household, from_date=earliest[household.pk])


@admin.register(models.Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ["security", "date", "close", "source"]
    raw_id_fields = ["security"]
    date_hierarchy = "date"


@admin.register(models.DividendEvent)
class DividendEventAdmin(admin.ModelAdmin):
    list_display = ["security", "ex_date", "pay_date", "amount"]
    raw_id_fields = ["security"]


@admin.register(models.SplitEvent)
class SplitEventAdmin(admin.ModelAdmin):
    list_display = ["security", "date", "ratio_new", "ratio_old"]


@admin.register(models.FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ["base", "quote", "date", "rate"]


@admin.register(models.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "household", "scope", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "last_used_at"]


@admin.register(models.ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["file_name", "household", "format", "status", "rows_added", "created_at"]


admin.site.register(models.Sleeve)
admin.site.register(models.Target)
admin.site.register(models.IdentityGroup)


@admin.register(models.LedgerState)
class LedgerStateAdmin(admin.ModelAdmin):
    """Derived-ledger status per household; rebuilt by `manage.py recompute`, not edited."""

    list_display = ["household", "rebuilt_at", "dirty_from", "error"]
    readonly_fields = ["household", "rebuilt_at", "dirty_from", "error"]
    exclude = ["digests", "inputs_digest"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "household", "username", "action", "target", "outcome", "ip")
    list_filter = ("outcome", "action")
    search_fields = ("username", "action", "target")
    readonly_fields = [f.name for f in models.AuditEvent._meta.fields]
