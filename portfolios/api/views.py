from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import viewsets

from portfolios.api.mixins import HouseholdScopedMixin
from portfolios.api.serializers import AccountSerializer, SecuritySerializer
from portfolios.models import Account, Security
from portfolios.selectors.accounts import account_cash_balances, account_list, security_list


class AccountViewSet(HouseholdScopedMixin, viewsets.ReadOnlyModelViewSet):
    """The household's accounts with their cash balances."""

    serializer_class = AccountSerializer
    csv_filename = "accounts"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no household
            return Account.objects.none()
        return account_list(household=self.household)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        context["cash_balances"] = account_cash_balances(household=self.household)
        return context


class SecurityViewSet(HouseholdScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Securities the household holds or has held."""

    serializer_class = SecuritySerializer
    csv_filename = "securities"
    filterset_fields = ["symbol", "kind", "asset_class"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Security.objects.none()
        return security_list(household=self.household)


@csrf_exempt  # nothing to protect: it only ever says "not found"
def api_not_found(request, *args, **kwargs):
    """JSON 404 for any unknown path under /api/v1/, whatever the method."""
    return JsonResponse({"detail": "Not found.", "errors": {}}, status=404)
