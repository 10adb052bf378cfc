from django.urls import path
from rest_framework.routers import SimpleRouter

from portfolios.api.ledger import HoldingListApi, LotListApi, RealizedGainListApi
from portfolios.api.oversight import AllocationListApi
from portfolios.api.prices import PriceListApi
from portfolios.api.rebalancing import (
    HarvestListApi,
    LocationHintListApi,
    NewMoneyListApi,
    RebalanceListApi,
    WithdrawalListApi,
)
from portfolios.api.settings import AuditListApi, HouseholdApi, TargetsApi
from portfolios.api.transactions import TransactionViewSet
from portfolios.api.views import AccountViewSet, SecurityViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("securities", SecurityViewSet, basename="security")
router.register("transactions", TransactionViewSet, basename="transaction")

urlpatterns = [
    path("prices/", PriceListApi.as_view(), name="prices"),
    path("holdings/", HoldingListApi.as_view(), name="api-holdings"),
    path("lots/", LotListApi.as_view(), name="api-lots"),
    path("realized-gains/", RealizedGainListApi.as_view(), name="api-realized-gains"),
    path("allocation/", AllocationListApi.as_view(), name="api-allocation"),
    path("rebalance/", RebalanceListApi.as_view(), name="api-rebalance"),
    path("rebalance/new-money/", NewMoneyListApi.as_view(), name="api-rebalance-new-money"),
    path("rebalance/withdrawal/", WithdrawalListApi.as_view(), name="api-rebalance-withdrawal"),
    path("rebalance/location/", LocationHintListApi.as_view(), name="api-rebalance-location"),
    path("harvest/", HarvestListApi.as_view(), name="api-harvest"),
    path("household/", HouseholdApi.as_view(), name="api-household"),
    path("targets/", TargetsApi.as_view(), name="api-targets"),
    path("audit/", AuditListApi.as_view(), name="api-audit"),
    *router.urls,
]
