"""Action items, included at the root (a partner's new action, then one action's writes)."""

from django.urls import path

from assessments.views import actions

urlpatterns = [
    path("partners/<int:pk>/actions/new/", actions.action_item_add, name="action_item_add"),
    path("action-items/<int:pk>/edit/", actions.action_item_edit, name="action_item_edit"),
    path("action-items/<int:pk>/done/", actions.action_item_done, name="action_item_done"),
    path("action-items/<int:pk>/reopen/", actions.action_item_reopen_view, name="action_item_reopen"),
    path("action-items/<int:pk>/delete/", actions.action_item_delete_view, name="action_item_delete"),
]
