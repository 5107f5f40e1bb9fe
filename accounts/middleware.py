"""Session lifetime and access logging."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

security_log = logging.getLogger("partnerhealth.security")

AUTH_AT = "_ph_auth_at"
SEEN_AT = "_ph_seen_at"
# Write the last-seen time at most this often, so reads don't all write the session.
SEEN_RESOLUTION = 60


class SessionTimeoutMiddleware:
    """End a session after SESSION_IDLE_TIMEOUT seconds idle or SESSION_ABSOLUTE_LIFETIME since login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            auth_at = session.setdefault(AUTH_AT, now)
            seen_at = session.get(SEEN_AT, now)
            idle = now - seen_at > settings.SESSION_IDLE_TIMEOUT
            expired = now - auth_at > settings.SESSION_ABSOLUTE_LIFETIME
            if idle or expired:
                security_log.info("session ended user=%s reason=%s", user.pk, "idle" if idle else "lifetime")
                logout(request)
                messages.info(request, "Your session ended; please log in again.")
                return redirect_to_login(request.get_full_path())
            if now - seen_at >= SEEN_RESOLUTION or SEEN_AT not in session:
                session[SEEN_AT] = now
        return self.get_response(request)


class AccessDeniedLogMiddleware:
    """Log refused requests (403, and 404s for signed-in users: another user's object)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403 or (response.status_code == 404 and request.user.is_authenticated):
            security_log.warning(
                "access denied status=%s user=%s path=%s", response.status_code,
                getattr(request.user, "pk", None), request.path,
            )
        return response
