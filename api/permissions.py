from __future__ import annotations

from rest_framework import permissions

from api.models import ApiToken


class TokenScope(permissions.BasePermission):
    """A read-only token reads; writing with it is a 403. A signed-in session may do what the UI lets it."""

    message = "This token is read-only: make a read-write token to write."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        token = request.auth
        return not (isinstance(token, ApiToken) and token.read_only)
