"""Real services for the reliability tests: a throwaway Redis, real Celery workers, a real SMTP server.

Nothing here is eager-mode: workers are ``celery worker`` subprocesses talking
to Redis and to the very PostgreSQL test database the test writes to (its name
is passed through DATABASE_URL), and mail goes over SMTP to aiosmtpd.

Redis: we start our own ``redis-server`` on a free port, so stopping it hurts
nobody else and its data vanishes with it. Without the binary we fall back to
the server named by CELERY_BROKER_URL (CI sets redis://127.0.0.1:6379/15),
on a dedicated database number that we flush, and a test that needs to stop
Redis points the web side at a closed port instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import quote, urlparse

from conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"
# The fallback database number on a shared Redis: not CI's 15, not the usual 0.
FALLBACK_REDIS_DB = 14


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], object], *, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


# --- PostgreSQL ------------------------------------------------------------------


def worker_database_url() -> str:
    """DATABASE_URL of the test database this process is using, for a worker subprocess."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"] != "django.db.backends.postgresql":
        service_missing("a Celery worker shares the test database only on PostgreSQL (set DATABASE_URL=postgres://…)")
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(s['NAME'], safe='')}"


# --- Redis ----------------------------------------------------------------------


@dataclass
class Redis:
    url: str
    owned: bool  # True: our own redis-server, which we may stop and start
    port: int
    process: subprocess.Popen | None = None
    workdir: str = ""

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1).ping())
        except Exception:
            return False

    def start(self) -> None:
        if not self.owned:
            raise RuntimeError("cannot start a shared Redis")
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.workdir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if not self.owned:
            raise RuntimeError("cannot stop a shared Redis")
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        wait_for(lambda: not self.ping(), timeout=5, what="redis to stop")

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushdb()

    def close(self) -> None:
        if self.owned:
            with contextlib.suppress(Exception):
                self.stop()
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            with contextlib.suppress(Exception):
                self.flush()


def redis_for_tests() -> Redis:
    if shutil.which("redis-server"):
        port = free_port()
        server = Redis(url=f"redis://127.0.0.1:{port}/0", owned=True, port=port, workdir=tempfile.mkdtemp())
        server.start()
        return server
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        service_missing("no redis-server binary and CELERY_BROKER_URL is not a redis:// URL")
    parsed = urlparse(broker)
    url = parsed._replace(path=f"/{FALLBACK_REDIS_DB}").geturl()
    server = Redis(url=url, owned=False, port=parsed.port or 6379)
    if not server.ping():
        service_missing(f"Redis at {url} is not answering")
    server.flush()
    return server


@contextlib.contextmanager
def publishing_to(url: str) -> Iterator[None]:
    """Point this process's Celery app (what the web side publishes with) at ``url``."""
    from django.conf import settings

    from partnerhealth.celery import app

    def reset() -> None:
        from kombu import pools

        # kombu keeps one pool per broker URL process-wide; forget them all,
        # and the app's cached ones, so the next publish connects afresh.
        with contextlib.suppress(Exception):
            pools.reset()
        app._after_fork()

    # Celery's broker_url prefers the CELERY_BROKER_URL environment variable
    # (CI sets it) over the configuration, so both are pointed at ``url``.
    saved = (app.conf.broker_url, app.conf.broker_transport_options, os.environ.get("CELERY_BROKER_URL"))
    reset()
    os.environ["CELERY_BROKER_URL"] = url
    app.conf.broker_url = url
    app.conf.broker_transport_options = dict(settings.REDIS_BROKER_TRANSPORT_OPTIONS)
    try:
        assert app.connection_for_write().as_uri(include_password=True).startswith(url.rsplit("/", 1)[0])
        yield
    finally:
        reset()
        app.conf.broker_url, app.conf.broker_transport_options, env_url = saved
        if env_url is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = env_url


def publish(url: str, task: str, *args) -> None:
    """Send a task the way beat does."""
    with publishing_to(url):
        from partnerhealth.celery import app

        app.send_task(task, args=args)


# --- Celery workers -----------------------------------------------------------------


@dataclass
class Worker:
    name: str
    broker_url: str
    database_url: str
    env: dict = field(default_factory=dict)
    pool: str = "prefork"
    concurrency: int = 1
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    _log: object = None

    def start(self) -> Worker:
        if not CELERY.exists():
            service_missing(f"{CELERY} not found")
        from django.conf import settings

        self.log_path = Path(tempfile.mkstemp(prefix=f"celery-{self.name}-", suffix=".log")[1])
        self._log = self.log_path.open("wb")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "partnerhealth.test_settings",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "TIME_ZONE": settings.TIME_ZONE,
            "VAR_DIR": tempfile.mkdtemp(prefix="ph-worker-"),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "partnerhealth",
                "worker",
                "--pool",
                self.pool,
                "--concurrency",
                str(self.concurrency),
                "--hostname",
                f"{self.name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(lambda: "ready." in self.log() or self.process.poll() is not None, timeout=60, what="worker")
        except AssertionError:
            self.stop()
            raise
        if self.process.poll() is not None:
            raise AssertionError(f"worker {self.name} exited at start:\n{self.log()[-3000:]}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def succeeded(self, task: str) -> int:
        """How many runs of ``task`` this worker has logged as finished."""
        return sum(1 for line in self.log().splitlines() if f"Task {task}[" in line and " succeeded in " in line)

    def failures(self) -> list[str]:
        return [line for line in self.log().splitlines() if " raised unexpected" in line or "Traceback" in line]

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        """SIGKILL the worker and its pool: no warm shutdown, nothing acknowledged."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """Warm shutdown: SIGTERM to the main process only, which lets running tasks finish."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process is not None:
            # Leftover pool processes of a killed main process.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if self._log:
            self._log.close()
            self._log = None


# --- SMTP -------------------------------------------------------------------------


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a fixed port that can be stopped and started again."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list = []
        self._lock = threading.Lock()
        self._controller = None

    def start(self) -> None:
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            service_missing("aiosmtpd is not installed")
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink._lock:
                    sink.messages.append(
                        message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
                    )
                return "250 Message accepted for delivery"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def received(self) -> list:
        with self._lock:
            return list(self.messages)
