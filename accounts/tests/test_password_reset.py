"""Password reset: links from SITE_URL, e-mail through the outbox, the same answer for every address, rate limits."""

import re
import time

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client

from accounts.models import AccountMail, Invitation, PasswordResetRequest
from accounts.services import invitation_send
from assessments.models.alerts import OutboxStatus
from assessments.roles import Role
from assessments.services.outbox import outbox_send_due
from assessments.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a much longer new passphrase 42"
RESET = "/accounts/password/reset/"


def ask(email, *, ip="203.0.113.9", client=None, **extra):
    client = client or Client(REMOTE_ADDR=ip, **extra)
    return client.post(RESET, {"email": email})


def reset_link(message, site_url) -> str:
    return re.search(re.escape(site_url) + r"(/accounts/password/reset/[^/\s]+/[^/\s]+/)", message.body)[1]


def set_password_through(link, password=NEW_PASSWORD):
    client = Client()
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    return client.post(
        form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}, follow=True
    )


def test_the_link_is_built_from_site_url_never_from_the_requests_host(settings):
    settings.SITE_URL = "https://health.example.com"
    UserFactory(username="ana", email="ana@example.com")

    ask("ana@example.com", HTTP_HOST="localhost:6666")
    outbox_send_due()

    (message,) = mail.outbox
    assert "https://health.example.com/accounts/password/reset/" in message.body
    assert "6666" not in message.body and "6666" not in message.alternatives[0][0]


def test_known_and_unknown_addresses_get_the_same_answer_at_once_and_no_mail_is_sent_in_the_request(monkeypatch):
    UserFactory(username="ana", email="ana@example.com")
    sent_during_request = []

    def slow_mail_server(backend, messages):
        sent_during_request.extend(messages)
        time.sleep(2)
        return len(messages)

    monkeypatch.setattr(EmailBackend, "send_messages", slow_mail_server)

    started = time.monotonic()
    known = ask("ana@example.com")
    known_seconds = time.monotonic() - started
    unknown = ask("nobody@example.com")

    assert sent_during_request == [] and known_seconds < 1
    assert (known.status_code, known["Location"], known.content) == (
        unknown.status_code,
        unknown["Location"],
        unknown.content,
    )
    page = Client().get(known["Location"]).content.decode()
    assert "If an account uses that address, a link to choose a new password is on its way." in page
    # Recorded, to be sent by the outbox after the request.
    assert AccountMail.objects.filter(status=OutboxStatus.PENDING, recipient__username="ana").count() == 1
    assert list(PasswordResetRequest.objects.order_by("id").values_list("outcome", flat=True)) == [
        "sent",
        "no_account",
    ]


def test_a_fourth_request_for_one_address_in_an_hour_gets_the_same_answer_and_no_email(settings):
    settings.SITE_URL = "https://health.example.com"
    UserFactory(username="ana", email="ana@example.com")

    with time_machine.travel("2026-11-02 09:00 +0000", tick=False) as clock:
        answers = [ask("ana@example.com", ip=f"198.51.100.{n}") for n in range(4)]
        outbox_send_due()
        assert len(mail.outbox) == 3
        assert len({(a.status_code, a["Location"], a.content) for a in answers}) == 1
        assert PasswordResetRequest.objects.filter(outcome="limited").count() == 1

        clock.shift(3601)  # an hour later the address may ask again
        ask("ANA@example.com ")
        outbox_send_due()
        assert len(mail.outbox) == 4


def test_an_eleventh_request_from_one_client_in_an_hour_is_refused_silently():
    for n in range(11):
        UserFactory(username=f"user{n}", email=f"user{n}@example.com")

    answers = [ask(f"user{n}@example.com", ip="203.0.113.9") for n in range(11)]
    outbox_send_due()

    assert len(mail.outbox) == 10 and not any(m.to == ["user10@example.com"] for m in mail.outbox)
    assert len({(a.status_code, a["Location"], a.content) for a in answers}) == 1
    ask("user10@example.com", ip="198.51.100.7")  # another client is not held up
    outbox_send_due()
    assert mail.outbox[-1].to == ["user10@example.com"]


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 2
    for n in range(4):
        UserFactory(username=f"user{n}", email=f"user{n}@example.com")

    for n in range(4):
        ask(f"user{n}@example.com", ip="172.18.0.5", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    outbox_send_due()

    assert len(mail.outbox) == 4
    assert set(PasswordResetRequest.objects.values_list("ip_address", flat=True)) == {
        f"198.51.100.{n}" for n in range(4)
    }


def test_an_account_without_a_usable_password_gets_the_email_and_can_then_log_in(settings):
    User = get_user_model()
    rater = User.objects.create(username="rater@example.com", email="rater@example.com", first_name="Rae")
    rater.set_unusable_password()
    rater.save()

    ask("rater@example.com")
    outbox_send_due()

    (message,) = mail.outbox
    assert "asked to set a password for your Partner Health account, rater@example.com" in message.body
    done = set_password_through(reset_link(message, settings.SITE_URL))
    assert "Your password has been set" in done.content.decode()
    logged_in = Client().post("/accounts/login/", {"username": "rater@example.com", "password": NEW_PASSWORD})
    assert logged_in.status_code == 302


def test_an_invitee_who_lost_the_invitation_can_use_the_reset_instead(settings):
    lena = UserFactory(username="lena", role="leadership")
    invitation = invitation_send(
        invited_by=lena, first_name="Nina", last_name="Novak", email="nina@example.com", role=Role.ACCOUNT_MANAGER
    )
    AccountMail.objects.all().delete()  # the invitation e-mail went astray

    ask("nina@example.com")
    outbox_send_due()
    set_password_through(reset_link(mail.outbox[0], settings.SITE_URL))

    nina = get_user_model().objects.get(username="nina@example.com")
    assert nina.is_active and nina.check_password(NEW_PASSWORD)
    invitation.refresh_from_db()
    assert invitation.state(invitation.accepted_at) == Invitation.State.ACCEPTED


def test_a_deactivated_account_gets_nothing_even_if_its_email_was_already_queued():
    UserFactory(username="ana", email="ana@example.com", is_active=False)
    ask("ana@example.com")
    assert not AccountMail.objects.exists()

    ben = UserFactory(username="ben", email="ben@example.com")
    ask("ben@example.com")
    ben.is_active = False
    ben.save()
    report = outbox_send_due()

    assert mail.outbox == [] and report.skipped == 1
    assert AccountMail.objects.get().status == OutboxStatus.SKIPPED


def test_a_reset_link_works_once(settings):
    UserFactory(username="ana", email="ana@example.com")
    ask("ana@example.com")
    outbox_send_due()
    link = reset_link(mail.outbox[0], settings.SITE_URL)
    set_password_through(link)

    again = Client().get(link, follow=True)
    assert "This reset link no longer works" in again.content.decode()
