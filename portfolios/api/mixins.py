from portfolios.api.permissions import resolve_membership


class HouseholdScopedMixin:
    """Gives a view `self.membership` and `self.household`; CSV responses are not paginated."""

    @property
    def membership(self):
        return resolve_membership(self.request)

    @property
    def household(self):
        return self.membership.household

    def paginate_queryset(self, queryset):
        renderer = getattr(self.request, "accepted_renderer", None)
        if renderer is not None and renderer.format == "csv":
            return None
        return super().paginate_queryset(queryset)
