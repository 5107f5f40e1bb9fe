"""The pages of the API: each person's tokens."""

from __future__ import annotations

from django.urls import path

from api.views import tokens

urlpatterns = [
    path("", tokens.api_tokens, name="api_tokens"),
    path("<int:pk>/revoke/", tokens.api_token_revoke, name="api_token_revoke"),
]
