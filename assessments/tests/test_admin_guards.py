"""Scored history cannot be rewritten from the admin (issue 12, finding 3), and the admin speaks the
app's language: owners are account managers, constraints say what is wrong, plurals are right."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models.deletion import ProtectedError
from django.urls import reverse

from assessments.models import (
    Alert,
    Answer,
    Checkup,
    CheckupRevision,
    Interaction,
    Partner,
    PartnerSnapshot,
    RubricItem,
)
from assessments.roles import Role
from assessments.services.checkups import CheckupInput, checkup_submit
from assessments.services.partners import PartnerOwnerInvalid, partner_owners_add
from assessments.tests.factories import (
    CheckupFactory,
    InteractionFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
)
from assessments.tests.test_audit_trail import partner_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role=Role.ACCOUNT_MANAGER)


@pytest.fixture
def admin_client(client):
    """The admin role, not a superuser: what the role may do is what is tested."""
    client.force_login(UserFactory(username="ada", is_staff=True, role=Role.ADMIN))
    return client


@pytest.fixture
def submitted(ana, items):
    partner = PartnerFactory(name="Globex", owners=[ana])
    checkup = CheckupFactory(partner=partner, rater=ana, period=PeriodFactory.of("2026-Q3"))
    checkup_submit(user=ana, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items)))
    checkup.refresh_from_db()
    return checkup


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def checkup_form(checkup, **changes) -> dict:
    data = {
        "partner": checkup.partner_id, "period": checkup.period_id, "rater": checkup.rater_id,
        "notes": "rewritten", "answers-TOTAL_FORMS": "0", "answers-INITIAL_FORMS": "0",
        "answers-MIN_NUM_FORMS": "0", "answers-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_a_submitted_check_up_is_read_only_in_the_admin(admin_client, submitted):
    url = reverse("admin:assessments_checkup_change", args=[submitted.pk])
    page = text(admin_client.get(url))
    assert "This check-up was submitted, so it is read-only here" in page
    assert 'name="_save"' not in page

    assert admin_client.post(url, checkup_form(submitted, status="draft")).status_code == 403
    delete = admin_client.post(reverse("admin:assessments_checkup_delete", args=[submitted.pk]), {"post": "yes"})
    assert delete.status_code == 403
    answer = submitted.answers.first()
    assert admin_client.post(
        reverse("admin:assessments_answer_change", args=[answer.pk]),
        {"checkup": submitted.pk, "item": answer.item_id, "scale": answer.scale, "value": 1},
    ).status_code == 403

    submitted.refresh_from_db()
    assert (submitted.status, submitted.notes, submitted.revision) == ("submitted", "", 0)
    answer.refresh_from_db()
    assert answer.value == 4
    assert not CheckupRevision.objects.exists()


def test_a_draft_stays_editable_but_its_status_and_rubric_version_are_not_set_by_hand(admin_client, ana):
    draft = CheckupFactory(partner=PartnerFactory(owners=[ana]), rater=ana, period=PeriodFactory.of("2026-Q3"))
    url = reverse("admin:assessments_checkup_change", args=[draft.pk])

    response = admin_client.post(url, checkup_form(draft, status="submitted", revision="7"))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.revision, draft.notes) == ("draft", 0, "rewritten")
    assert not PartnerSnapshot.objects.exists()


def test_snapshots_and_revisions_are_not_edited_in_the_admin(admin_client, submitted):
    snapshot = PartnerSnapshot.objects.get(partner=submitted.partner)
    url = reverse("admin:assessments_partnersnapshot_change", args=[snapshot.pk])
    assert 'name="_save"' not in admin_client.get(url).content.decode()
    assert admin_client.post(reverse("admin:assessments_partnersnapshot_delete", args=[snapshot.pk]),
                             {"post": "yes"}).status_code == 403


def test_a_partner_with_history_cannot_be_deleted_only_archived(admin_client, submitted):
    partner = submitted.partner
    InteractionFactory(partner=partner)
    Alert.objects.create(partner=partner, period=submitted.period, rule="health_decline", severity="warning",
                         explanation="Fell.")

    response = admin_client.post(
        reverse("admin:assessments_partner_delete", args=[partner.pk]), {"post": "yes"}, follow=True
    )

    page = text(response)
    assert ("Globex has history (1 check-up, 1 partner snapshot, 1 alert, 1 interaction), so it cannot be "
            "deleted. Archive it instead: untick “Active” and save.") in page
    assert Partner.objects.filter(pk=partner.pk).exists()
    assert (Checkup.objects.count(), Answer.objects.count(), Interaction.objects.count()) == (1, 18, 1)
    changelist = admin_client.get(reverse("admin:assessments_partner_changelist")).content.decode()
    assert 'value="delete_selected"' not in changelist

    admin_client.post(reverse("admin:assessments_partner_changelist"),
                      {"action": "archive", "_selected_action": [partner.pk]})
    partner.refresh_from_db()
    assert not partner.is_active
    assert partner.history.latest().is_active is False


def test_the_model_itself_refuses_to_delete_a_partner_with_history(submitted):
    with pytest.raises(ProtectedError):
        submitted.partner.delete()
    assert Checkup.objects.filter(pk=submitted.pk).exists()


def test_a_partner_without_history_can_still_be_deleted(admin_client):
    partner = PartnerFactory(name="Typo Ltd")
    response = admin_client.post(reverse("admin:assessments_partner_delete", args=[partner.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Partner.objects.filter(pk=partner.pk).exists()


def test_only_account_managers_can_own_a_partner(admin_client, ana):
    lena = UserFactory(username="lena", first_name="Lena", last_name="Ortiz", role=Role.LEADERSHIP)
    partner = PartnerFactory(name="Initech", owners=[ana])
    url = reverse("admin:assessments_partner_change", args=[partner.pk])

    page = admin_client.get(url).content.decode()
    assert "Ana Alvarez (ana)" in page and "Lena Ortiz (lena)" not in page
    response = admin_client.post(url, partner_form(partner, owners=[ana.pk, lena.pk]))

    assert response.status_code == 200
    assert list(partner.owners.all()) == [ana]
    with pytest.raises(PartnerOwnerInvalid, match=r"Only account managers can own a partner: Lena Ortiz is not one\."):
        partner_owners_add(partner=partner, owners=[lena])
    assert list(partner.owners.all()) == [ana]


def test_a_current_owner_who_is_no_longer_an_account_manager_must_be_replaced(admin_client, ana):
    former = UserFactory(username="former", first_name="Fred", last_name="Former")
    partner = PartnerFactory(name="Hooli", owners=[ana, former])

    response = admin_client.post(
        reverse("admin:assessments_partner_change", args=[partner.pk]), partner_form(partner)
    )

    assert "Only account managers can own a partner: Fred Former is not one." in text(response)


def test_a_violated_constraint_reads_as_a_sentence_not_its_name(admin_client):
    partner = PartnerFactory(name="Acme")
    response = admin_client.post(
        reverse("admin:assessments_partner_change", args=[partner.pk]), partner_form(partner, annual_revenue="-5")
    )
    page = text(response)
    assert "Revenue cannot be negative." in page
    assert "partner_revenue_not_negative" not in page
    item = RubricItem.objects.filter(rubric__version__is_current=True).first()
    item.weight = 0
    with pytest.raises(ValidationError, match=r"The weight must be more than zero\."):
        item.full_clean()


def test_every_model_names_its_plural_and_every_constraint_explains_itself():
    for config in (apps.get_app_config("assessments"), apps.get_app_config("accounts")):
        for model in config.get_models():
            if model.__name__.startswith("Historical"):
                continue
            assert "verbose_name_plural" in model._meta.original_attrs, model
            assert not str(model._meta.verbose_name_plural).endswith("ys"), model
            for constraint in model._meta.constraints:
                assert constraint.violation_error_message != constraint.default_violation_error_message, constraint


def test_the_admin_shows_the_apps_name_icon_and_plurals(admin_client):
    page = text(admin_client.get(reverse("admin:index")))
    assert "Partner Health administration" in page
    assert "<title>Partners, check-ups, rubrics and people | Partner Health admin</title>" in page
    assert 'rel="icon" href="/static/img/favicon.svg"' in page
    assert "Alert deliveries" in page and "Check-ups" in page
    assert "deliverys" not in page.lower()


def test_the_rubric_items_weight_comes_before_the_long_texts(client, rubric_version):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    rubric = rubric_version.rubrics.get(key="characteristics")
    page = client.get(reverse("admin:assessments_rubric_change", args=[rubric.pk])).content.decode()
    headers = re.findall(r'<th class="column-(\w+)', page)
    assert headers.index("weight") < headers.index("question") < headers.index("guidance_low")
    assert headers.index("weight") <= 3
    assert "/static/css/admin.css" in page
    changelist = client.get(reverse("admin:assessments_rubricitem_changelist")).content.decode()
    columns = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', changelist)
    assert columns[:2] == ["title", "weight"]
