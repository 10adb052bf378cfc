from django.urls import path

from reporting.api.views import PerformanceApi, PerformanceSeriesApi

urlpatterns = [
    path("performance/", PerformanceApi.as_view(), name="performance"),
    path("performance/series/", PerformanceSeriesApi.as_view(), name="performance-series"),
]
