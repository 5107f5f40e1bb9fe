"""Alerts, included at /alerts/."""

from django.urls import path

from assessments.views import alerts

urlpatterns = [
    path("", alerts.alert_list, name="alert_list"),
    path("<int:pk>/", alerts.alert_detail_view, name="alert_detail"),
    path("<int:pk>/acknowledge/", alerts.alert_acknowledge_view, name="alert_acknowledge"),
    path("<int:pk>/snooze/", alerts.alert_snooze_view, name="alert_snooze"),
]
