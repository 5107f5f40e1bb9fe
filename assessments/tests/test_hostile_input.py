"""Hostile input: script in names and free text, header injection, formulas, tampering, CSRF."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from assessments.models import Answer, Case, Checkup, Interaction
from assessments.periods import Quarter
from assessments.services.alerts import partner_evaluate
from assessments.services.outbox import outbox_send_due
from assessments.tests.alerting import CRASH, SLIP, STEADY, history
from assessments.tests.factories import PartnerFactory, PeriodFactory, UserFactory
from assessments.tests.test_access_matrix import MATRIX, concrete_path, url_patterns

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('pwned')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;"


@pytest.fixture
def hostile(items):
    manager = UserFactory(username="ana", role="account_manager")
    leader = UserFactory(username="lena", role="leadership")
    partner = PartnerFactory(name=f"Evil {SCRIPT}\r\nBcc: victim@example.com", owners=[manager])
    history(items=items, partner=partner, raters=[manager], levels=[STEADY] * 6 + [SLIP, CRASH],
            last=Quarter(2026, 3))
    last = Checkup.objects.filter(partner=partner, period__code="2026-Q3").get()
    Checkup.objects.filter(pk=last.pk).update(notes=f"Notes {SCRIPT}")
    Answer.objects.filter(checkup=last).update(comment=f"Comment {SCRIPT}")
    Interaction.objects.create(partner=partner, occurred_on="2026-09-01", kind="call", summary=f"Call {SCRIPT}")
    return manager, leader, partner, last


def pages_for(manager, leader, partner, checkup):
    as_manager, as_leader = Client(), Client()
    as_manager.force_login(manager)
    as_leader.force_login(leader)
    return {
        "partner list": as_manager.get("/partners/"),
        "partner page": as_manager.get(f"/partners/{partner.pk}/"),
        "partner page (leadership)": as_leader.get(f"/partners/{partner.pk}/"),
        "check-up result": as_manager.get(f"/checkups/{checkup.pk}/result/"),
        "dashboard": as_leader.get("/dashboard/?period=2026-Q3"),
        "cases": as_leader.get("/cases/"),
        "case page": as_leader.get(f"/cases/{Case.objects.get(partner=partner).pk}/"),
    }


def test_script_in_names_comments_and_notes_is_escaped_on_every_page(hostile):
    manager, leader, partner, checkup = hostile
    partner_evaluate(partner_id=partner.pk)
    for name, response in pages_for(manager, leader, partner, checkup).items():
        html = response.content.decode()
        assert response.status_code == 200, name
        assert SCRIPT not in html, f"raw script on the {name}"
        assert "Evil &lt;script&gt;" in html, f"the partner's name is missing from the {name}"


def test_script_and_newlines_in_a_name_never_reach_an_email_unescaped_or_its_headers(hostile):
    _, _, partner, _ = hostile
    partner_evaluate(partner_id=partner.pk)
    outbox_send_due()

    assert mail.outbox, "the critical decline should have e-mailed the owner"
    for message in mail.outbox:
        assert "\n" not in message.subject and "\r" not in message.subject
        assert "Bcc" not in str(message.message().get("Bcc", ""))
        assert message.bcc == []
        html = message.alternatives[0][0]
        assert SCRIPT not in html and "Evil &lt;script&gt;" in html
        assert "victim@example.com" not in message.recipients()


def test_a_formula_in_an_exported_cell_is_neutralised(items):
    leader = UserFactory(username="lena", role="leadership")
    manager = UserFactory(username="ana", role="account_manager")
    partner = PartnerFactory(name="=HYPERLINK(\"http://evil.example\",\"click\")", owners=[manager])
    history(items=items, partner=partner, raters=[manager], levels=[STEADY], last=Quarter(2026, 3))
    client = Client()
    client.force_login(leader)
    response = client.get("/dashboard/export.csv?period=2026-Q3")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    body = content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body
    assert "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body


OBJECT_URLS = sorted({name for (name, side) in MATRIX if side is not None})


@pytest.mark.parametrize("name", OBJECT_URLS)
@pytest.mark.parametrize("bad_id", ["999999", "0"])
def test_tampering_with_an_object_id_is_a_404_that_reveals_nothing(name, bad_id):
    manager = UserFactory(username="ana", role="account_manager")
    PartnerFactory(name="Someone Else's Partner")
    client = Client()
    client.force_login(manager)
    template = dict(url_patterns())[name]
    path = "/" + template[: template.index("<int:")] + bad_id + template[template.index(">") + 1 :]
    method = MATRIX[(name, "a")][0]
    response = getattr(client, method.lower())(path)
    assert response.status_code == 404
    assert "Someone Else" not in response.content.decode()


def test_non_numeric_or_path_traversal_ids_do_not_resolve():
    manager = UserFactory(username="ana", role="account_manager")
    client = Client()
    client.force_login(manager)
    for path in ["/partners/abc/", "/partners/1%2F..%2F2/", "/partners/../admin/", "/checkups/-1/", "/alerts/1.5/"]:
        assert client.get(path).status_code == 404, path


def test_every_post_endpoint_refuses_a_request_without_a_csrf_token(items):
    manager = UserFactory(username="ana", role="account_manager")
    partner = PartnerFactory(owners=[manager])
    PeriodFactory.of("2026-Q4")
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    posts = sorted({(name, "a") for (name, side), (method, _) in MATRIX.items() if method == "POST" and side})
    patterns = dict(url_patterns())
    for name, _ in posts:
        path = concrete_path(name, patterns[name], {"partner": partner, "checkup": partner, "action_item": partner,
                                                     "alert": partner, "case": partner})
        response = client.post(path, {"description": "x"})
        assert response.status_code == 403, f"{name} accepted a POST without a CSRF token"
    assert client.post("/cases/bulk/", {"case": ["1"], "action": "acknowledge"}).status_code == 403
    assert client.post("/accounts/logout/").status_code == 403
