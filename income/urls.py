from django.urls import path

from income import views

urlpatterns = [
    path("", views.income_page, name="income-page"),
    path("settings/", views.income_settings, name="income-settings"),
    path("calendar/", views.income_calendar, name="income-calendar-page"),
    path("ladder/", views.bond_ladder, name="income-ladder"),
    path("yields/", views.holding_yield_table, name="income-yields"),
]
