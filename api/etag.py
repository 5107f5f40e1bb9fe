"""``ETag`` on every successful read, and ``304 Not Modified`` when ``If-None-Match`` already has it.

The tag is a hash of the representation itself, so it changes exactly when what the
client would receive changes (a snapshot recomputed, a case acknowledged, a page moved).
It saves the transfer and the client's work, not the server's reads.
"""

from __future__ import annotations

import hashlib

from rest_framework.response import Response


def _matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    return any(candidate.strip().removeprefix("W/") == etag for candidate in header.split(","))


class ETagMixin:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200 or not isinstance(response, Response):
            return response
        response.render()
        etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
        if _matches(request.headers.get("If-None-Match", ""), etag):
            not_modified = Response(status=304, headers={"ETag": etag})
            return super().finalize_response(request, not_modified, *args, **kwargs)
        response["ETag"] = etag
        return response
