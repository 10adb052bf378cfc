from django.contrib import admin

from reporting import models


@admin.register(models.ValuationSeries)
class ValuationSeriesAdmin(admin.ModelAdmin):
    list_display = ["household", "scope", "label", "start_date", "end_date", "computed_at"]
    list_filter = ["scope", "household"]
    readonly_fields = [
        "household",
        "scope",
        "scope_key",
        "label",
        "start_date",
        "end_date",
        "first_date",
        "meta",
        "computed_at",
    ]
    exclude = ["values"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(models.Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ["name", "household", "rebalance", "is_default"]
    list_filter = ["household"]


@admin.register(models.StaleSecurity)
class StaleSecurityAdmin(admin.ModelAdmin):
    """Held securities without a new close for STALE_PRICE_SESSIONS XNYS sessions."""

    list_display = ["symbol", "name", "kind", "last_close", "sessions_missing"]
    search_fields = ["symbol", "name"]

    def get_queryset(self, request):
        # Imported here: the selector loads the exchange calendar and pandas, which every
        # process would otherwise pay for at start-up (the admin is loaded by setup()).
        from reporting.selectors.market import stale_securities

        self._stale = {s.security_id: s for s in stale_securities()}
        return super().get_queryset(request).filter(pk__in=list(self._stale))

    @admin.display(description="Last close")
    def last_close(self, security) -> str:
        stale = self._stale.get(security.pk)
        return str(stale.last_price or "never") if stale else ""

    @admin.display(description="Sessions missing")
    def sessions_missing(self, security) -> int | None:
        stale = self._stale.get(security.pk)
        return stale.sessions_missing if stale else None

    def has_add_permission(self, request) -> bool:
        return False
