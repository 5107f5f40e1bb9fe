"""Cases, included at /cases/."""

from django.urls import path

from assessments.views import cases

urlpatterns = [
    path("", cases.case_list, name="case_list"),
    path("bulk/", cases.case_bulk, name="case_bulk"),
    path("<int:pk>/", cases.case_detail, name="case_detail"),
    path("<int:pk>/acknowledge/", cases.case_acknowledge_view, name="case_acknowledge"),
    path("<int:pk>/snooze/", cases.case_snooze_view, name="case_snooze"),
    path("<int:pk>/assign/", cases.case_assign_view, name="case_assign"),
    path("<int:pk>/resolve/", cases.case_resolve_view, name="case_resolve"),
]
