"""Every app's API under /api/v1/, the schema and its docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from portfolios.api.views import api_not_found

urlpatterns = [
    path("", include("portfolios.api.urls")),
    path("", include("income.api.urls")),
    path("", include("alerts.api.urls")),
    path("", include("reporting.api.urls")),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path(
        "docs/",
        # The split view serves its start-up script as a file: no inline script for the CSP.
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[AllowAny]),
        name="api-docs",
    ),
    re_path(r"^.*$", api_not_found),
]
