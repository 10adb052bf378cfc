from rest_framework.routers import SimpleRouter

from portfolios.api.views import AccountViewSet, SecurityViewSet

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("securities", SecurityViewSet, basename="security")

urlpatterns = router.urls
