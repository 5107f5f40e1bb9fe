"""The guarded HTTP POST of a webhook: no Django here, so it is tested without a database.

Server-side request forgery: a registered URL is the user's input, and the server would POST to
whatever it names: the cloud metadata service (169.254.169.254), the database on 10.0.0.5, our
own admin on 127.0.0.1. So, at every send:

1. only ``http`` and ``https`` URLs, with a host;
2. the host is resolved **now** (a name that was public at registration can be re-pointed);
3. every address it resolves to must be public: no loopback, private, link-local, multicast,
   reserved, unspecified or shared (100.64/10) address, IPv4-mapped IPv6 included;
4. the connection goes to the address we checked (pinned), never a second look-up that a DNS
   server could answer differently (DNS rebinding); the ``Host`` header and TLS SNI / certificate
   check still use the name.

A host on the allow-list (``WEBHOOK_ALLOWED_HOSTS``, exact name or address) skips step 3 only.
Redirects are not followed: a 3xx is a failed delivery.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]


class Refused(Exception):
    """The URL may not be called; the message says why in plain words."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked address the connection is pinned to


@dataclass(frozen=True)
class Response:
    status: int
    duration_ms: int
    body: str


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network("100.64.0.0/10"))
        or not address.is_global
    )


def split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL, or ``Refused``."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise Refused(f"The address is not a valid URL ({error}).") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused(f"Only http and https addresses can receive webhooks, not {scheme or 'this'}:.")
    host = (parts.hostname or "").lower()
    if not host:
        raise Refused("The address has no host name.")
    if parts.username or parts.password:
        raise Refused("Put credentials in the secret, not in the address.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def check(url: str, *, allowed_hosts: Iterable[str] = (), resolver: Resolver = system_resolver) -> Target:
    """Resolve the URL's host now and return the address to connect to, or raise ``Refused``."""
    scheme, host, port, path = split_url(url)
    allowed = host in {h.lower().strip("[]") for h in allowed_hosts}
    addresses = _addresses(host, port, resolver)
    if not allowed:
        for address in addresses:
            if not _public(address):
                raise Refused(
                    f"{host} resolves to {address}, a loopback, private or link-local address; "
                    "webhooks only go to public addresses unless the host is in WEBHOOK_ALLOWED_HOSTS."
                )
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))


def _addresses(host: str, port: int, resolver: Resolver) -> list:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass  # a name, not an address
    try:
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host, port)]
    except (OSError, UnicodeError) as error:
        raise Refused(f"The host {host} could not be found ({error}).") from None
    if not addresses:
        raise Refused(f"The host {host} could not be found.")
    return addresses


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float, context: ssl.SSLContext | None = None):
        super().__init__(target.host, target.port, timeout=timeout, context=context or ssl.create_default_context())
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # SNI and the certificate check use the name, not the pinned address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Response:
    """POST ``body`` to the pinned address; the answer's status, time taken and first 1,000 characters.

    Network failures raise ``OSError`` (timeouts included); the caller records them.
    """
    connection_class = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = connection_class(target, timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        answer = connection.getresponse()
        text = answer.read(4096).decode("utf-8", "replace")[:1000]
        return Response(status=answer.status, duration_ms=round((time.monotonic() - started) * 1000), body=text)
    finally:
        connection.close()
