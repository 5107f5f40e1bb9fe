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


def env_float(name: str, default: float, *, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name}={value} must lie between {minimum} and {maximum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


# ISO 4217's currencies of money (its list of 2024, without gold, silver, bond units and test codes), so
# a typo such as "EURO" or "US$" stops start-up instead of printing an unknown code on every page.
_ISO_4217_MONEY = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
    CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
    KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN
    NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL
    SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES
    VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
"""
ISO_4217 = frozenset(_ISO_4217_MONEY.split())


def env_currency(name: str, default: str) -> str:
    """An ISO 4217 currency code, upper-cased: EUR, USD, GBP ..."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    code = raw.strip().upper()
    if code not in ISO_4217:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an ISO 4217 currency code (e.g. EUR, USD, GBP).")
    return code


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
