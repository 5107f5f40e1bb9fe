"""The webhook signature: ``X-PartnerHealth-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``.

The HMAC covers ``f"{t}.{body}"`` with the endpoint's secret, so a receiver can check both that
the body is ours and that it is recent (reject a ``t`` older than 5 minutes: a replay).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-PartnerHealth-Signature"
EVENT_ID_HEADER = "X-PartnerHealth-Event-Id"
EVENT_HEADER = "X-PartnerHealth-Event"


def signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
