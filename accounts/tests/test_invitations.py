"""Invitations: leadership or an admin invites by name, e-mail and role; the link works once, until it expires."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccountMail, Invitation
from accounts.services import InvitationError, invitation_send
from assessments.models.alerts import OutboxStatus
from assessments.roles import Role
from assessments.services.outbox import outbox_send_due
from assessments.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/accounts/invitations/"
NEW_PASSWORD = "a much longer new passphrase 42"
RAW_ROLES = ("account_manager", "leadership", "admin")


def visible(html: str) -> str:
    """The words a person reads: the text between tags (a form's submitted values are not shown)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def lena(db):
    return UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def invite(client, *, email="nina@example.com", role="account_manager", first_name="Nina", last_name="Novak"):
    return client.post(PAGE, {"first_name": first_name, "last_name": last_name, "email": email, "role": role})


def invitation_link(message, site_url) -> str:
    return re.search(re.escape(site_url) + r"(/accounts/invitations/\d+/\w+/)", message.body)[1]


def accept(link, password=NEW_PASSWORD):
    client = Client()
    return client, client.post(link, {"new_password1": password, "new_password2": password})


def test_leadership_invites_someone_by_name_email_and_a_role_named_in_words(lena, settings):
    client = signed_in(lena)
    page = client.get(PAGE).content.decode()
    assert "Invite people" in page and ">Account manager</label>" in page and ">Leadership</label>" in page
    assert not any(raw in visible(page) for raw in RAW_ROLES)

    response = invite(client, email="Nina@Example.com")

    assert response.status_code == 302
    shown = client.get(response["Location"]).content.decode()
    assert "Invitation sent to nina@example.com as Account manager. The link works once, for 7 days." in shown
    assert "<td>Nina Novak</td>" in shown and "<td>Account manager</td>" in shown and "Waiting (until" in shown
    nina = get_user_model().objects.get(email="nina@example.com")
    assert (nina.username, nina.is_active, nina.has_usable_password()) == ("nina@example.com", False, False)
    assert list(nina.groups.values_list("name", flat=True)) == [Role.ACCOUNT_MANAGER.value]
    # Recorded with the request; the outbox sends it after commit.
    assert mail.outbox == [] and AccountMail.objects.get().status == OutboxStatus.PENDING

    outbox_send_due()
    (message,) = mail.outbox
    assert message.to == ["nina@example.com"]
    assert message.subject == "Lena Fischer invites you to Partner Health"
    assert "Lena Fischer has invited you to Partner Health" in message.body and "as Account manager." in message.body
    assert "You will log in as nina@example.com." in message.body
    assert invitation_link(message, settings.SITE_URL)
    words = message.subject + message.body + visible(message.alternatives[0][0])
    assert not any(raw in words for raw in RAW_ROLES)


def test_the_link_sets_the_password_activates_the_account_and_works_once(lena, settings):
    invite(signed_in(lena))
    outbox_send_due()
    link = invitation_link(mail.outbox[0], settings.SITE_URL)

    form = Client().get(link).content.decode()
    assert "Welcome, Nina Novak" in form and "Lena Fischer invited you to Partner Health as Account manager." in form

    client, response = accept(link)
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Your password is set; you log in as nina@example.com." in client.get("/", follow=True).content.decode()
    nina = get_user_model().objects.get(email="nina@example.com")
    assert nina.is_active and nina.check_password(NEW_PASSWORD)
    login = Client().post("/accounts/login/", {"username": "nina@example.com", "password": NEW_PASSWORD})
    assert login.status_code == 302

    used = Client().get(link)
    assert used.status_code == 410
    assert "This invitation has been used already" in used.content.decode()
    _, again = accept(link, "another long passphrase 77")
    assert again.status_code == 410
    nina.refresh_from_db()
    assert nina.check_password(NEW_PASSWORD)


def test_an_expired_link_says_so_and_who_to_ask(lena, settings):
    settings.INVITATION_VALID_DAYS = 7
    with time_machine.travel("2026-11-02 09:00 +0000", tick=False) as clock:
        invite(signed_in(lena))
        outbox_send_due()
        link = invitation_link(mail.outbox[0], settings.SITE_URL)
        clock.shift(dt.timedelta(days=7, seconds=1))

        expired = Client().get(link)

    html = expired.content.decode()
    assert expired.status_code == 410
    assert "This invitation has expired" in html
    assert "It worked until Monday 9 November 2026, 09:00. Ask Lena Fischer to send you a new one." in html
    assert not get_user_model().objects.get(email="nina@example.com").is_active


def test_inviting_again_replaces_the_earlier_link(lena, settings):
    client = signed_in(lena)
    invite(client)
    outbox_send_due()
    first = invitation_link(mail.outbox[0], settings.SITE_URL)
    invite(client, role="leadership")
    outbox_send_due()
    second = invitation_link(mail.outbox[1], settings.SITE_URL)

    assert "A newer invitation was sent to you" in Client().get(first).content.decode()
    _, response = accept(second)
    assert response.status_code == 302
    nina = get_user_model().objects.get(email="nina@example.com")
    assert list(nina.groups.values_list("name", flat=True)) == [Role.LEADERSHIP.value]


def test_a_tampered_link_is_not_found(lena, settings):
    invite(signed_in(lena))
    outbox_send_due()
    link = invitation_link(mail.outbox[0], settings.SITE_URL)
    pk = re.search(r"/invitations/(\d+)/", link)[1]

    assert Client().get(link[:-3] + "00/").status_code == 404
    assert Client().get(link.replace(f"/{pk}/", f"/{int(pk) + 1}/")).status_code == 404


def test_an_invitation_used_before_its_email_left_is_not_sent():
    lena = UserFactory(username="lena", role="leadership")
    invitation = invitation_send(
        invited_by=lena, first_name="Nina", last_name="", email="nina@example.com", role=Role.ACCOUNT_MANAGER
    )
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())

    report = outbox_send_due()

    assert mail.outbox == [] and report.skipped == 1


def test_only_leadership_and_admins_invite_and_only_an_admin_invites_an_admin(lena):
    manager = UserFactory(username="ana", role="account_manager")
    assert signed_in(manager).get(PAGE).status_code == 403
    assert Client().get(PAGE).status_code == 302  # to the log-in page

    refused = invite(signed_in(lena), role="admin")
    assert refused.status_code == 400 and "Select a valid choice." in refused.content.decode()
    with pytest.raises(InvitationError, match=r"You cannot invite someone as Admin\."):
        invitation_send(invited_by=lena, first_name="X", last_name="", email="x@example.com", role=Role.ADMIN)

    admin = UserFactory(username="root", role="admin")
    page = signed_in(admin).get(PAGE).content.decode()
    assert ">Admin</label>" in page
    invite(signed_in(admin), email="ops@example.com", role="admin")
    ops = get_user_model().objects.get(email="ops@example.com")
    assert ops.is_staff and not ops.is_superuser


def test_someone_who_has_a_password_is_not_invited_but_an_imported_rater_is(lena):
    UserFactory(username="ana", first_name="Ana", last_name="Alvarez", email="ana@example.com")
    response = invite(signed_in(lena), email="ana@example.com")
    assert response.status_code == 400
    assert "Ana Alvarez already has an account (ana); they can log in, or use “Forgotten your password?”." in (
        response.content.decode()
    )

    User = get_user_model()
    rater = User.objects.create(username="rae@example.com", email="rae@example.com")
    rater.set_unusable_password()
    rater.save()
    invite(signed_in(lena), email="rae@example.com", first_name="Rae")
    rater.refresh_from_db()
    assert rater.first_name == "Rae" and rater.is_active and Invitation.objects.filter(user=rater).exists()


def test_the_invitations_page_costs_the_same_queries_for_many_invitations(lena, django_assert_num_queries):
    client = signed_in(lena)
    client.get(PAGE)  # warm the session
    for n in range(3):
        invitation_send(invited_by=lena, first_name=f"P{n}", last_name="", email=f"p{n}@example.com",
                        role=Role.ACCOUNT_MANAGER)
    with CaptureQueriesContext(connection) as few:
        client.get(PAGE)
    assert len(few) <= 5  # session, user, roles, invitations with invitee and sender
    for n in range(3, 30):
        invitation_send(invited_by=lena, first_name=f"P{n}", last_name="", email=f"p{n}@example.com",
                        role=Role.ACCOUNT_MANAGER)
    with django_assert_num_queries(len(few)):
        page = client.get(PAGE).content.decode()
    assert page.count("<td>Account manager</td>") == 30
