from django.urls import path

from income.api.views import CalendarListApi, IncomeListApi, ProjectionListApi

urlpatterns = [
    path("income/", IncomeListApi.as_view(), name="income-list"),
    path("income/projection/", ProjectionListApi.as_view(), name="income-projection"),
    path("income/calendar/", CalendarListApi.as_view(), name="income-calendar"),
]
