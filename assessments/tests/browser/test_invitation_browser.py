import re

import pytest
from django.core import mail

from assessments.services.outbox import outbox_send_due
from assessments.tests.browser.conftest import axe_violations, login, screenshot
from assessments.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leadership_invites_someone_who_sets_a_password_and_every_page_is_accessible(page, settings, live_server):
    settings.SITE_URL = live_server.url
    UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")
    login(page, "lena", "correct horse battery staple")

    page.get_by_role("link", name="Invite people").click()
    assert axe_violations(page) == []
    page.get_by_label("First name").fill("Nina")
    page.get_by_label("Last name").fill("Novak")
    page.get_by_label("E-mail address").fill("nina@example.com")
    page.get_by_label("Account manager").check()
    page.get_by_role("button", name="Send the invitation").click()
    assert page.get_by_text("Invitation sent to nina@example.com as Account manager.").is_visible()
    screenshot(page, "invitations")

    outbox_send_due()
    link = re.search(r"http://\S+/accounts/invitations/\d+/\w+/", mail.outbox[0].body)[0]
    page.context.clear_cookies()
    page.goto(link)
    assert page.get_by_role("heading", name="Welcome, Nina Novak").is_visible()
    assert axe_violations(page) == []
    page.locator("#id_new_password1").fill("a much longer new passphrase 42")
    page.locator("#id_new_password2").fill("a much longer new passphrase 42")
    page.get_by_role("button", name="Set my password and log in").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Your password is set; you log in as nina@example.com.").is_visible()


def test_an_empty_login_shows_an_accessible_error(page):
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Enter your username and your password.").is_visible()
    assert axe_violations(page) == []
