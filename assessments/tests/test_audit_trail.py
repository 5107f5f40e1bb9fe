"""The audit trail: who changed what about a partner, when, from what to what, in plain words, on a
page that leadership and admins open from the partner page (issue 12, finding 3)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Answer, Checkup, Partner, RubricItem
from assessments.roles import Role
from assessments.selectors.history import partner_history
from assessments.services.checkups import CheckupInput, checkup_amend, checkup_save_draft, checkup_submit
from assessments.services.rubrics import rubric_version_publish
from assessments.tests.factories import (
    CheckupFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
    submitted_checkup,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role=Role.ACCOUNT_MANAGER)


@pytest.fixture
def ben():
    return UserFactory(username="ben", first_name="Ben", last_name="Brook", role=Role.ACCOUNT_MANAGER)


@pytest.fixture
def lena_client(client):
    client.force_login(UserFactory(username="lena", first_name="Lena", last_name="Ortiz", role=Role.LEADERSHIP))
    return client


@pytest.fixture
def ada():
    return UserFactory(username="ada", first_name="Ada", last_name="Admin", is_staff=True, role=Role.ADMIN)


def history_page(client, partner) -> str:
    response = client.get(reverse("partner_history", args=[partner.pk]))
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def partner_form(partner, **changes) -> dict:
    data = {
        "name": partner.name, "kind": partner.kind, "segment": partner.segment,
        "owners": [o.pk for o in partner.owners.all()], "executive_sponsor": "",
        "annual_revenue": str(partner.annual_revenue), "payment_terms_days": partner.payment_terms_days,
        "cadence": partner.cadence, "is_active": "on" if partner.is_active else "",
        "engagements-TOTAL_FORMS": "0", "engagements-INITIAL_FORMS": "0",
        "engagements-MIN_NUM_FORMS": "0", "engagements-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_a_partner_edited_in_the_admin_shows_who_changed_what_from_what_to_what(client, lena_client, ada, ana, ben):
    partner = PartnerFactory(name="Globex", owners=[ana], annual_revenue=100_000)
    client.force_login(ada)

    response = client.post(
        reverse("admin:assessments_partner_change", args=[partner.pk]),
        partner_form(partner, annual_revenue="120000", segment="strategic", owners=[ana.pk, ben.pk]),
    )
    assert response.status_code == 302

    page = history_page(lena_client, partner)
    assert "Ada Admin" in page
    assert "Changed the partner" in page
    assert "<strong>Annual joint revenue:</strong> 100,000.00 → 120,000.00" in page
    assert "<strong>Segment:</strong> Regular → Strategic (trusted)" in page
    assert "<strong>Owners:</strong> Ana Alvarez → Ana Alvarez, Ben Brook" in page
    assert "strategic →" not in page and "regular" not in page.lower().replace("regular →", "")


def test_amending_a_submitted_check_up_records_each_answer_from_what_to_what(lena_client, ana, items):
    partner = PartnerFactory(name="Initech", owners=[ana])
    checkup = CheckupFactory(partner=partner, rater=ana, period=PeriodFactory.of("2026-Q3"))
    checkup_submit(user=ana, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items)))

    checkup_amend(
        user=ana, checkup_id=checkup.pk,
        data=CheckupInput(answers=answers_for(items, characteristics__trust=2),
                          comments={"characteristics.trust": "They went around us"}),
    )

    page = history_page(lena_client, partner)
    assert "Changed answers in the 2026-Q3 check-up by Ana Alvarez" in page
    assert "Amended (revision 1)" in page
    assert "<strong>Trust between the organisations:</strong> 4 · Good → 2 · Weak" in page
    assert "<strong>Trust between the organisations (comment):</strong> — → They went around us" in page
    assert "<strong>Revision:</strong> 0 → 1" in page
    assert "Answered the 2026-Q3 check-up by Ana Alvarez" in page
    assert "<strong>Status:</strong> Draft → Submitted" in page
    # Only the changed answer is written and recorded, by the rater.
    amended = Answer.history.filter(history_change_reason="Amended (revision 1)")
    assert [(r.item.key, r.value, r.history_user.username) for r in amended] == [("trust", 2, "ana")]
    assert "characteristics.trust" not in page, "item titles, never keys"


def test_an_imported_check_up_amended_shows_the_answers_it_had_before(lena_client, ana, items):
    partner = PartnerFactory(name="Umbrella", owners=[ana])
    checkup = submitted_checkup(items=items, answers=answers_for(items), partner=partner, rater=ana,
                                   period=PeriodFactory.of("2026-Q2"))
    assert not Answer.history.filter(checkup_id=checkup.pk).exists(), "bulk imports write no history"

    checkup_amend(user=ana, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items, traits__honesty=1)))

    page = history_page(lena_client, partner)
    honesty = items["traits.honesty"].title
    assert f"<strong>{honesty}:</strong> 4 · Good → 1 · Poor" in page
    assert "<strong>Revision:</strong> 0 → 1" in page


def test_saving_a_draft_twice_with_the_same_answers_records_nothing_new(ana, items):
    partner = PartnerFactory(owners=[ana])
    checkup = CheckupFactory(partner=partner, rater=ana, period=PeriodFactory.of("2026-Q3"))
    data = CheckupInput(answers={"characteristics.trust": 3})
    checkup_save_draft(user=ana, checkup_id=checkup.pk, data=data)
    recorded = Answer.history.count()

    checkup_save_draft(user=ana, checkup_id=checkup.pk, data=data)

    assert Answer.history.count() == recorded == 1
    entries = partner_history(partner_id=partner.pk)["entries"]
    assert [e.action for e in entries].count("answered") == 1


def test_the_history_page_is_linked_from_the_partner_page_for_leadership_only(client, lena_client, ana):
    partner = PartnerFactory(owners=[ana])
    url = reverse("partner_history", args=[partner.pk])

    assert f'href="{url}"' in lena_client.get(reverse("partner_detail", args=[partner.pk])).content.decode()
    client.force_login(ana)
    assert f'href="{url}"' not in client.get(reverse("partner_detail", args=[partner.pk])).content.decode()
    assert client.get(url).status_code == 403


def test_the_history_page_costs_the_same_queries_however_long_the_history(lena_client, ana, ben, items):
    def build(name, amendments):
        partner = PartnerFactory(name=name, owners=[ana])
        checkup = CheckupFactory(partner=partner, rater=ana, period=PeriodFactory.of("2026-Q3"))
        checkup_submit(user=ana, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items)))
        for n in range(amendments):
            checkup_amend(user=ana, checkup_id=checkup.pk,
                             data=CheckupInput(answers=answers_for(items, characteristics__trust=1 + n % 5)))
        partner.owners.add(ben)
        partner.annual_revenue = 5_000 * (amendments + 1)
        partner.save()
        return partner

    short, long = build("Short", 1), build("Long", 6)
    counts = []
    for partner in (short, long):
        history_page(lena_client, partner)  # the first request stamps the session
        with CaptureQueriesContext(connection) as captured:
            history_page(lena_client, partner)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 16


def test_rubric_versions_rubrics_items_and_users_are_audited_without_password_hashes(client, ada, rubric_version):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    draft = rubric_version_publish(based_on=rubric_version)
    item = RubricItem.objects.filter(rubric__version=draft).first()
    item.weight = 2
    item.save()
    assert item.history.latest().weight == 2

    ada.set_password("A-new-password-2026")
    ada.first_name = "Adah"
    ada.save()
    user_history = get_user_model().history.model
    assert "password" not in {f.name for f in user_history._meta.fields}
    assert ada.history.latest().first_name == "Adah"
    page = client.get(reverse("admin:auth_user_history", args=[ada.pk])).content.decode()
    assert "Adah" in page


def test_every_audited_kind_keeps_a_history(ana, items):
    partner = PartnerFactory(owners=[ana])
    checkup = CheckupFactory(partner=partner, rater=ana, period=PeriodFactory.of("2026-Q3"))
    checkup_submit(user=ana, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items)))

    assert Partner.history.filter(id=partner.pk).exists()
    assert Checkup.history.filter(id=checkup.pk, history_user=ana).exists()
    assert Answer.history.filter(checkup_id=checkup.pk).count() == len(items)


def test_any_audited_model_with_a_partner_key_joins_the_partner_history(monkeypatch, ana):
    """The hook a new model (risk cases) relies on: declaring ``history = audit_trail()`` is enough."""
    from assessments.selectors import history

    partner = PartnerFactory(owners=[ana])
    checkup = CheckupFactory(partner=partner, rater=ana, period=PeriodFactory.of("2026-Q3"))
    checkup.notes = "Looked again"
    checkup.save()
    # Stand in for a new audited model with a partner key: check-ups are one.
    monkeypatch.setattr(history, "_partner_scoped_models", lambda: [Checkup])

    entries = history.partner_history(partner_id=partner.pk)["entries"]

    generic = [e for e in entries if e.subject == f"the check-up #{checkup.pk}"]
    assert [(e.action, [(c.field, c.before, c.after) for c in e.changes]) for e in generic] == [
        ("changed", [("Notes", "—", "Looked again")]),
        ("created", []),
    ]


def test_acknowledging_a_risk_case_shows_on_its_partners_history(lena_client, ana):
    from assessments.models import Case
    from assessments.services.case_triage import case_acknowledge

    partner = PartnerFactory(name="Oakline Logistics", owners=[ana])
    q3 = PeriodFactory.of("2026-Q3")
    case = Case.objects.create(
        partner=partner, severity="warning", opened_period=q3, episode_period=q3, last_finding_period=q3
    )
    case_acknowledge(case_id=case.pk, user=ana, note="Calling their CFO")

    assert list(Case.history.filter(id=case.pk).values_list("state", flat=True).order_by("history_id")) == [
        "open",
        "acknowledged",
    ]
    page = history_page(lena_client, partner)
    assert "Calling their CFO" in page
