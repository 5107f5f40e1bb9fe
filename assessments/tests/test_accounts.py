import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse

from assessments.roles import Role
from assessments.services.outbox import outbox_send_due
from assessments.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a much longer new passphrase 42"


def test_the_login_page_offers_a_password_reset(client):
    html = client.get(reverse("login")).content.decode()

    assert '<label class="form-label" for="id_username">Username</label>' in html
    assert '<label class="form-label" for="id_password">Password</label>' in html
    assert ">Log in</button>" in html
    assert f'href="{reverse("password_reset")}"' in html


def test_pages_need_a_login(client):
    for url in (reverse("my_checkups"), reverse("partner_list"), reverse("password_change")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_wrong_password_is_refused_with_a_message(client):
    UserFactory(username="ana")
    response = client.post(reverse("login"), {"username": "ana", "password": "nope"})
    assert "Please enter a correct username and password" in response.content.decode()


def test_logging_out_takes_a_post_and_ends_the_session(client):
    client.force_login(UserFactory(username="ana", role="account_manager"))
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert client.get(reverse("my_checkups")).status_code == 302


def test_a_password_reset_sends_an_email_whose_link_sets_a_new_password(client):
    UserFactory(username="ana", first_name="Ana", last_name="Alvarez", email="ana@example.com")

    response = client.post(reverse("password_reset"), {"email": "ana@example.com"}, follow=True)

    assert "Check your e-mail" in response.content.decode()
    assert mail.outbox == []  # the outbox sends it, after the request
    outbox_send_due()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.com"]
    assert message.subject == "Reset your Partner Health password"
    assert "Hello Ana Alvarez" in message.body
    html_body, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Choose a new password" in html_body
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/password/reset/\S+/\S+/)", message.body)[1]

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert "Your password has been set" in done.content.decode()

    # Log in through the login page, as a person would (the throttling backend needs the request).
    old = Client().post("/accounts/login/", {"username": "ana", "password": PASSWORD})
    assert old.status_code == 200 and "_auth_user_id" not in old.client.session
    new = Client().post("/accounts/login/", {"username": "ana", "password": NEW_PASSWORD})
    assert new.status_code == 302 and new.client.session["_auth_user_id"]
    used_again = client.get(link, follow=True)
    assert "This reset link no longer works" in used_again.content.decode()


def test_a_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)

    assert "Check your e-mail" in response.content.decode()
    outbox_send_due()
    assert mail.outbox == []


def test_a_logged_in_user_changes_their_password(client):
    user = UserFactory(username="ana")
    client.force_login(user)
    page = client.get(reverse("password_change")).content.decode()
    assert "Change your password" in page and "Old password" in page

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert "Your password has been changed" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_wrong_old_password_is_refused_beside_the_field(client):
    user = UserFactory(username="ana")
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert "Your old password was entered incorrectly" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_role_groups_grant_what_each_role_may_do():
    def perms(role: Role) -> set[str]:
        return set(Group.objects.get(name=role.value).permissions.values_list("codename", flat=True))

    manager, leadership, admin = perms(Role.ACCOUNT_MANAGER), perms(Role.LEADERSHIP), perms(Role.ADMIN)
    assert {"change_checkup", "add_interaction", "change_actionitem", "view_partner"} <= manager
    assert "change_partner" not in manager and "change_alert" not in manager
    assert {"view_partner", "view_checkup", "change_alert"} <= leadership
    assert not {"change_checkup", "add_interaction", "change_actionitem"} & leadership
    assert {"change_partner", "add_rubricversion", "change_user"} <= admin


def test_the_nav_shows_my_checkups_to_managers_but_not_to_leadership():
    manager = Client()
    manager.force_login(UserFactory(username="ana", role="account_manager"))
    leader = Client()
    leader.force_login(UserFactory(username="lena", role="leadership"))

    assert ">My check-ups</a>" in manager.get(reverse("partner_list")).content.decode()
    html = leader.get(reverse("partner_list")).content.decode()
    assert ">My check-ups</a>" not in html and ">Change password</a>" in html
