from django.contrib import admin
from django.urls import include, path

from portfolios.security.admin_login import admin_login

# The admin logs in through allauth's pages: same throttling, same second factor.
admin.site.login = admin_login

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("config.api_router")),
    path("income/", include("income.urls")),
    path("performance/", include("reporting.urls")),
    path("", include("portfolios.urls")),
    path("", include("portfolios.settings_urls")),
    path("", include("alerts.urls")),
]

# A database out of reach answers 503 with the error envelope, other failures Django's 500.
handler500 = "portfolios.views.errors.server_error"
