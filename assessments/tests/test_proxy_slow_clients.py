"""Slow clients (issue 12, finding 4): behind the proxy, half-sent requests no longer stop the app.

Three connections that each sent half a request held all three of gunicorn's
sync workers, and a normal request timed out. gunicorn and nginx run here on
loopback from the very files docker-compose.yml uses (deploy/gunicorn.conf.py,
deploy/nginx/default.conf.template; see proxy_harness.py). Every wait is bounded
by a one-second client timeout, and every connection is closed at the end.
The proxy must also hand Django the Host the browser used, or every form posted
through it would fail Django's origin check.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import time

import pytest

from assessments.tests.celery_harness import free_port
from assessments.tests.proxy_harness import GUNICORN_CONF, NGINX_TEMPLATE, ROOT, gunicorn, nginx, nginx_binary

pytestmark = pytest.mark.services

SLOW_CLIENTS = 50
ANSWER_WITHIN = 1.0  # seconds
PAGE = "/accounts/login/"


@pytest.fixture(scope="module")
def app_port(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gunicorn")
    env = {
        **os.environ,
        # A throwaway SQLite file keeps the test away from every shared database.
        "DJANGO_SETTINGS_MODULE": "partnerhealth.test_settings",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "VAR_DIR": str(folder),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("WEB_CONCURRENCY", None)  # the configuration file's own number of workers
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    port = free_port()
    with gunicorn(port=port, env=env, log=folder / "gunicorn.log"):
        yield port


@pytest.fixture(scope="module")
def proxy_port(app_port, tmp_path_factory):
    nginx_binary()
    port = free_port()
    with nginx(port=port, upstream_port=app_port, folder=tmp_path_factory.mktemp("nginx")):
        yield port


def _get(port: int) -> tuple[int | None, float]:
    """A normal request: its status (None if no answer within ANSWER_WITHIN) and how long it took."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_WITHIN)
    try:
        connection.request("GET", PAGE, headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        response.read()
        status = response.status
    except TimeoutError:
        status = None
    finally:
        connection.close()
    return status, time.perf_counter() - started


@contextlib.contextmanager
def _half_sent(port: int, count: int):
    """Connections that send part of a request, then nothing: half stop in the headers, half in the body."""
    sockets = []
    try:
        for n in range(count):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            sockets.append(client)
            if n % 2:
                client.sendall(b"GET " + PAGE.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: sl")
            else:
                client.sendall(
                    b"POST " + PAGE.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 4096\r\n\r\nusername=sl"
                )
        yield sockets
    finally:
        for client in sockets:
            client.close()


def _still_open(client: socket.socket) -> bool:
    """True while the server keeps the connection open without having answered it."""
    client.setblocking(False)
    try:
        client.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    return False


def test_without_the_proxy_three_half_sent_requests_hold_every_sync_worker_and_a_normal_request_times_out(app_port):
    assert _get(app_port)[0] == 200

    with _half_sent(app_port, 3):
        status, seconds = _get(app_port)

    assert status is None, f"gunicorn answered in {seconds * 1000:.0f} ms: its workers were not all held"
    assert _get(app_port)[0] == 200, "once the slow clients go, the workers are free again"


def test_behind_the_proxy_a_normal_request_is_answered_within_a_second_while_50_half_sent_requests_are_held(
    proxy_port,
):
    assert _get(proxy_port)[0] == 200  # warm: each worker has rendered the page once

    with _half_sent(proxy_port, SLOW_CLIENTS) as slow:
        answers = [_get(proxy_port) for _ in range(5)]
        held = sum(_still_open(client) for client in slow)

    assert [status for status, _ in answers] == [200] * 5
    slowest = max(seconds for _, seconds in answers)
    print(f"{SLOW_CLIENTS} half-sent requests held; normal requests answered in "
          f"{', '.join(f'{seconds * 1000:.0f}' for _, seconds in answers)} ms")
    assert slowest < ANSWER_WITHIN, f"slowest normal request took {slowest * 1000:.0f} ms"
    assert held == SLOW_CLIENTS, "nginx keeps every slow client waiting (until client_header/body_timeout)"


def test_docker_compose_runs_these_files_and_publishes_the_proxy_not_gunicorn():
    compose = (ROOT / "docker-compose.yml").read_text()
    services = dict(re.findall(r"^  (\w+):\n((?:(?:    .*)?\n)*)", compose, flags=re.MULTILINE))

    assert f"--config {GUNICORN_CONF.relative_to(ROOT)}" in services["web"]
    assert "ports:" not in services["web"], "gunicorn's sync workers must not face clients"
    assert f"./{NGINX_TEMPLATE.relative_to(ROOT)}:/etc/nginx/templates/default.conf.template" in services["proxy"]
    assert 'ports: ["8000:80"]' in services["proxy"]
    assert "NGINX_UPSTREAM: web:8000" in services["proxy"]


def test_a_form_posted_through_the_proxy_passes_djangos_origin_check(proxy_port):
    # A browser sends Origin with the port; Django compares it with the Host that reaches it.
    connection = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=5)
    origin = f"http://127.0.0.1:{proxy_port}"
    token = "a" * 32
    connection.request(
        "POST",
        "/accounts/logout/",
        body=f"csrfmiddlewaretoken={token}",
        headers={
            "Host": f"127.0.0.1:{proxy_port}",
            "Origin": origin,
            "Cookie": f"csrftoken={token}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response = connection.getresponse()
    response.read()
    connection.close()

    assert (response.status, response.getheader("Location")) == (302, "/accounts/login/")
