"""EMAIL_URL=file://…: each e-mail is a readable .eml file, with one line on the console (scripts/run)."""

from __future__ import annotations

import email
from email import policy

import pytest
from django.core import mail

from assessments.models import AlertDelivery
from assessments.periods import Quarter
from assessments.services.alerts import partner_evaluate
from assessments.services.outbox import outbox_send_due
from assessments.tests.alerting import DECLINING, manager, partner_with_history
from partnerhealth.env import parse_email_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_folder(settings, tmp_path):
    folder = tmp_path / "mail"
    settings.MAILERS = {"default": parse_email_url(f"file://{folder}")}
    return folder


def _read(path):
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def test_a_case_email_lands_as_one_readable_eml_file_and_one_line_on_the_console(items, mail_folder, capfd):
    ana = manager("ana", first_name="Ana")
    partner = partner_with_history(
        items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=Quarter(2026, 3)
    )
    partner_evaluate(partner_id=partner.id)
    AlertDelivery.objects.exclude(alert__rule="health_decline", alert__period__code="2026-Q3").delete()

    report = outbox_send_due()

    assert (report.sent, report.messages) == (1, 1)
    (path,) = mail_folder.glob("*.eml")
    message = _read(path)
    subject = "[Partner Health] Case opened: Oakline Logistics — Critical (2026-Q3)"
    assert message["Subject"] == subject, "the subject decodes back to the words, not =?utf-8?…"
    assert message["To"] == "ana@example.com"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Ana," in text and "Quality of product or service (rating 1-5): 4.0 → 2.0" in text
    assert "<table" in message.get_body(preferencelist=("html",)).get_content()
    raw = path.read_text(encoding="utf-8")
    assert f"Subject: {subject}\n" in raw, "a pager shows the subject as written"
    assert "Quality of product or service (rating 1-5): 4.0 → 2.0" in raw, "and the body, not quoted-printable"
    assert "=?utf-8?" not in raw and "=3D" not in raw
    assert capfd.readouterr().out == f"e-mail to ana@example.com: {subject} -> {path}\n"
    assert not list(mail_folder.glob("*.part")), "no half-written file is left behind"


def test_every_message_of_one_connection_gets_its_own_file(mail_folder, capfd):
    messages = [mail.EmailMessage(f"Note {n}", "Body", to=[f"user{n}@example.com"]) for n in range(3)]

    with mail.mailers.default as connection:
        assert connection.send_messages(messages) == 3

    files = sorted(mail_folder.glob("*.eml"))
    assert sorted(_read(path)["Subject"] for path in files) == ["Note 0", "Note 1", "Note 2"]
    assert len(capfd.readouterr().out.splitlines()) == 3


def test_the_file_url_selects_the_readable_backend_and_the_console_url_still_prints_raw_mime():
    assert parse_email_url("file:///tmp/mail") == {
        "BACKEND": "partnerhealth.mailbox.EmailBackend",
        "OPTIONS": {"file_path": "/tmp/mail"},
    }
    assert parse_email_url("console://")["BACKEND"] == "django.core.mail.backends.console.EmailBackend"
