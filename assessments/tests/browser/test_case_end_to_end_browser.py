"""A manager works a case from the inbox to its recovery, in headless Debian chromium, and the resolution
e-mail reaches a real SMTP server (aiosmtpd) through the outbox.

1. the inbox; 2. the case; 3. acknowledge; 4. an action linked to trust, added from the case page;
5. the next two check-ups raise trust (the late one through the service, this quarter's in the browser);
6. the evaluation, run as the Celery task runs it, resolves the case by itself;
7. the outbox sends the resolution e-mail, which names the linked item that recovered.
Screenshots: artifacts/screenshots/case-e2e-*.png.
"""

import datetime as dt
from email.message import EmailMessage

import pytest
from django.utils import timezone

from assessments import tasks
from assessments.models import ActionItem, Case
from assessments.periods import current_quarter
from assessments.services import dispatch
from assessments.services.checkups import CheckupInput, checkup_submit
from assessments.services.periods import period_get_or_create
from assessments.tests.alerting import DECLINING, ensure_rubric_v1, leader, manager, partner_with_history
from assessments.tests.browser.conftest import SCREENSHOTS, axe_violations, login, screenshot
from assessments.tests.celery_harness import SmtpSink, wait_for
from assessments.tests.factories import CheckupFactory, answers_for
from partnerhealth.env import parse_email_url

pytestmark = [pytest.mark.browser, pytest.mark.services, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
TRUST = "Trust between the organisations"
SUBJECT = "[Partner Health] Resolved: Oakline Logistics — Recovered"


@pytest.fixture
def rubric_v1():
    ensure_rubric_v1()


@pytest.fixture
def smtp(settings):
    sink = SmtpSink()
    sink.start()
    # The outbox sends through Django's default mailer: point it at the real SMTP server.
    settings.MAILERS = {"default": parse_email_url(sink.url, timeout=5)}
    yield sink
    sink.stop()


def choose(page, title: str, label: str) -> None:
    page.get_by_role("group", name=title, exact=True).locator("label", has_text=label).click()


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_manager_works_a_case_from_the_inbox_to_its_recovery_and_the_resolution_email_arrives(
    page, rubric_v1, items, smtp, monkeypatch
):
    # No broker here: the test runs each task itself, as a worker would.
    monkeypatch.setattr(dispatch, "publish", lambda *args, **kwargs: False)
    leader("lena", first_name="Lena", last_name="Fischer")
    ana = manager("ana", first_name="Ana", last_name="Alvarez")
    now = current_quarter(today=timezone.localdate())
    late_quarter, declined = now.previous(), now.previous().previous()
    partner = partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=declined)
    tasks.scan_trends()
    case = Case.objects.get(partner=partner)
    late = CheckupFactory(partner=partner, rater=ana, period=period_get_or_create(quarter=late_quarter))
    CheckupFactory(partner=partner, rater=ana, period=period_get_or_create(quarter=now))
    violations = {}

    # 1. The inbox.
    login(page, "ana", PASSWORD)
    page.get_by_role("link", name="Cases", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("row", name="Oakline Logistics").first.is_visible()
    violations["inbox"] = axe_violations(page)
    screenshot(page, "case-e2e-1-inbox")

    # 2. The case.
    page.get_by_role("link", name="Oakline Logistics").first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Oakline Logistics").is_visible()
    assert page.get_by_text("Overall health fell from 75 to 25").first.is_visible()
    assert page.locator("#action-plan").get_by_text("No action yet.").is_visible()
    violations["case"] = axe_violations(page)
    screenshot(page, "case-e2e-2-case")

    # 3. Acknowledge.
    page.locator("#ack-note").fill("Met their COO; we agree a recovery plan")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Acknowledged: Oakline Logistics.").is_visible()
    violations["acknowledged"] = axe_violations(page)
    screenshot(page, "case-e2e-3-acknowledged")

    # 4. An action linked to trust, from the case page; the form returns to the case.
    page.get_by_role("link", name="Add an action to this case").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text(f"the case opened in {declined.code}").is_visible()
    page.get_by_label("What will be done").fill("Rebuild trust with their new COO")
    page.get_by_label("Owner").select_option(label="Ana Alvarez")
    page.get_by_label("Due date").fill(f"{timezone.localdate() + dt.timedelta(days=30):%Y-%m-%d}")
    page.get_by_text("Link to rubric items").click()
    page.get_by_label(TRUST).check()
    violations["action form"] = axe_violations(page)
    screenshot(page, "case-e2e-4-action-form")
    page.get_by_role("button", name="Add the action").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/cases/{case.pk}/#action-plan")
    assert page.get_by_text("Action added: Rebuild trust with their new COO").is_visible()
    assert ActionItem.objects.get().case_id == case.pk
    worked = page.locator("#did-it-work")
    assert worked.get_by_text(
        f"{TRUST}: 2.0 when the plan started; no check-up since. Before the decline: 4.0."
    ).is_visible()
    violations["plan"] = axe_violations(page)
    screenshot(page, "case-e2e-4-action-plan")
    worked.screenshot(path=str(SCREENSHOTS / "case-e2e-4-did-it-work.png"))

    # 5. The next check-ups raise trust: the late one through the service, this quarter's in the browser.
    # (Every rating but trust moves 2 points up from the quarter before: each says why.)
    checkup_submit(
        user=ana,
        checkup_id=late.pk,
        data=CheckupInput(
            answers=answers_for(items, characteristics__trust=3),
            comments=dict.fromkeys(items, "Their new COO turned the account round"),
        ),
    )
    tasks.evaluate_checkup(late.pk)
    assert Case.objects.get(pk=case.pk).state == "acknowledged", "one quiet quarter is not yet a recovery"
    page.get_by_role("link", name="My check-ups").first.click()
    page.get_by_role("link", name="Start the check-up of Oakline Logistics").click()
    page.wait_for_load_state("networkidle")
    for item in items.values():
        choose(page, item.title, "0 · None" if item.rubric.scale == "intensity" else "4 · Good")
    # Off the last answer, and past its colour transition, so axe reads the colours a person sees.
    page.mouse.move(0, 0)
    page.wait_for_timeout(400)
    violations["check-up"] = axe_violations(page)
    screenshot(page, "case-e2e-5-checkup")
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Check-up submitted.").is_visible()
    submitted = partner.checkups.get(period__code=now.code)

    # 6. The evaluation the submission queued, run as the worker runs it: the case resolves by itself.
    tasks.evaluate_checkup(submitted.pk)
    assert Case.objects.get(pk=case.pk).state == "resolved"
    page.goto(f"/cases/{case.pk}/")
    assert page.get_by_text("Recovered, by itself on").is_visible()
    recovered = f"Linked items that recovered: {TRUST}, 2.0 when the plan started → 4.0 in {now.code}"
    assert page.locator("#resolution-note").get_by_text(recovered).is_visible()
    assert worked.get_by_text(
        f"{TRUST}: 2.0 when the plan started → 3.0 in {late_quarter.code} → 4.0 in {now.code}. Before the decline: 4.0."
    ).is_visible()
    assert worked.locator(".badge", has_text="recovered").is_visible()
    violations["resolved"] = axe_violations(page)
    screenshot(page, "case-e2e-6-resolved")
    worked.screenshot(path=str(SCREENSHOTS / "case-e2e-6-did-it-work.png"))

    # 7. The outbox sends the resolution e-mail to the real SMTP server.
    tasks.send_outbox()
    wait_for(lambda: any(m["Subject"] == SUBJECT for m in smtp.received()), timeout=20, what="the resolution e-mail")
    (email,) = [m for m in smtp.received() if m["Subject"] == SUBJECT]
    assert email["To"] == "ana@example.com"
    body = text_of(email)
    assert "The case for Oakline Logistics is resolved: recovered, by itself" in body
    assert recovered in body
    page.set_content(email.get_body(preferencelist=("html",)).get_content())
    page.screenshot(path=str(SCREENSHOTS / "case-e2e-7-email.png"), full_page=True)

    assert violations == {step: [] for step in violations}
