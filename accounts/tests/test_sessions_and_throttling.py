import logging
import os
import subprocess
import sys

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.models import UserSession
from assessments.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def log_in(username="ana", password=PASSWORD, ip="10.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return client, response


def test_repeated_failures_lock_that_username_from_that_address_but_not_the_real_user_elsewhere(settings, caplog):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="ana")
    caplog.set_level(logging.INFO, logger="partnerhealth.security")

    for _ in range(3):
        _, response = log_in(password="wrong", ip="203.0.113.9")
        assert "_auth_user_id" not in response.client.session
    _, locked = log_in(ip="203.0.113.9")  # even the right password is refused now
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()

    client, elsewhere = log_in(ip="198.51.100.7")
    assert elsewhere.status_code == 302 and client.session["_auth_user_id"]
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("login failed username='ana' ip=203.0.113.9") for m in messages)
    assert any(m.startswith("lockout username='ana'") for m in messages)
    assert any(m.startswith("login user=") and "198.51.100.7" in m for m in messages)
    assert not any(PASSWORD in m or "wrong" in m for m in messages)


def test_logging_out_ends_every_session_of_that_user():
    user = UserFactory(username="ana")
    laptop, _ = log_in(ip="10.0.0.1")
    phone, _ = log_in(ip="10.0.0.2")
    assert UserSession.objects.filter(user=user).count() == 2

    laptop.post("/accounts/logout/")

    assert not UserSession.objects.filter(user=user).exists()
    assert not Session.objects.exists()
    assert phone.get("/checkups/").status_code == 302  # the phone is logged out too


def test_deactivating_a_user_ends_their_sessions(django_capture_on_commit_callbacks):
    user = UserFactory(username="ana")
    client, _ = log_in()
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
    assert not Session.objects.exists()
    assert client.get("/checkups/").status_code == 302


def test_a_session_ends_after_the_idle_timeout_and_after_its_absolute_lifetime(settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    settings.SESSION_ABSOLUTE_LIFETIME = 3600
    UserFactory(username="ana", role="account_manager")
    with time_machine.travel("2026-11-02 09:00 +0000", tick=False) as clock:
        client, _ = log_in()
        assert client.get("/checkups/").status_code == 200
        clock.shift(540)
        assert client.get("/checkups/").status_code == 200  # active within the idle window
        clock.shift(660)
        idle = client.get("/checkups/")
        assert idle.status_code == 302 and idle["Location"].startswith("/accounts/login/")

        client, _ = log_in()
        for _ in range(7):  # busy, never idle, but the lifetime still runs out
            clock.shift(540)
            response = client.get("/checkups/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_denied_access_is_logged(caplog):
    UserFactory(username="ana", role="account_manager")
    client, _ = log_in()
    caplog.set_level(logging.WARNING, logger="partnerhealth.security")
    assert client.get("/partners/999999/").status_code == 404
    assert any("access denied status=404" in r.getMessage() and "/partners/999999/" in r.getMessage()
               for r in caplog.records)


def test_every_page_sends_a_strict_content_security_policy_and_the_other_security_headers(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "object-src 'none'" in policy and "base-uri 'none'" in policy
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'self'" in script_src
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_an_oversized_post_is_refused(client):
    response = client.post("/accounts/login/", {"username": "x", "password": "y" * 2_000_000})
    assert response.status_code == 400


def test_the_deploy_check_passes_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partnerhealth.settings",
        "DEBUG": "0",
        "SECRET_KEY": "k7#Qz9!pLw2@Xv5$Nr8^Tb3&Jm6*Hd1(Fg4)Sa0-Ye2+Uc9=Ri7",
        "ALLOWED_HOSTS": "health.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "EMAIL_URL": "smtp://mail.example.com:587?tls=1",
    }
    for key in ["SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS"]:
        env.pop(key, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
