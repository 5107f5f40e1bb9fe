"""The client's address, for the lock-outs, the rate limits and the security log.

Directly exposed, the client is ``REMOTE_ADDR``. Behind reverse proxies every request
comes from the last proxy, so the client is the address the outermost proxy saw. Each
proxy appends the address it received the request from to ``X-Forwarded-For``; the
client can write whatever it likes at the left of that header, so only the entries our
own ``TRUSTED_PROXY_COUNT`` proxies appended are believed, counted from the right.
Off (0) by default: a header nobody vouches for is never read.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address (axes calls this as ``AXES_CLIENT_IP_CALLABLE``)."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        # Not through our proxies (or one of them did not say): the peer is all we know.
        return remote
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
