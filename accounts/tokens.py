"""The signed link of an invitation: nothing secret is stored, the link is derived from the row.

The signature covers the invitation's id, its invitee and the moment it was created, with
the site's SECRET_KEY, so a link cannot be guessed or moved to another invitation. Whether
it still works (used, expired, replaced) is the invitation's state, not the token's.
"""

from __future__ import annotations

from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "partnerhealth.accounts.invitation"


def invitation_token(invitation) -> str:
    created = int(invitation.created_at.timestamp() * 1_000_000)
    value = f"{invitation.pk}:{invitation.user_id}:{created}"
    return salted_hmac(_SALT, value, algorithm="sha256").hexdigest()[:40]


def invitation_token_valid(invitation, token: str) -> bool:
    return constant_time_compare(invitation_token(invitation), token or "")
