"""The mirror survey end to end, in-process: contacts, invitations, the public form, reminders, opt-out."""

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from assessments.models import Contact, PartnerSnapshot, SurveyInvitation, SurveyMail, SurveyResponse
from assessments.selectors.survey import survey_token
from assessments.services.mirror import (
    ContactData,
    MirrorRefused,
    contact_create,
    survey_invite,
    survey_reminders_queue,
    survey_resend,
    survey_revoke,
    survey_save,
)
from assessments.services.outbox import outbox_send_due
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import PartnerFactory, UserFactory, answers_for, submitted_checkup
from assessments.tests.mirror_factories import ContactFactory, partner_answers

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)  # 2026-Q4


@pytest.fixture
def owner():
    return UserFactory(username="olivia", role="account_manager", first_name="Olivia", last_name="Owner")


@pytest.fixture
def partner(owner):
    return PartnerFactory(name="Acme Alliances", owners=[owner])


@pytest.fixture
def owner_client(owner):
    client = Client()
    client.force_login(owner)
    return client


def invite(owner, contact, now=NOW):
    with time_machine.travel(now, tick=False):
        (invitation,) = survey_invite(user=owner, partner_id=contact.partner_id, contact_ids=[contact.pk], now=now)
    return invitation


def send_mail(now=NOW):
    with time_machine.travel(now, tick=False):
        return outbox_send_due(now=now)


def link_in(message) -> str:
    return re.search(r"http://[^\s]+/survey/[A-Za-z0-9_-]{43}/", message.body).group(0)


def path_of(url: str) -> str:
    return url.split("127.0.0.1:8000", 1)[1]


def form_post(answers: dict, action: str, free_text: str = "") -> dict:
    data = {f"q__{address.replace('.', '__')}": str(value) for address, value in answers.items()}
    data.update(action=action, free_text=free_text)
    return data


def page(response) -> str:
    return " ".join(response.content.decode().split())


# --- contacts ----------------------------------------------------------------------------------


def test_an_owner_adds_a_contact_from_the_contacts_page(owner_client, partner):
    response = owner_client.post(
        reverse("contact_add", args=[partner.pk]),
        {"name": "Dana Reyes", "email": "Dana@Acme.Example", "role": "Alliance lead", "works_at": "shared_client"},
    )
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert (contact.email, contact.works_at) == ("dana@acme.example", "shared_client")
    shown = page(owner_client.get(reverse("partner_contacts", args=[partner.pk])))
    assert "Dana Reyes</span>, Alliance lead" in shown
    assert "At a shared client" in shown and "Not invited" in shown


def test_a_second_contact_with_the_same_address_is_refused_in_one_line(owner, partner):
    contact_create(user=owner, partner_id=partner.pk, data=ContactData(name="Dana", email="dana@acme.example"))
    with pytest.raises(
        MirrorRefused, match=r"^Acme Alliances already has a contact with the address dana@acme.example\.$"
    ):
        contact_create(user=owner, partner_id=partner.pk, data=ContactData(name="D. R.", email="DANA@acme.example"))


def test_another_owners_partner_has_no_contacts_for_this_owner(owner):
    other = PartnerFactory(owners=[UserFactory(role="account_manager")])
    with pytest.raises(type(other).DoesNotExist):
        contact_create(user=owner, partner_id=other.pk, data=ContactData(name="Eve", email="eve@x.example"))


# --- invitation, e-mail, form -------------------------------------------------------------------


@override_settings(FIRM_NAME="Northwind Consulting", SITE_URL="http://127.0.0.1:8000")
def test_the_invitation_e_mail_carries_a_private_link_and_an_opt_out_link(owner, partner):
    contact = ContactFactory(partner=partner, name="Dana Reyes", email="dana@acme.example")
    invitation = invite(owner, contact)

    assert send_mail().sent == 1
    (message,) = mail.outbox
    assert message.to == ["dana@acme.example"]
    assert message.subject == "Northwind Consulting would value your view of our work with Acme Alliances"
    url = link_in(message)
    token = url.rstrip("/").rsplit("/", 1)[1]
    # Only the hash is stored, and the link expires after SURVEY_TOKEN_DAYS (21).
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(SurveyInvitation.objects.values()))
    assert "works until Monday 23 November 2026" in message.body
    assert "/survey/stop/" in message.body and "/survey/stop/" in message.alternatives[0][0]


@override_settings(FIRM_NAME="Northwind Consulting", SITE_URL="http://127.0.0.1:8000")
def test_a_contact_saves_part_comes_back_through_the_same_link_then_sends(owner, partner, items):
    PartnerFactory(name="Other Partner Ltd")
    contact = ContactFactory(partner=partner)
    period = invite(owner, contact).period
    submitted_checkup(items=items, answers=answers_for(items, rating=4), partner=partner, period=period)
    with transaction.atomic():
        snapshots_recompute(pairs=[(partner.pk, period.pk)])
    send_mail()
    path = path_of(link_in(mail.outbox[0]))
    browser = Client()

    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        first = browser.get(path)
        shown = page(first)
        assert first.status_code == 200
        assert "Your view of our work with Acme Alliances" in shown and "Northwind Consulting" in shown
        assert "Other Partner Ltd" not in shown and "Olivia" not in shown
        assert "Do we care enough about your problems to find out what they are?" in shown
        assert first["Cache-Control"] == "no-store" and first["Referrer-Policy"] == "same-origin"

        part = {"traits.caring": 2, "traits.honesty": 5}
        saved = browser.post(path, form_post(part, "save", "Call us back sooner."))
        assert saved.status_code == 303 and saved["Location"].endswith("?saved=1#survey-saved")
        back = page(browser.get(path + "?saved=1"))
        assert "Saved 3 November 2026" in back
        assert 'value="2" class="btn-check" id="id_q__traits__caring_1" checked' in back
        assert "Call us back sooner." in back

        answers = partner_answers(rating=2, symptoms__little_interaction=3)
        incomplete = browser.post(
            path, form_post({k: v for k, v in answers.items() if k != "traits.attention"}, "submit")
        )
        assert incomplete.status_code == 400
        assert "Attention after the sale</a>: Answer this question before sending." in page(incomplete)
        assert "Your answers are saved, but not sent yet: every question needs an answer." in page(incomplete)
        response = SurveyResponse.objects.get()
        assert response.status == "draft" and len(response.answers) == 11  # saved, not sent

        sent = browser.post(path, form_post(answers, "submit", "Call us back sooner."))
        assert sent.status_code == 303
        assert "Thank you: your answers were sent" in page(browser.get(sent["Location"]))

    response.refresh_from_db()
    assert response.status == "submitted" and response.free_text == "Call us back sooner."
    invitation = SurveyInvitation.objects.get()
    assert invitation.opened_at == NOW + dt.timedelta(days=1) and invitation.responded_at is not None
    view = PartnerSnapshot.objects.get(partner=partner, period=period).partner_view
    assert view["responses"] == 1 and view["item_means"]["traits.caring"] == 2.0
    assert view["health"] == 22.5  # traits all 2 -> 25; one severe symptom of five -> 25 * (1 - 0.5 * 0.2)

    # The same link, later, in the same browser: "already answered"; a second send changes nothing.
    again = browser.get(path)
    assert again.status_code == 200 and "You have already answered" in page(again)
    second = browser.post(path, form_post(partner_answers(rating=5), "submit"))
    assert second.status_code == 409 and "You have already answered" in page(second)
    response.refresh_from_db()
    assert response.answers["traits.caring"] == 2
    # The owners read what they said on the contacts page.
    owner_client = Client()
    owner_client.force_login(owner)
    assert "“Call us back sooner.”" in page(owner_client.get(reverse("partner_contacts", args=[partner.pk])))
    # Anyone else holding the link sees the generic page.
    assert Client().get(path).status_code == 404


def test_resend_keeps_the_link_and_revoke_closes_it(owner, partner):
    contact = ContactFactory(partner=partner, name="Dana Reyes")
    invitation = invite(owner, contact)
    with time_machine.travel(NOW + dt.timedelta(days=30), tick=False):
        owner_client = Client()
        owner_client.force_login(owner)
        # Expired: a resend opens it again for 21 days, with the same link.
        survey_resend(user=owner, invitation_id=invitation.pk)
        invitation.refresh_from_db()
        assert invitation.expires_at == NOW + dt.timedelta(days=51)
        assert SurveyMail.objects.filter(kind="invitation").count() == 2
        send_mail(NOW + dt.timedelta(days=30))
        first, second = (link_in(m) for m in mail.outbox)
        assert first == second
        assert Client().get(path_of(first)).status_code == 200

        response = owner_client.post(reverse("survey_revoke", args=[invitation.pk]))
        assert response.status_code == 302
        assert Client().get(path_of(first)).status_code == 404
        shown = page(owner_client.get(reverse("partner_contacts", args=[partner.pk])))
        assert "Revoked</span>" not in shown  # the state is plain text
        assert re.search(r'data-testid="state-\d+"> Revoked', shown)
        with pytest.raises(MirrorRefused, match="was revoked; invite them again instead"):
            survey_resend(user=owner, invitation_id=invitation.pk)
        # A revoked invitation may be replaced by a new one, with a new link.
        new = invite(owner, contact, NOW + dt.timedelta(days=30))
        assert new.token_hash != invitation.token_hash


def test_inviting_someone_twice_in_a_quarter_is_refused_and_sends_nothing(owner, partner):
    contact = ContactFactory(partner=partner, name="Dana Reyes")
    invite(owner, contact)
    with pytest.raises(MirrorRefused, match=r"^Dana Reyes already invited for 2026-Q4; nothing was sent\.$"):
        invite(owner, contact)
    assert SurveyMail.objects.count() == 1


def test_survey_revoke_refuses_an_answered_invitation(owner, partner):
    invitation = invite(owner, ContactFactory(partner=partner, name="Dana Reyes"))
    SurveyInvitation.objects.filter(pk=invitation.pk).update(responded_at=NOW)
    with pytest.raises(MirrorRefused, match=r"Dana Reyes has already answered: an answer stays\."):
        survey_revoke(user=owner, invitation_id=invitation.pk)


# --- reminders and opt-out ------------------------------------------------------------------------


def reminders_on(day: int) -> int:
    now = NOW + dt.timedelta(days=day)
    with time_machine.travel(now, tick=False):
        return survey_reminders_queue(now=now)


def test_at_most_two_reminders_at_least_five_days_apart(owner, partner):
    invite(owner, ContactFactory(partner=partner))
    assert [reminders_on(day) for day in (4, 5, 5, 9, 10, 14, 16, 20)] == [0, 1, 0, 0, 1, 0, 0, 0]
    send_mail(NOW + dt.timedelta(days=20))
    subjects = [m.subject for m in mail.outbox]
    assert subjects.count("A reminder: your view of our work with Acme Alliances") == 2
    # Every e-mail carries the same survey link, and the opt-out link.
    assert len({link_in(m) for m in mail.outbox}) == 1
    assert all("Don't want these e-mails? Stop them here: " in m.body for m in mail.outbox)


def test_reminders_stop_once_the_contact_answers_or_opts_out(owner, partner):
    answered = invite(owner, ContactFactory(partner=partner))
    opted = invite(owner, ContactFactory(partner=partner))
    waiting = invite(owner, ContactFactory(partner=partner))
    assert send_mail().sent == 3
    assert reminders_on(5) == 3
    # The reminders wait in the outbox; meanwhile one answers and one opts out: theirs are skipped.
    SurveyInvitation.objects.filter(pk=answered.pk).update(responded_at=NOW + dt.timedelta(days=5))
    Contact.objects.filter(pk=opted.contact_id).update(opted_out_at=NOW + dt.timedelta(days=5))
    report = send_mail(NOW + dt.timedelta(days=5))
    assert (report.sent, report.skipped) == (1, 2)
    assert reminders_on(10) == 1
    assert SurveyInvitation.objects.get(pk=waiting.pk).reminders_sent == 2


@override_settings(SITE_URL="http://127.0.0.1:8000")
def test_the_opt_out_link_asks_first_then_stops_every_e_mail(owner, owner_client, partner):
    contact = ContactFactory(partner=partner, name="Dana Reyes")
    invitation = invite(owner, contact)
    send_mail()
    opt_out = path_of(re.search(r"http://\S+/survey/stop/\S+/", mail.outbox[0].body).group(0))
    browser = Client()

    asked = browser.get(opt_out)
    assert "Stop these e-mails?" in page(asked)
    assert Contact.objects.get().opted_out_at is None  # a link scanner's GET changes nothing
    done = browser.post(opt_out)
    assert "You will get no more of these e-mails" in page(done)
    assert Contact.objects.get().opted_out_at is not None

    assert reminders_on(5) == 0
    assert Client().get(path_of(link_in(mail.outbox[0]))).status_code == 404
    shown = page(owner_client.get(reverse("partner_contacts", args=[partner.pk])))
    assert re.search(rf'data-testid="state-{contact.pk}"> Opted out', shown)
    assert "Opted out: <strong>1</strong>" in shown
    with pytest.raises(MirrorRefused, match=r"Dana Reyes asked not to be contacted; nothing was sent\."):
        survey_resend(user=owner, invitation_id=invitation.pk)


def test_the_progress_page_counts_invited_opened_responded_and_opted_out(owner, owner_client, partner):
    contacts = [ContactFactory(partner=partner) for _ in range(4)]
    invitations = [invite(owner, c) for c in contacts[:3]]
    SurveyInvitation.objects.filter(pk=invitations[0].pk).update(opened_at=NOW)
    SurveyInvitation.objects.filter(pk=invitations[1].pk).update(opened_at=NOW, responded_at=NOW)
    Contact.objects.filter(pk=contacts[3].pk).update(opted_out_at=NOW)
    with time_machine.travel(NOW, tick=False):
        shown = page(owner_client.get(reverse("partner_contacts", args=[partner.pk])))
    assert "2026-Q4: who was asked and who answered" in shown
    for label, count in (("Invited", 3), ("Opened", 2), ("Responded", 1), ("Opted out", 1)):
        assert f"{label}: <strong>{count}</strong>" in shown
    states = re.findall(r'data-testid="state-\d+"> ([A-Z][a-z]+(?: out)?) ', shown)
    assert sorted(states) == ["Invited", "Opened", "Opted out", "Responded"]


def test_leadership_reads_the_progress_page_without_its_buttons(owner, partner):
    invite(owner, ContactFactory(partner=partner))
    leader = Client()
    leader.force_login(UserFactory(role="leadership"))
    with time_machine.travel(NOW, tick=False):
        response = leader.get(reverse("partner_contacts", args=[partner.pk]))
    assert response.status_code == 200
    assert "Invited: <strong>1</strong>" in page(response)
    assert "Revoke" not in page(response) and "Add a contact" not in page(response)


def test_invitations_of_another_quarter_are_not_counted_in_this_ones(owner, owner_client, partner):
    invite(owner, ContactFactory(partner=partner), NOW - dt.timedelta(days=40))  # 2026-Q3
    with time_machine.travel(NOW, tick=False):
        shown = page(owner_client.get(reverse("partner_contacts", args=[partner.pk])))
    assert "2026-Q4: who was asked and who answered" in shown
    assert "Invited: <strong>0</strong>" in shown


def test_an_owner_edits_a_contact_and_a_clash_is_named_beside_the_address(owner_client, partner):
    dana = ContactFactory(partner=partner, name="Dana Reyes", email="dana@acme.example")
    ContactFactory(partner=partner, name="Sam Ortiz", email="sam@acme.example")
    url = reverse("contact_edit", args=[dana.pk])
    data = {"name": "Dana R. Reyes", "email": "dana@acme.example", "role": "Head of alliances", "works_at": "partner"}
    assert owner_client.post(url, data).status_code == 302
    dana.refresh_from_db()
    assert (dana.name, dana.role) == ("Dana R. Reyes", "Head of alliances")

    refused = owner_client.post(url, data | {"email": "SAM@acme.example"})
    assert refused.status_code == 400
    assert "E-mail address</a>: Acme Alliances already has a contact with the address sam@acme.example." in page(
        refused
    )
    dana.refresh_from_db()
    assert dana.email == "dana@acme.example"


def test_an_owner_records_an_opt_out_and_can_undo_it(owner_client, partner):
    dana = ContactFactory(partner=partner, name="Dana Reyes")
    owner_client.post(reverse("contact_opt_out", args=[dana.pk]))
    dana.refresh_from_db()
    assert dana.opted_out_at is not None
    shown = page(owner_client.get(reverse("partner_contacts", args=[partner.pk])))
    assert "Dana Reyes will get no more survey e-mails." in shown and "Allow e-mails again" in shown
    owner_client.post(reverse("contact_opt_in", args=[dana.pk]))
    dana.refresh_from_db()
    assert dana.opted_out_at is None


def test_a_sent_survey_is_announced_to_webhooks_in_the_same_transaction_and_a_draft_is_not(owner, partner):
    from integrations.models import Delivery, Endpoint

    hook = Endpoint.objects.create(
        name="CRM", url="https://hooks.example.com/in", secret="s" * 20, events=["survey.responded"], owner=owner
    )
    contact = ContactFactory(partner=partner, works_at=Contact.WorksAt.PARTNER)
    invitation = invite(owner, contact)
    token = survey_token(invitation)

    with time_machine.travel(NOW, tick=False):
        survey_save(token=token, answers={"traits.caring": 3}, free_text="", submit=False, now=NOW)
        assert not Delivery.objects.exists()
        response = survey_save(token=token, answers=partner_answers(rating=3), free_text="", submit=True, now=NOW)

    (row,) = Delivery.objects.all()
    assert row.endpoint_id == hook.pk and row.event == "survey.responded"
    assert row.payload["summary"] == "A contact at Acme Alliances answered the 2026-Q4 partner survey."
    assert row.payload["url"].endswith(f"/partners/{partner.pk}/#perception")
    assert row.payload["data"] == {
        "survey": {"id": response.pk, "invitation": invitation.pk, "period": "2026-Q4"},
        "partner": {"id": partner.pk, "name": "Acme Alliances"},
        "contact": {"id": contact.pk, "works_at": "partner"},
    }
    assert contact.email not in str(row.payload)
