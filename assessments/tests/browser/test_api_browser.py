"""The API's two pages in a browser: the tokens page (make one, copy it, revoke it) and the reference."""

from __future__ import annotations

import pytest
from django.test import Client

from assessments.tests.browser.conftest import axe_violations, login, screenshot
from assessments.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_makes_a_token_from_the_menu_uses_it_and_revokes_it(page):
    UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")
    login(page, "ana", "correct horse battery staple")
    page.get_by_role("link", name="API tokens").click()
    assert page.get_by_role("heading", name="API tokens").is_visible()
    assert axe_violations(page) == []
    page.get_by_label("Name").fill("CRM sync")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Make the token").click()
    assert page.get_by_text("Copy it now: it is shown only this once.").is_visible()
    secret = page.locator("#new-token").inner_text().strip()
    assert secret.startswith("ph_")
    assert axe_violations(page) == []
    screenshot(page, "api-tokens")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/partners/").status_code == 200

    page.get_by_role("button", name="Revoke CRM sync").click()
    assert page.get_by_text("Token “CRM sync” revoked: it no longer works.").is_visible()
    assert api.get("/api/partners/").status_code == 401


def test_the_reference_renders_every_operation_under_the_strict_csp(page):
    UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")
    login(page, "lena", "correct horse battery staple")
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    text = page.locator("#api-reference").inner_text()
    for path in ("/api/partners/", "/api/checkups/", "/api/engagements/by-external-id/{external_id}/"):
        assert path in text
    screenshot(page, "api-docs")
