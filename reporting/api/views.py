"""`performance/` and `performance/series/`: read the stored daily series, never compute one."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolios.api.mixins import HouseholdScopedMixin
from reporting.api.serializers import (
    BASE_FIELDS,
    BENCHMARK_FIELDS,
    SERIES_FIELDS,
    PerformanceInputSerializer,
    PerformanceOutputSerializer,
    SeriesRowSerializer,
    series_payload,
    summary_payload,
)
from reporting.models import ValuationSeries
from reporting.selectors.performance import performance_series, performance_summary

PARAMETERS = [PerformanceInputSerializer]


def _query(request) -> dict:
    params = PerformanceInputSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


class PerformanceApi(HouseholdScopedMixin, APIView):
    """TWR, IRR, Modified Dietz and risk of the household, an account or a sleeve."""

    csv_filename = "performance"

    @extend_schema(parameters=PARAMETERS, responses=PerformanceOutputSerializer)
    def get(self, request):
        query = _query(request)
        summary = performance_summary(household=self.household, **query)
        with_benchmark = "benchmark" in query
        self.csv_columns = list(BASE_FIELDS + (BENCHMARK_FIELDS if with_benchmark else ()))
        return Response(summary_payload(summary, with_benchmark=with_benchmark))


class PerformanceSeriesApi(HouseholdScopedMixin, GenericAPIView):
    """Daily value, net flows, cumulative TWR and benchmark cumulative return."""

    csv_filename = "performance-series"
    csv_columns = list(SERIES_FIELDS)
    serializer_class = SeriesRowSerializer
    queryset = ValuationSeries.objects.none()  # rows come from a selector; for the schema only

    @extend_schema(parameters=PARAMETERS, responses=SeriesRowSerializer(many=True))
    def get(self, request):
        rows = performance_series(household=self.household, **_query(request))
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(series_payload(page))
        return Response(series_payload(rows))
