"""Project-wide HTTP policy."""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers


class NoStoreWhenSignedInMiddleware:
    """``Cache-Control: no-store`` (and ``private``) on every response to a signed-in user.

    Pages and CSV exports carry partner data: a shared proxy must not keep them, nor a browser's
    back button show them after logout. Static files never reach this (WhiteNoise answers them
    first, with their own long-lived caching), and anonymous pages keep their own headers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
