"""A partner's contact answers the mirror survey, in headless Debian chromium, from an e-mail that reached a
real SMTP server (aiosmtpd) through the outbox.

1. the owner invites two contacts from the contacts page; 2. the invitation e-mail arrives over SMTP;
3. its link opens the form, on a 390 px phone; 4. a partial save; 5. coming back through the same link;
6. the answers are sent, and the owner, signed in in another browser, sees them in the partner page's
perception gap (against our own check-up of the quarter); 7. the same link then gets "already answered";
8. a revoked link and an expired link get the generic page; 9. the owner's page shows who answered.
Axe clean at every step.
Screenshots: artifacts/screenshots/mirror-*.png.
"""

import datetime as dt
import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import transaction
from django.utils import timezone

from assessments import tasks
from assessments.models import PartnerSnapshot, RubricVersion, SurveyInvitation, SurveyResponse
from assessments.periods import current_quarter
from assessments.selectors.rubrics import rubric_item_index, rubric_version_current
from assessments.services import dispatch
from assessments.services.periods import period_get_or_create
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.alerting import ensure_rubric_v1
from assessments.tests.browser.conftest import SCREENSHOTS, axe_violations, login, screenshot
from assessments.tests.celery_harness import SmtpSink, wait_for
from assessments.tests.factories import PartnerFactory, UserFactory, answers_for, submitted_checkup
from assessments.tests.mirror_factories import ContactFactory
from partnerhealth.env import parse_email_url

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture
def rubrics():
    # A transactional test's flush removes the data migrations' rows: load them again.
    ensure_rubric_v1()
    if not RubricVersion.objects.filter(audience="partner").exists():
        import_module("assessments.migrations.0021_partner_view").load_partner_v1(django_apps, None)


@pytest.fixture
def smtp(settings):
    sink = SmtpSink()
    sink.start()
    settings.MAILERS = {"default": parse_email_url(sink.url, timeout=5)}
    yield sink
    sink.stop()


def choose(page, title: str, label: str) -> None:
    page.get_by_role("group", name=title, exact=True).locator("label", has_text=label).click()


def on_phone(browser, live_server, refused: list[str]):
    """A fresh browser (no cookies) at 390 px, whose Content-Security-Policy refusals are collected."""
    context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    tab = context.new_page()
    tab.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return context, tab


def survey_link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://\S+/survey/[A-Za-z0-9_-]{43}/", body)[0]


def test_a_contact_answers_the_mirror_survey_from_the_e_mail_on_a_phone(
    page, browser, live_server, settings, rubrics, smtp, monkeypatch
):
    monkeypatch.setattr(dispatch, "publish", lambda *args, **kwargs: False)
    settings.SITE_URL = live_server.url
    settings.FIRM_NAME = "Northwind Consulting"
    owner = UserFactory(username="ana", first_name="Ana", last_name="Costa", role="account_manager")
    partner = PartnerFactory(name="Acme Alliances", owners=[owner])
    PartnerFactory(name="Globex Partners")
    dana = ContactFactory(partner=partner, name="Dana Reyes", email="dana@acme.example", role="Alliance lead")
    ContactFactory(partner=partner, name="Sam Ortiz", email="sam@acme.example")
    # Our own check-up of the quarter the invitations are for, so the partner page has a gap to show:
    # every trait "4 · Good" and no symptom, a health of 75.0.
    quarter = period_get_or_create(quarter=current_quarter(today=timezone.localdate()))
    items = rubric_item_index(version_id=rubric_version_current().id)
    submitted_checkup(items=items, answers=answers_for(items), partner=partner, period=quarter, rater=owner)
    with transaction.atomic():
        snapshots_recompute(pairs={(partner.id, quarter.id)})
    assert PartnerSnapshot.objects.get(partner=partner, period=quarter).health == 75.0
    violations = {}
    refused: list[str] = []

    # 1. The owner invites both from the partner's contacts page.
    login(page, "ana", PASSWORD)
    page.goto(f"/partners/{partner.pk}/")
    page.get_by_role("link", name="Contacts and their view of us").click()
    page.get_by_role("button", name="Invite everyone not yet asked (2)").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Invited for").is_visible()
    violations["owner"] = axe_violations(page)
    screenshot(page, "mirror-1-owner-invited")

    # 2. The outbox sends the invitations to the real SMTP server.
    tasks.send_outbox()
    wait_for(lambda: len(smtp.received()) == 2, timeout=20, what="the two invitation e-mails")
    (email,) = [m for m in smtp.received() if m["To"] == "dana@acme.example"]
    assert email["Subject"].strip() == "Northwind Consulting would value your view of our work with Acme Alliances"
    link = survey_link(email)
    html = email.get_body(preferencelist=("html",)).get_content()
    assert "/survey/stop/" in html
    page.set_content(html)
    page.screenshot(path=str(SCREENSHOTS / "mirror-1b-invitation-email.png"), full_page=True)
    page.goto(f"/partners/{partner.pk}/contacts/")
    (sam_email,) = [m for m in smtp.received() if m["To"] == "sam@acme.example"]
    sam_link = survey_link(sam_email)

    # 3. Dana opens the link on her phone: no account, only the partner's name and ours.
    phone, dana_page = on_phone(browser, live_server, refused)
    dana_page.goto(link)
    assert dana_page.get_by_role("heading", name="Your view of our work with Acme Alliances").is_visible()
    assert dana_page.get_by_text("Northwind Consulting", exact=True).is_visible()
    text = dana_page.locator("body").inner_text()
    assert "Globex" not in text and "Ana" not in text and "Partner Health" not in text
    assert dana_page.evaluate(NO_SIDEWAYS_SCROLL)
    violations["form"] = axe_violations(dana_page)
    screenshot(dana_page, "mirror-2-form-390")
    dana_page.screenshot(path=str(SCREENSHOTS / "mirror-2-form-390-first-screen.png"))

    # 4. She answers three questions and saves.
    choose(dana_page, "Caring", "2 · Weak")
    choose(dana_page, "Homework", "3 · Adequate")
    choose(dana_page, "Chasing rainbows", "1 · Mild")
    dana_page.get_by_role("button", name="Save and finish later").click()
    dana_page.wait_for_url("**/?saved=1#survey-saved")
    assert dana_page.get_by_text("Come back through the same link to finish").is_visible()
    assert SurveyResponse.objects.get().status == "draft"
    phone.close()

    # 5. Later, in a fresh browser, the same link brings her answers back.
    phone, dana_page = on_phone(browser, live_server, refused)
    dana_page.goto(link)
    caring = dana_page.get_by_role("group", name="Caring", exact=True)
    assert caring.get_by_role("radio", name="2 · Weak").is_checked()
    assert (
        dana_page.get_by_role("group", name="Chasing rainbows", exact=True)
        .get_by_role("radio", name="1 · Mild")
        .is_checked()
    )

    # 6. She answers the rest and sends; a question left open is named first.
    for title in ("Attention after the sale", "Proactivity", "Honesty", "Goal direction"):
        choose(dana_page, title, "3 · Adequate")
    for title in (
        "Sharpening one side of the pencil",
        "Little to no interaction",
        "Mutual respect missing",
        "Your solution misrepresented",
    ):
        choose(dana_page, title, "0 · None")
    dana_page.get_by_role("button", name="Send my answers").click()
    dana_page.wait_for_load_state("networkidle")
    summary = dana_page.locator("[data-error-summary]")
    assert "Meeting face to face: Answer this question before sending." in summary.inner_text()
    assert summary.inner_text().startswith("Your answers are saved, but not sent yet")
    violations["refused"] = axe_violations(dana_page)
    screenshot(dana_page, "mirror-3-question-left-390")
    dana_page.screenshot(path=str(SCREENSHOTS / "mirror-3-question-left-390-screen.png"))
    choose(dana_page, "Meeting face to face", "1 · Poor")
    dana_page.get_by_label("What is one thing we should do differently? (optional)").fill("Visit us once a quarter.")
    dana_page.get_by_role("button", name="Send my answers").click()
    # The browser keeps the form's #anchor across the redirect.
    dana_page.wait_for_url(re.compile(r"/\?sent=1(#survey-form)?$"))
    assert dana_page.get_by_role("heading", name="Thank you: your answers were sent").is_visible()
    violations["sent"] = axe_violations(dana_page)
    screenshot(dana_page, "mirror-4-sent-390")
    response = SurveyResponse.objects.get()
    assert response.status == "submitted" and response.free_text == "Visit us once a quarter."
    assert response.answers["traits.caring"] == 2 and response.answers["traits.face_to_face"] == 1
    # The submit stored her view on our snapshot of the quarter (the page would also score it from the responses).
    assert PartnerSnapshot.objects.get(partner=partner, period=quarter).partner_view["health"] == 37.98

    # 6b. The owner, signed in in another browser, sees her answers on the partner page: "How they see us".
    # Her traits, 1-5 as 0-100: caring 2 -> 25, five at 3 -> 50 each, face to face 1 -> 0: (25 + 250 + 0) / 7
    # = 39.29. Her symptoms, 0-3: chasing rainbows 1, four at 0: a load of (1/3) / 5 = 1/15, and the symptom
    # penalty (0.5) leaves 1 - 1/30 of it: 39.29 * 29/30 = 37.98, shown 38.0. Ours is 75.0: a gap of -37.0.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    owner_page = desk.new_page()
    login(owner_page, "ana", PASSWORD)
    owner_page.goto(f"/partners/{partner.pk}/#perception")
    section = owner_page.locator("#perception")
    assert section.get_by_role("heading", name="How they see us: the perception gap").is_visible()
    assert section.get_by_text(f"Their rating of us ({quarter.code})").is_visible()
    assert section.get_by_test_id("their-health").inner_text() == "38.0"
    assert section.get_by_text("1 response", exact=True).is_visible()
    assert section.get_by_test_id("our-health").inner_text() == "75.0"
    assert section.get_by_test_id("perception-gap").inner_text() == "\u221237.0"
    assert section.get_by_test_id("perception-sentence").inner_text() == (
        "Acme Alliances rates us 37.0 points lower than we rate them."
    )
    traits = section.locator("#perception-traits")
    assert quarter.code in traits.locator("caption").inner_text()
    assert traits.get_by_role("row", name="Caring").locator("td").all_inner_texts() == [
        "4 · Good",
        "2 · Weak",
        "\u22122.0",
    ]
    assert traits.get_by_role("row", name="Meeting face to face").locator("td").all_inner_texts() == [
        "4 · Good",
        "1 · Poor",
        "\u22123.0",
    ]
    symptoms = section.locator("#perception-symptoms")
    assert symptoms.get_by_role("row", name="Chasing rainbows").locator("td").all_inner_texts() == [
        "0 · None",
        "1 · Mild",
        "+1.0",
    ]
    # The chart: our line and theirs over the quarters; the table beside it gives the same figures.
    assert section.locator("svg.ph-svg-chart polyline").count() == 2
    history = section.locator("#perception-history")
    assert history.get_by_role("columnheader").last.inner_text() == quarter.code
    assert history.get_by_role("row", name="Their rating of us").locator("td").last.inner_text() == "38.0"
    assert history.get_by_role("row", name="Gap").locator("td").last.inner_text() == "\u221237.0"
    violations["perception"] = axe_violations(owner_page)
    section.screenshot(path=str(SCREENSHOTS / "mirror-4b-owner-perception.png"))
    desk.close()

    # 7. The same link again: "already answered", and nothing changes.
    dana_page.goto(link)
    assert dana_page.get_by_role("heading", name="You have already answered").is_visible()
    violations["answered"] = axe_violations(dana_page)
    screenshot(dana_page, "mirror-5-already-answered-390")
    phone.close()

    # 8. The owner revokes Sam's link; an expired one fares the same: the generic page.
    page.reload()
    page.get_by_role("button", name="Revoke Sam Ortiz's link").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Revoked: Sam Ortiz's link no longer opens the survey.").is_visible()
    outsider, sam_page = on_phone(browser, live_server, refused)
    sam_page.goto(sam_link)
    assert sam_page.get_by_role("heading", name="This link does not open a survey").is_visible()
    revoked_body = sam_page.locator("main").inner_html()
    violations["generic"] = axe_violations(sam_page)
    screenshot(sam_page, "mirror-6-generic-390")
    SurveyInvitation.objects.filter(contact=dana).update(expires_at=timezone.now() - dt.timedelta(days=1))
    SurveyInvitation.objects.filter(contact=dana).update(responded_at=None)  # unanswered, but expired
    sam_page.goto(link)
    assert sam_page.locator("main").inner_html() == revoked_body
    outsider.close()

    # 9. The owner's page tells the real states apart, on a phone too.
    SurveyInvitation.objects.filter(contact=dana).update(responded_at=timezone.now())
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.get_by_test_id(f"state-{dana.pk}").inner_text().startswith("Responded")
    assert page.get_by_test_id("survey-counts").inner_text().split() == (
        ["Invited:", "2", "Opened:", "1", "Responded:", "1", "Opted", "out:", "0"]
    )
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    violations["owner-phone"] = axe_violations(page)
    screenshot(page, "mirror-7-owner-390")

    assert violations == {step: [] for step in violations}
    assert refused == [], f"the survey broke its Content-Security-Policy: {refused}"
