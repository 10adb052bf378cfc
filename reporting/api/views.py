"""`performance/` and `performance/series/`: read the stored daily series, never compute one.

Without ``benchmark`` both compare with the household's default benchmark; a component
without stored closes is fetched through the price provider first
(``reporting.services.benchmarks``). A default that cannot be used leaves the benchmark
out; a benchmark the caller named that cannot be used is a 400 naming it.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolios.api.exceptions import ApplicationError
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
from reporting.services.benchmarks import benchmark_choose

PARAMETERS = [PerformanceInputSerializer]


def _query(request) -> dict:
    params = PerformanceInputSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


def _read(selector, household, query: dict):
    """Return (the selector's answer, whether it compares with a benchmark)."""
    query = dict(query)
    chosen = benchmark_choose(
        household=household, spec=query.pop("benchmark", None), start=query.get("start")
    )
    if chosen.resolved is None:
        return selector(household=household, **query), False
    try:
        answer = selector(
            household=household, **query, benchmark=chosen.resolved, fetched=chosen.fetched
        )
    except ApplicationError:
        if chosen.explicit:
            raise
        return selector(household=household, **query), False  # the default has no closes
    return answer, True


class PerformanceApi(HouseholdScopedMixin, APIView):
    """TWR, IRR, Modified Dietz and risk of the household, an account or a sleeve."""

    csv_filename = "performance"

    @extend_schema(parameters=PARAMETERS, responses=PerformanceOutputSerializer)
    def get(self, request):
        summary, with_benchmark = _read(performance_summary, self.household, _query(request))
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
        rows, _ = _read(performance_series, self.household, _query(request))
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(series_payload(page))
        return Response(series_payload(rows))
