import pytest

from assessments.tests.browser.conftest import axe_violations, login, screenshot
from assessments.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_logs_in_through_a_real_browser_and_the_login_page_is_accessible(page):
    UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")

    page.goto("/")
    assert "/accounts/login/" in page.url
    assert axe_violations(page) == []
    login(page, "ana", "correct horse battery staple")

    assert page.get_by_text("Ana Alvarez").is_visible()
    screenshot(page, "login-home")
