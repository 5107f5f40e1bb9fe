"""Sign-in pages that are ours rather than Django's: the lock-out page, password reset, invitations."""

from __future__ import annotations

import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    """The page a locked-out login gets (``AXES_LOCKOUT_CALLABLE``): it says how long the lock lasts."""
    minutes = math.ceil(get_cool_off(request).total_seconds() / 60)
    return render(
        request, "registration/locked_out.html", {"minutes": minutes}, status=settings.AXES_HTTP_RESPONSE_CODE
    )
