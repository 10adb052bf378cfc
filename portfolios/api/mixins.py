from portfolios.api.permissions import resolve_membership
from portfolios.api.query import common_query_validate


class HouseholdScopedMixin:
    """Gives a view `self.membership` and `self.household`; CSV responses are not paginated.

    The parameters every route shares (household, page, page_size, format, token) are
    checked once the caller is known, so a bad one is a 400 on every route, present or
    future, whether or not its own filter serializer names it.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        common_query_validate(request.query_params)

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
