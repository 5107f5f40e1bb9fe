"""URL map. Each feature keeps its own module so its routes stay together."""

from django.urls import include, path

from assessments.views import home

urlpatterns = [
    path("", home.home, name="home"),
    path("", include("assessments.urls_checkups")),
    path("", include("assessments.urls_actions")),
    path("", include("assessments.urls_mirror")),
    path("dashboard/", include("assessments.urls_dashboards")),
    path("alerts/", include("assessments.urls_alerts")),
    path("completion/", include("assessments.urls_completion")),
    path("cases/", include("assessments.urls_cases")),
]
