"""/api/...: names start with ``api_`` (the access matrix keys on names, shared with the pages')."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from api.views import docs, reads, writes

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", docs.api_docs, name="api_docs"),
    path("partners/", reads.PartnerList.as_view(), name="api_partner_list"),
    path("partners/<int:pk>/", reads.PartnerDetail.as_view(), name="api_partner_detail"),
    path("partners/<int:pk>/revenue/", writes.PartnerRevenue.as_view(), name="api_partner_revenue"),
    path("snapshots/", reads.SnapshotList.as_view(), name="api_snapshot_list"),
    path("cases/", reads.CaseList.as_view(), name="api_case_list"),
    path("cases/<int:pk>/", reads.CaseDetail.as_view(), name="api_case_detail"),
    path("cases/<int:pk>/acknowledge/", writes.CaseAcknowledge.as_view(), name="api_case_acknowledge"),
    path("cases/<int:pk>/snooze/", writes.CaseSnooze.as_view(), name="api_case_snooze"),
    path("cases/<int:pk>/resolve/", writes.CaseResolve.as_view(), name="api_case_resolve"),
    path("checkups/", writes.CheckupListCreate.as_view(), name="api_checkup_list"),
    path("checkups/<int:pk>/", reads.CheckupDetail.as_view(), name="api_checkup_detail"),
    path("rubric/", reads.CurrentRubric.as_view(), name="api_rubric"),
    path("action-items/", reads.ActionItemList.as_view(), name="api_action_item_list"),
    path("interactions/", writes.InteractionListCreate.as_view(), name="api_interaction_list"),
    path("engagements/", reads.EngagementList.as_view(), name="api_engagement_list"),
    path(
        "engagements/by-external-id/<str:external_id>/",
        writes.EngagementByExternalId.as_view(),
        name="api_engagement_by_external_id",
    ),
]
