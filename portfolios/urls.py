from django.urls import path

from portfolios.views import households

urlpatterns = [
    path("", households.dashboard, name="dashboard"),
    path("households/switch/", households.household_switch, name="household-switch"),
    path("portfolio/accounts/<int:pk>/", households.account_detail, name="account-detail"),
]
