"""Making, revoking and checking API tokens (the writes and the one read the authentication needs)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from api.models import ApiToken

PREFIX = "ph"
LAST_USED_EVERY = dt.timedelta(minutes=1)
NAME_MAX = 100


class TokenError(Exception):
    """A token request that was refused; nothing was changed."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    # The whole token, shown once: it is not stored anywhere.
    secret: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user, name: str, read_only: bool = False) -> NewToken:
    name = (name or "").strip()
    if not name:
        raise TokenError("Give the token a name, e.g. the system that will use it.")
    if len(name) > NAME_MAX:
        raise TokenError(f"Keep the name to {NAME_MAX} characters.")
    if not user.is_active:
        raise TokenError(f"{user.get_username()} is deactivated: a token would not work.")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        scope=ApiToken.Scope.READ if read_only else ApiToken.Scope.WRITE,
    )
    return NewToken(token=token, secret=f"{PREFIX}_{prefix}_{secret}")


@transaction.atomic
def token_revoke(*, user, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (ApiToken.DoesNotExist for anyone else's)."""
    token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_check(raw: str) -> ApiToken | None:
    """The live token ``raw`` names, with its user; None when malformed, unknown, revoked or wrong."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(parts[2])):
        return None
    return token


def token_touch(token: ApiToken, *, now: dt.datetime | None = None) -> None:
    """Record that the token was used, at most once a minute (a conditional update: no race, no lock)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    stale = now - LAST_USED_EVERY
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=token.pk).update(
        last_used_at=now
    )
    token.last_used_at = now
