"""Login throttling: django-axes' database handler with a second, per-address limit.

Axes locks one username from one address after ``AXES_FAILURE_LIMIT`` failures, so an
attacker guessing from one place never locks the real user out from another. That alone
lets an address try a few passwords on every account (password spraying). So an address
is also locked, for every username, after ``AXES_ADDRESS_FAILURE_LIMIT`` failures across
usernames within the cool-off. That limit is higher: colleagues behind one office address
mistype too.

Axes compares one number with ``AXES_FAILURE_LIMIT``; ``get_failures`` returns the larger
of the username-and-address count and the address count scaled so that it reaches that
limit exactly when it reaches the address limit. A successful login clears only that
username's failures from that address (``AXES_LOCKOUT_PARAMETERS``), never the address's
failures on other accounts: logging in to one's own account does not reset a spray.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class LoginThrottle(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        per_username = super().get_failures(request, credentials)
        per_address = (
            AccessAttempt.objects.filter(
                ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
            ).aggregate(total=Sum("failures_since_start"))["total"]
            or 0
        )
        limit = get_failure_limit(request, credentials)
        return max(per_username, per_address * limit // settings.AXES_ADDRESS_FAILURE_LIMIT)
