"""Strict helpers that read configuration from the environment.

Each helper fails loudly (ImproperlyConfigured) on a value it cannot parse, so
a typo in a deployment stops the process at start-up instead of silently
falling back to a default.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


# The embedded setup's web process and Celery worker threads share one SQLite file. A transaction
# that reads, then writes (the outbox's claim) cannot wait for the write lock once it holds a read
# lock ("database is locked" at once); BEGIN IMMEDIATE takes the write lock first, so it waits (up
# to ``timeout`` seconds) instead. WAL lets pages read while the worker writes.
SQLITE_OPTIONS = {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}


def parse_database_url(url: str) -> dict:
    """Turn postgres://user:pass@host:port/name or sqlite:///path into DATABASES['default']."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path
        path = parsed.path[1:] if parsed.path.startswith("/") else parsed.path
        if not path:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} has no file path.")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "OPTIONS": dict(SQLITE_OPTIONS)}
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parsed.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database.")
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        config = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
        if options:
            config["OPTIONS"] = options
        return config
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parsed.scheme!r} is not supported (use sqlite:/// or postgres://)."
    )


def parse_email_url(url: str, *, timeout: int = 10) -> dict:
    """Turn an EMAIL_URL into a Django 6.1 ``MAILERS["default"]`` entry.

    smtp://user:pass@host:port[?tls=1|ssl=1], smtps://..., console:// (raw MIME
    on standard output), file:///path (one readable .eml file per message and
    a summary line on standard output: ``partnerhealth.mailbox``), locmem:// (tests).
    """
    parsed = urlparse(url)
    scheme = parsed.scheme
    backends = "django.core.mail.backends."
    if scheme == "console":
        return {"BACKEND": backends + "console.EmailBackend"}
    if scheme == "locmem":
        return {"BACKEND": backends + "locmem.EmailBackend"}
    if scheme == "file":
        path = (parsed.netloc + parsed.path) if parsed.netloc else parsed.path
        if not path:
            raise ImproperlyConfigured(f"EMAIL_URL={url!r} names no directory.")
        return {"BACKEND": "partnerhealth.mailbox.EmailBackend", "OPTIONS": {"file_path": path}}
    if scheme in {"smtp", "smtps"}:
        if not parsed.hostname:
            raise ImproperlyConfigured(f"EMAIL_URL={url!r} names no host.")
        flags = {}
        for key, values in parse_qs(parsed.query).items():
            if key not in {"tls", "ssl"}:
                raise ImproperlyConfigured(f"EMAIL_URL option {key!r} is not supported (use tls=1 or ssl=1).")
            raw = values[-1].lower()
            if raw not in _TRUE | _FALSE:
                raise ImproperlyConfigured(f"EMAIL_URL option {key}={raw!r} is not a boolean.")
            flags[key] = raw in _TRUE
        try:
            port = parsed.port or (465 if scheme == "smtps" else 25)
        except ValueError:
            raise ImproperlyConfigured(f"EMAIL_URL={url!r} has an invalid port.") from None
        return {
            "BACKEND": backends + "smtp.EmailBackend",
            "OPTIONS": {
                "host": parsed.hostname,
                "port": port,
                "username": unquote(parsed.username or ""),
                "password": unquote(parsed.password or ""),
                "use_ssl": scheme == "smtps" or flags.get("ssl", False),
                "use_tls": flags.get("tls", False),
                "timeout": timeout,
            },
        }
    raise ImproperlyConfigured(
        f"EMAIL_URL scheme {scheme!r} is not supported (use smtp://, smtps://, console://, file://, locmem://)."
    )
