"""Nothing a signed-in user receives may be kept by a browser or proxy cache (issue 12, finding 9)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments.roles import Role
from assessments.tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.fixture
def lena_client(client):
    client.force_login(UserFactory(username="lena", role=Role.LEADERSHIP))
    return client


def test_a_signed_in_page_is_never_stored(lena_client):
    partner = PartnerFactory()
    for url in (reverse("partner_detail", args=[partner.pk]), reverse("partner_list"), reverse("case_list")):
        response = lena_client.get(url)
        assert response.status_code == 200
        assert {"no-store", "private"} <= directives(response), url


def test_the_csv_export_is_never_stored(lena_client):
    response = lena_client.get(reverse("dashboard_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert {"no-store", "private"} <= directives(response)


def test_a_refused_or_redirected_response_to_a_signed_in_user_is_not_stored_either(client):
    client.force_login(UserFactory(username="ana", role=Role.ACCOUNT_MANAGER))
    assert "no-store" in directives(client.get(reverse("dashboard")))  # 403
    assert "no-store" in directives(client.get(reverse("home")))  # redirect


def test_static_files_keep_their_caching_for_everyone(client, lena_client):
    for c in (client, lena_client):
        response = c.get("/static/css/app.css")
        assert response.status_code == 200
        assert "no-store" not in directives(response)
        assert any(d.startswith("max-age=") for d in directives(response))


def test_anonymous_pages_are_unaffected(client):
    login = client.get(reverse("login"))
    assert login.status_code == 200
    # The login form is never cached by Django itself (its CSRF token is per visitor).
    assert "no-store" in directives(login)
    redirect = client.get(reverse("partner_list"))
    assert redirect.status_code == 302
    assert "no-store" not in directives(redirect)
