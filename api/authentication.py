"""``Authorization: Bearer <token>``: the token's user, if the token is live and the user active."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from api.tokens import token_check, token_touch


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, raw = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None
        raw = raw.strip()
        if not raw or " " in raw:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: send 'Bearer <token>'.")
        token = token_check(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("This token is unknown or has been revoked.")
        # Deactivating a person ends every token they made.
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This token's user has been deactivated.")
        token_touch(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        # A 401 (not a 403) for a missing or refused token, with the scheme to use.
        return 'Bearer realm="api"'
