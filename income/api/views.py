"""The income routes: received income, the projection and the dividend calendar (DESIGN §5)."""

from datetime import date

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from income.api.serializers import (
    CalendarEntrySerializer,
    DateRangeSerializer,
    IncomeFilterSerializer,
    IncomeRowSerializer,
    ProjectedPaymentSerializer,
    ProjectionFilterSerializer,
)
from income.calculations import add_months, first_of_month, last_of_month
from income.selectors import (
    calendar_entries,
    household_today,
    projected_payment_rows,
    projection_window,
    received_totals,
)
from income.selectors.received import STORED_GROUPS
from income.services.projections import projections_fresh_for_pages
from income.services.received import received_months_refresh_if_stale
from portfolios.api.fields import decimal_string
from portfolios.api.mixins import HouseholdScopedMixin

CALENDAR_MONTHS = 12


class IncomeListApi(HouseholdScopedMixin, GenericAPIView):
    """Income received, one row per month, source, account or symbol (`group_by`).

    Return of capital is not income and is left out; tax withheld does not lower `amount`.
    """

    serializer_class = IncomeRowSerializer
    filter_backends = []
    csv_filename = "income"

    @extend_schema(parameters=[IncomeFilterSerializer], responses=IncomeRowSerializer(many=True))
    def get(self, request: Request) -> Response:
        params = IncomeFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        group_by = params.validated_data["group_by"]
        household = self.household
        if group_by in STORED_GROUPS:  # per security, the payments themselves are read
            received_months_refresh_if_stale(household=household)
        totals = received_totals(
            household=household,
            group_by=group_by,
            start=params.validated_data.get("start"),
            end=params.validated_data.get("end"),
        )
        rows = [{group_by: label, "amount": decimal_string(amount)} for _, label, amount in totals]
        self.csv_columns = [group_by, "amount"]
        page = self.paginate_queryset(rows)
        if page is None:
            return Response(rows)
        return self.get_paginated_response(page)


class ProjectionListApi(HouseholdScopedMixin, GenericAPIView):
    """The payments expected over the next `months` months (default 12), this month first."""

    serializer_class = ProjectedPaymentSerializer
    filter_backends = []
    csv_filename = "income-projection"
    csv_columns = ["month", "pay_date", "account", "symbol", "source", "amount", "status"]

    @extend_schema(
        parameters=[ProjectionFilterSerializer], responses=ProjectedPaymentSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        params = ProjectionFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        household = self.household
        today = household_today(household)
        projections_fresh_for_pages(household=household, today=today)
        start, end = projection_window(today=today, months=params.validated_data["months"])
        payments = projected_payment_rows(household=household, start=start, end=end)
        page = self.paginate_queryset(payments)
        if page is None:
            return Response(self.get_serializer(payments, many=True).data)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CalendarListApi(HouseholdScopedMixin, GenericAPIView):
    """Received, declared and estimated payments with their ex-dates and pay dates.

    Defaults to this month through the end of the 12th month (the projection's window).
    """

    serializer_class = CalendarEntrySerializer
    filter_backends = []
    csv_filename = "income-calendar"
    csv_columns = ["pay_date", "ex_date", "account", "symbol", "source", "amount", "status"]

    @extend_schema(parameters=[DateRangeSerializer], responses=CalendarEntrySerializer(many=True))
    def get(self, request: Request) -> Response:
        params = DateRangeSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        household = self.household
        today = household_today(household)
        start, end = _calendar_range(
            params.validated_data.get("start"), params.validated_data.get("end"), today=today
        )
        if end >= today:
            projections_fresh_for_pages(household=household, today=today)
        entries = calendar_entries(household=household, start=start, end=end, today=today)
        page = self.paginate_queryset(entries)
        if page is None:
            return Response(self.get_serializer(entries, many=True).data)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def _calendar_range(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """Return the calendar's dates: given ones, else 12 months from `start`, up to `end`,
    or from this month."""
    if start is None and end is None:
        start = first_of_month(today)
    if start is None:
        assert end is not None
        start = first_of_month(add_months(end, -(CALENDAR_MONTHS - 1)))
    if end is None:
        end = last_of_month(add_months(first_of_month(start), CALENDAR_MONTHS - 1))
    return start, end
