"""nginx and gunicorn on loopback, started from the deployment's own files in deploy/.

gunicorn reads ``deploy/gunicorn.conf.py`` unchanged (its address comes from
GUNICORN_BIND, as in the image). nginx gets ``deploy/nginx/default.conf.template``
rendered the way the official nginx image's entrypoint renders it (each
``${NAME}`` replaced from the environment), included in a minimal main
configuration that only says where this run keeps its pid, logs and temporary
files. bench/load.py uses the same two helpers.
"""

from __future__ import annotations

import contextlib
import grp
import http.client
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from assessments.tests.celery_harness import wait_for
from conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "default.conf.template"


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def http_answers(port: int, path: str = "/accounts/login/") -> bool:
    """True once something answers HTTP on the port (gunicorn binds before its workers have booted)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


def nginx_render(template: str, variables: dict[str, str]) -> str:
    """Replace ``${NAME}`` as the nginx image does; a name left undefined is an error here."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in variables:
            raise KeyError(f"{NGINX_TEMPLATE.name} uses ${{{name}}}, which docker-compose.yml does not set")
        return variables[name]

    return re.sub(r"\$\{(\w+)\}", value, template)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextlib.contextmanager
def gunicorn(*, port: int, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """gunicorn with deploy/gunicorn.conf.py, bound to 127.0.0.1:port."""
    binary = Path(sys.executable).parent / "gunicorn"
    if not binary.exists():
        service_missing(f"{binary} not found")
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [str(binary), "--config", str(GUNICORN_CONF), "partnerhealth.wsgi:application"],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: process.poll() is not None or http_answers(port), timeout=60, what=f"gunicorn on {port}")
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}; see {log}")
        yield process
    finally:
        _stop(process)


def nginx_binary() -> str:
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if binary is None:
        service_missing("nginx is not installed (apt-get install nginx-light)")
    return binary


@contextlib.contextmanager
def nginx(*, port: int, upstream_port: int, folder: Path) -> Iterator[subprocess.Popen]:
    """nginx on 127.0.0.1:port in front of 127.0.0.1:upstream_port, with deploy/nginx's server block."""
    binary = nginx_binary()
    folder.mkdir(parents=True, exist_ok=True)
    server = nginx_render(
        NGINX_TEMPLATE.read_text(), {"NGINX_UPSTREAM": f"127.0.0.1:{upstream_port}", "NGINX_LISTEN": f"127.0.0.1:{port}"}
    )
    (folder / "default.conf").write_text(server)
    # Only where this run keeps its files; every directive about clients is in the template.
    # worker_connections as in the official image's nginx.conf.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (folder / "nginx.conf").write_text(
        f"""{user if os.geteuid() == 0 else ""}
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    access_log {folder / "access.log"};
{temp}
    include {folder / "default.conf"};
}}
"""
    )
    process = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: process.poll() is not None or port_open(port), timeout=20, what=f"nginx on {port}")
        if process.poll() is not None:
            raise AssertionError(f"nginx exited with {process.returncode}: {(folder / 'error.log').read_text()}")
        yield process
    finally:
        _stop(process)
