"""A real webhook receiver on loopback, written the way a customer would write one.

It checks the signature (recompute the HMAC over ``f"{t}.{body}"``, compare in constant time,
refuse a timestamp older than 5 minutes), answers 2xx only when it stored the event, and counts
event ids, so a test can prove every event arrived exactly once. It can be down (not listening),
fail (answer 503) or be slow (sleep before answering).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    pass


def verify_signature(secret: str, header: str, body: bytes, *, now: float | None = None) -> None:
    """What docs/API.md tells receivers to do; raises ``BadSignature`` with the reason."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as error:
        raise BadSignature("malformed signature header") from error
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise BadSignature("timestamp outside the 5-minute tolerance (a replay?)")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise BadSignature("signature does not match")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Receiver:
    secret: str = ""
    port: int = field(default_factory=free_port)
    status: int = 200
    delay: float = 0.0
    ids: Counter = field(default_factory=Counter)
    bodies: list = field(default_factory=list)
    arrivals: list = field(default_factory=list)  # (monotonic time the request arrived, event id)
    rejected: list = field(default_factory=list)
    requests: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/partnerhealth?source=test"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event_id = self.headers.get("X-PartnerHealth-Event-Id", "")
                with receiver._lock:
                    receiver.requests += 1
                    receiver.arrivals.append((time.monotonic(), event_id))
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.status >= 300:
                    self._answer(receiver.status, b"receiver is having a bad day")
                    return
                if receiver.secret:
                    try:
                        verify_signature(receiver.secret, self.headers.get("X-PartnerHealth-Signature", ""), body)
                    except BadSignature as error:
                        with receiver._lock:
                            receiver.rejected.append(str(error))
                        self._answer(401, str(error).encode())
                        return
                payload = json.loads(body)
                with receiver._lock:
                    # A receiver stores by event id: a second copy is acknowledged, not stored again.
                    receiver.ids[event_id] += 1
                    receiver.bodies.append((dict(self.headers), payload))
                self._answer(200, b"ok")

            def _answer(self, status: int, text: bytes):
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(text)))
                    self.end_headers()
                    self.wfile.write(text)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (its timeout): what a slow receiver sees

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
