"""Leadership's portfolio dashboard, included at /dashboard/."""

from django.urls import path

from assessments.views import dashboards, raters

urlpatterns = [
    path("", dashboards.dashboard, name="dashboard"),
    path("export.csv", dashboards.dashboard_export, name="dashboard_export"),
    path("raters/", raters.raters, name="raters"),
]
