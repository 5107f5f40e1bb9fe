"""Leadership connects a webhook in the browser, copies the secret shown once, and reads the log."""

import pytest

from assessments.tests.browser.conftest import axe_violations, login, screenshot
from assessments.tests.factories import UserFactory
from integrations.delivery import deliveries_send_due
from integrations.events import Event
from integrations.models import Endpoint
from integrations.payloads import Facts
from integrations.receivers import deliveries_record
from integrations.tests.receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leadership_registers_a_webhook_sees_the_secret_once_and_reads_the_delivery_log(page, settings, live_server):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    receiver = Receiver(status=503).start()
    try:
        UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")
        login(page, "lena", "correct horse battery staple")
        page.get_by_role("link", name="Integrations").click()
        assert axe_violations(page) == []
        page.get_by_label("Name").fill("Our CRM")
        page.get_by_label("Address (URL)").fill(receiver.url)
        page.get_by_label("A case is opened (or reopened)").check()
        page.get_by_label("A check-up is submitted or amended").check()
        page.get_by_role("button", name="Register").click()
        page.wait_for_load_state("networkidle")
        endpoint = Endpoint.objects.get()
        receiver.secret = endpoint.secret
        assert page.get_by_text("The signing secret, shown this once.").is_visible()
        assert page.get_by_text(endpoint.secret).is_visible()
        assert axe_violations(page) == []
        screenshot(page, "integrations-secret-once")

        facts = Facts(
            event=Event.CASE_OPENED,
            title="Case opened: Cedar Logistics",
            summary="Cedar Logistics is declining: a warning case opened in 2026-Q3. Findings: "
            "Overall health declining.",
            url=f"{live_server.url}/cases/1/",
            data={},
        )
        deliveries_record(facts)
        deliveries_send_due()  # 503
        receiver.status = 200
        Endpoint.objects.filter(pk=endpoint.pk).update()
        import datetime as dt

        from django.utils import timezone

        deliveries_send_due(now=timezone.now() + dt.timedelta(minutes=5))
        assert sum(receiver.ids.values()) == 1

        page.reload()
        assert not page.get_by_text(endpoint.secret).count()
        assert page.locator("text=HTTP 503 >> visible=true").count() == 1
        assert page.locator("text=HTTP 200 >> visible=true").count() == 1
        assert axe_violations(page) == []
        screenshot(page, "integrations-log")
        page.set_viewport_size({"width": 390, "height": 844})
        # On a phone the attempts column folds under the event, and nothing scrolls sideways.
        assert page.locator("text=HTTP 503 >> visible=true").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "integrations-log-phone")
        page.set_viewport_size({"width": 1366, "height": 900})
        page.get_by_role("link", name="Integrations").first.click()
        assert page.get_by_role("link", name="Our CRM").is_visible()
        assert axe_violations(page) == []
        screenshot(page, "integrations-list")
    finally:
        receiver.stop()
