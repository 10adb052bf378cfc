from django.urls import path

from reporting import views

urlpatterns = [
    path("", views.performance_page, name="performance-page"),
]
