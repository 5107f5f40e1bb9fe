"""Eight reset requests for one address at the same instant still queue at most the limit (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from accounts import services
from accounts.models import AccountMail, PasswordResetRequest
from assessments.tests.factories import UserFactory
from conftest import service_missing

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_simultaneous_requests_for_one_address_queue_no_more_than_the_limit(monkeypatch):
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (row counts under concurrent transactions)")
    monkeypatch.setattr(services, "outbox_kick", lambda: None)
    UserFactory(username="ana", email="ana@example.com")
    barrier = threading.Barrier(8)
    errors = []

    def request(n: int) -> None:
        try:
            barrier.wait()
            services.password_reset_request(email="ana@example.com", client_ip=f"198.51.100.{n}")
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert AccountMail.objects.count() == 3
    assert PasswordResetRequest.objects.filter(outcome="limited").count() == 5
