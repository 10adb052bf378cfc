from django.urls import path
from rest_framework.routers import SimpleRouter

from portfolios.api.prices import PriceListApi
from portfolios.api.views import AccountViewSet, SecurityViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("securities", SecurityViewSet, basename="security")

urlpatterns = [path("prices/", PriceListApi.as_view(), name="prices"), *router.urls]
