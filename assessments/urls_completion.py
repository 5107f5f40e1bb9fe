"""Check-up completion (leadership), included at /completion/."""

from django.urls import path

from assessments.views import completion

urlpatterns = [
    path("", completion.checkup_completion_view, name="checkup_completion"),
    path("nudge/", completion.checkup_nudge_view, name="checkup_nudge"),
    path("nudge-all/", completion.checkup_nudge_manager_view, name="checkup_nudge_manager"),
]
