"""`accounts/` and `securities/`: the household's accounts (read, create, change) and its
securities as it classifies them (read, change its own view)."""

from collections.abc import Mapping

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from portfolios.api.mixins import HouseholdScopedMixin
from portfolios.api.serializers import AccountSerializer, SecuritySerializer
from portfolios.errors import ApplicationError
from portfolios.models import Account, Security
from portfolios.selectors.accounts import account_cash_balances, account_list
from portfolios.selectors.as_of import household_today
from portfolios.selectors.securities import security_view_list
from portfolios.services.accounts import account_add, account_update
from portfolios.services.classification import security_classify


def request_fields(request) -> dict:
    """Return the body of a write as a plain dict; anything but an object is a 400."""
    data = request.data
    if not isinstance(data, Mapping):
        raise ApplicationError(
            "Send a JSON object of fields.", errors={"non_field_errors": ["expected an object"]}
        )
    if hasattr(data, "dict"):  # a form-encoded QueryDict: one value per field
        return data.dict()
    return dict(data)


AccountInput = inline_serializer(
    "AccountInput",
    {
        "name": serializers.CharField(),
        "institution": serializers.CharField(required=False, allow_blank=True),
        "number": serializers.CharField(required=False, allow_blank=True),
        "type": serializers.ChoiceField(choices=Account.Type.choices),
        "owner": serializers.CharField(required=False, allow_blank=True, help_text="username"),
        "default_sleeve": serializers.CharField(
            required=False, allow_blank=True, help_text="sleeve name"
        ),
        "lot_method": serializers.CharField(required=False),
        "currency": serializers.CharField(required=False, help_text="only when created"),
    },
)


class AccountViewSet(
    HouseholdScopedMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The household's accounts with their cash balances. POST creates one and PATCH
    changes one (member or owner, with a write token); the body takes the columns by name:
    owner is a member's username and default_sleeve a sleeve's name."""

    serializer_class = AccountSerializer
    csv_filename = "accounts"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no household
            return Account.objects.none()
        return account_list(household=self.household)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        context["cash_balances"] = account_cash_balances(
            household=self.household, as_of=household_today(self.household)
        )
        return context

    def _answer(self, account: Account, code: int = status.HTTP_200_OK) -> Response:
        account = account_list(household=self.household).get(pk=account.pk)
        return Response(self.get_serializer(account).data, status=code)

    @extend_schema(request=AccountInput, responses={201: AccountSerializer})
    def create(self, request, *args, **kwargs):
        account = account_add(
            household=self.household, fields=request_fields(request), request=request
        )
        return self._answer(account, status.HTTP_201_CREATED)

    @extend_schema(request=AccountInput, responses=AccountSerializer)
    def partial_update(self, request, *args, **kwargs):
        account = account_update(
            account=self.get_object(), changes=request_fields(request), request=request
        )
        return self._answer(account)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().update(request, *args, **kwargs)


class SecurityFilter(filters.FilterSet):
    """Filters on the household's own classification."""

    symbol = filters.CharFilter(field_name="symbol", lookup_expr="iexact")
    kind = filters.CharFilter(field_name="view_kind")
    asset_class = filters.CharFilter(field_name="view_asset_class")
    needs_review = filters.BooleanFilter(field_name="view_needs_review")

    class Meta:
        model = Security
        fields = ["symbol"]


SecurityInput = inline_serializer(
    "SecurityInput",
    {
        "name": serializers.CharField(required=False, allow_blank=True),
        "kind": serializers.ChoiceField(choices=Security.Kind.choices, required=False),
        "asset_class": serializers.ChoiceField(choices=Security.AssetClass.choices, required=False),
        "sector": serializers.CharField(required=False, allow_blank=True),
        "expense_ratio": serializers.CharField(
            required=False, allow_blank=True, help_text="percent, blank to clear"
        ),
        "dividend_frequency": serializers.CharField(required=False, allow_blank=True),
        "qualified_default": serializers.BooleanField(required=False),
        "identity_group": serializers.CharField(
            required=False, allow_blank=True, help_text="blank: in no group"
        ),
    },
)


class SecurityViewSet(HouseholdScopedMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Securities the household holds or has held, as the household classifies them;
    needing review first. PATCH changes the household's own view (never another's)."""

    serializer_class = SecuritySerializer
    csv_filename = "securities"
    filterset_class = SecurityFilter
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Security.objects.none()
        return security_view_list(household=self.household)

    @extend_schema(request=SecurityInput, responses=SecuritySerializer)
    def partial_update(self, request, *args, **kwargs):
        security = self.get_object()
        security_classify(
            household=self.household,
            security=security,
            changes=request_fields(request),
            request=request,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=security.pk)).data)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().update(request, *args, **kwargs)


@csrf_exempt  # nothing to protect: it only ever says "not found"
def api_not_found(request, *args, **kwargs):
    """JSON 404 for any unknown path under /api/v1/, whatever the method."""
    return JsonResponse({"detail": "Not found.", "errors": {}}, status=404)
