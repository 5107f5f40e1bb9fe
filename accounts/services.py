from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db import transaction

from accounts.models import UserSession


def user_session_register(*, user, session_key: str, ip_address: str | None) -> None:
    if session_key:
        UserSession.objects.update_or_create(
            session_key=session_key, defaults={"user": user, "ip_address": ip_address or None}
        )


@transaction.atomic
def user_sessions_end(*, user_id: int) -> int:
    """Delete every session of the user (database-backed sessions). Returns how many ended."""
    keys = list(UserSession.objects.filter(user_id=user_id).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user_id=user_id).delete()
    return len(keys)
