"""The environment helpers fail loudly on bad values."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from assessments.periods import PeriodError, Quarter
from partnerhealth.env import env_bool, env_int, env_list, parse_database_url, parse_email_url


def test_database_url_defaults_to_a_sqlite_file_and_understands_postgres():
    assert parse_database_url("sqlite:///var/db.sqlite3") == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "var/db.sqlite3",
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
    }
    assert parse_database_url("sqlite:////abs/db.sqlite3")["NAME"] == "/abs/db.sqlite3"
    pg = parse_database_url("postgres://ph:s%40cret@db.internal:6432/partnerhealth?sslmode=require")
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "partnerhealth",
        "ph",
        "s@cret",
        "db.internal",
        "6432",
    )
    assert pg["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host/", "sqlite://", "nonsense"])
def test_unsupported_or_incomplete_database_urls_are_refused(url):
    with pytest.raises(ImproperlyConfigured):
        parse_database_url(url)


def test_email_url_builds_the_default_mailer():
    smtp = parse_email_url("smtp://u:p@mail.example.com:2525?tls=1", timeout=3)
    assert smtp["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert smtp["OPTIONS"] == {
        "host": "mail.example.com",
        "port": 2525,
        "username": "u",
        "password": "p",
        "use_ssl": False,
        "use_tls": True,
        "timeout": 3,
    }
    assert parse_email_url("console://")["BACKEND"].endswith("console.EmailBackend")
    assert parse_email_url("file:///tmp/mail")["OPTIONS"] == {"file_path": "/tmp/mail"}
    for bad in ["smtp://", "smtp://h?tls=maybe", "smtp://h?starttls=1", "carrier-pigeon://x"]:
        with pytest.raises(ImproperlyConfigured):
            parse_email_url(bad)


def test_scalar_helpers_reject_what_they_cannot_parse(monkeypatch):
    monkeypatch.setenv("PH_FLAG", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="PH_FLAG"):
        env_bool("PH_FLAG", False)
    monkeypatch.setenv("PH_FLAG", "yes")
    assert env_bool("PH_FLAG", False) is True
    monkeypatch.setenv("PH_NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("PH_NUM", 1)
    monkeypatch.setenv("PH_NUM", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("PH_NUM", 1, minimum=0)
    monkeypatch.setenv("PH_LIST", " a.example, ,b.example ")
    assert env_list("PH_LIST", []) == ["a.example", "b.example"]


def test_settings_refuse_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env["DJANGO_SETTINGS_MODULE"] = "partnerhealth.settings"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_quarters_parse_print_and_step():
    q = Quarter.parse("2026-Q4")
    assert q.code == "2026-Q4" and str(q) == "2026-Q4"
    assert q.starts_on == dt.date(2026, 10, 1) and q.ends_on == dt.date(2026, 12, 31)
    assert q.next() == Quarter(2027, 1) and q.shift(-4) == Quarter(2025, 4)
    assert [p.code for p in q.window(3)] == ["2026-Q2", "2026-Q3", "2026-Q4"]
    assert Quarter.containing(dt.date(2026, 3, 31)) == Quarter(2026, 1)
    for bad in ["2026-Q5", "2026Q1", "26-Q1", "2026-q1x", ""]:
        with pytest.raises(PeriodError, match="YYYY-Qn"):
            Quarter.parse(bad)
