from django.urls import path

from alerts import dashboard, views

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("portfolio/accounts/<int:pk>/", dashboard.account_detail, name="account-detail"),
    path("alerts/", views.alerts_page, name="alerts"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge_view, name="alert-acknowledge"),
    path("alerts/rules/", views.alert_rules_page, name="alert-rules"),
    path("alerts/rules/new/", views.alert_rule_add, name="alert-rule-add"),
    path("alerts/rules/<int:pk>/", views.alert_rule_save, name="alert-rule-save"),
    path("alerts/rules/emails/<int:pk>/", views.email_choices_save, name="email-choices-save"),
    path("reports/quarterly/", views.quarterly_review_page, name="quarterly-review"),
]
