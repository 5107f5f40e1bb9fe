"""Writing through the API: the same services and the same validation as the pages, refusals as JSON."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from assessments.models import CaseDelivery, Checkup, Engagement, Interaction, Partner, PartnerSnapshot
from assessments.tests.factories import CaseFactory, PartnerFactory, PeriodFactory, answers_for, checkup_form_data

pytestmark = pytest.mark.django_db

ITEMS_MISSING = "Choose an answer: every item is needed to submit."


def send(client, method: str, path: str, body) -> tuple[int, dict]:
    response = client.generic(method, path, json.dumps(body), content_type="application/json")
    return response.status_code, (response.json() if response.content else {})


@pytest.fixture
def acme(manager):
    return PartnerFactory(name="Acme", owners=[manager])


# --- check-ups ------------------------------------------------------------------------------


def test_submitting_a_complete_checkup_scores_this_quarter(ana_api, acme, items):
    rubric = ana_api.get("/api/rubric/").json()
    assert [item["address"] for item in rubric["items"]] == list(items)
    answers = {item["address"]: item["high"] if item["scale"] == "rating" else item["low"] for item in rubric["items"]}
    status, body = send(ana_api, "POST", "/api/checkups/", {"partner": acme.pk, "answers": answers})
    assert status == 201, body
    assert (body["status"], body["period"], body["partner"]) == ("submitted", "2026-Q4", acme.pk)
    assert set(body["answers"]) == set(items)
    snapshot = PartnerSnapshot.objects.get(partner=acme, period__code="2026-Q4")
    assert snapshot.rater_count == 1


def test_null_is_not_applicable_it_is_stored_read_back_as_null_and_the_coverage_says_so(ana_api, acme, items):
    answers = answers_for(items, rating=4, characteristics__leadership_access=None)
    status, body = send(ana_api, "POST", "/api/checkups/", {"partner": acme.pk, "answers": answers})
    assert status == 201, body
    assert body["answers"]["characteristics.leadership_access"] == {"value": None, "comment": ""}
    (listed,) = ana_api.get("/api/checkups/").json()["results"]
    assert listed["answers"]["characteristics.leadership_access"]["value"] is None
    (snapshot,) = ana_api.get("/api/snapshots/?period=2026-Q4").json()["results"]
    # 17 of 18 items, equal weights: 94.4% answered; characteristics on 5 of its 6 items.
    assert (snapshot["health"], snapshot["coverage"]) == (75.0, round(17 / 18, 4))
    assert snapshot["rubric_coverage"]["characteristics"] == round(5 / 6, 4)


def test_a_missing_item_is_refused_with_the_forms_own_messages_and_nothing_is_submitted(ana_api, manager, acme, items):
    answers = answers_for(items)
    missing = next(iter(items))
    del answers[missing]
    status, body = send(ana_api, "POST", "/api/checkups/", {"partner": acme.pk, "answers": answers})
    assert status == 400
    summary = (
        f"1 of {len(items)} items still need an answer before you can submit. "
        "Nothing was lost: choose the missing answers, or save a draft."
    )
    assert body == {"errors": {"non_field_errors": [summary], f"answers.{missing}": [ITEMS_MISSING]}}
    assert Checkup.objects.get(partner=acme).status == "draft"
    # The page says the very same words for the same answers.
    page = Client()
    page.force_login(manager)
    checkup = Checkup.objects.get(partner=acme)
    html = page.post(f"/checkups/{checkup.pk}/", checkup_form_data(answers, action="submit")).content.decode()
    assert summary in html and ITEMS_MISSING in html


def test_an_answer_outside_its_scale_and_a_foreign_item_are_refused_as_the_form_refuses_them(ana_api, acme, items):
    first = next(iter(items))
    answers = {**answers_for(items), first: 9, "bogus.item": 3}
    status, body = send(ana_api, "POST", "/api/checkups/", {"partner": acme.pk, "answers": answers})
    assert status == 400
    assert body["errors"][f"answers.{first}"] == [f"Choose one of the answers for {items[first].title.lower()}."]
    assert body["errors"]["non_field_errors"][0] == (
        "This form contains answers to items that are not part of this check-up's rubric: bogus.item."
    )


def test_an_answer_sent_as_a_string_is_refused_by_the_schema(ana_api, acme, items):
    first = next(iter(items))
    status, body = send(
        ana_api, "POST", "/api/checkups/", {"partner": acme.pk, "answers": {**answers_for(items), first: "4"}}
    )
    assert status == 400
    assert body == {"errors": {f"answers.{first}": ["A valid integer is required."]}}


def test_an_action_item_due_before_the_quarter_is_refused_on_its_own_field(ana_api, manager, acme, items):
    action = {"description": "Joint QBR", "owner": manager.pk, "due_on": "2026-09-01"}
    status, body = send(
        ana_api, "POST", "/api/checkups/", {"partner": acme.pk, "answers": answers_for(items), "action_items": [action]}
    )
    assert status == 400
    assert body == {"errors": {"action_items.0.due_on": ["Pick a date on or after 01 Oct 2026."]}}


def test_a_draft_keeps_partial_answers_and_a_second_submission_is_a_conflict(ana_api, acme, items):
    first = next(iter(items))
    status, body = send(ana_api, "POST", "/api/checkups/", {"partner": acme.pk, "answers": {first: 2}, "draft": True})
    assert (status, body["status"], body["answers"][first]["value"]) == (200, "draft", 2)
    assert send(ana_api, "POST", "/api/checkups/", {"partner": acme.pk, "answers": answers_for(items)})[0] == 201
    status, body = send(ana_api, "POST", "/api/checkups/", {"partner": acme.pk, "answers": answers_for(items)})
    assert status == 409
    assert body == {"detail": "This check-up has already been submitted; amend it in the app to change an answer."}


def test_another_managers_partner_is_404_and_gets_no_checkup(ana_api, other_manager, items):
    theirs = PartnerFactory(owners=[other_manager])
    status, body = send(ana_api, "POST", "/api/checkups/", {"partner": theirs.pk, "answers": answers_for(items)})
    assert (status, body) == (404, {"detail": "No such partner among those you own."})
    assert not Checkup.objects.exists()


# --- interactions ---------------------------------------------------------------------------


def test_logging_an_interaction_records_who_and_when(ana_api, manager, acme):
    status, body = send(
        ana_api,
        "POST",
        "/api/interactions/",
        {"partner": acme.pk, "occurred_on": "2026-11-18", "kind": "qbr", "face_to_face": True, "summary": " QBR "},
    )
    assert status == 201
    interaction = Interaction.objects.get()
    assert (interaction.kind, interaction.face_to_face, interaction.summary, interaction.created_by) == (
        "qbr",
        True,
        "QBR",
        manager,
    )
    assert body["occurred_on"] == "2026-11-18"


def test_an_interaction_in_the_future_is_refused_with_the_forms_message(ana_api, acme):
    status, body = send(
        ana_api, "POST", "/api/interactions/", {"partner": acme.pk, "occurred_on": "2026-12-01", "kind": "call"}
    )
    assert (status, body) == (
        400,
        {"errors": {"occurred_on": ["Log an interaction once it has happened: this date is in the future."]}},
    )
    assert not Interaction.objects.exists()


# --- CRM sync -------------------------------------------------------------------------------


def test_putting_an_engagement_twice_by_its_external_id_writes_it_once(ana_api, acme):
    url = "/api/engagements/by-external-id/crm-42/"
    first = {"partner": acme.pk, "client": "Globex", "title": "Desk", "status": "proposed", "value": "1000.00"}
    assert send(ana_api, "PUT", url, first)[0] == 201
    status, body = send(ana_api, "PUT", url, {**first, "status": "won", "value": "1500.50"})
    assert status == 200
    assert (body["external_id"], body["status"], body["value"]) == ("crm-42", "won", "1500.50")
    assert Engagement.objects.count() == 1
    assert send(ana_api, "GET", url, None)[1]["status"] == "won"


def test_an_engagement_that_ends_before_it_starts_or_is_worth_less_than_nothing_is_refused(ana_api, acme):
    url = "/api/engagements/by-external-id/crm-1/"
    base = {"partner": acme.pk, "client": "Globex", "title": "Desk"}
    status, body = send(ana_api, "PUT", url, {**base, "started_on": "2026-10-01", "ended_on": "2026-09-01"})
    assert (status, body) == (400, {"errors": {"non_field_errors": ["An engagement cannot end before it starts."]}})
    status, body = send(ana_api, "PUT", url, {**base, "value": "-1.00"})
    assert (status, body) == (400, {"errors": {"value": ["Ensure this value is greater than or equal to 0."]}})
    status, body = send(ana_api, "PUT", url, {**base, "value": 10})
    assert status == 400 and "value" in body["errors"]  # amounts are strings, as the schema says
    assert not Engagement.objects.exists()


def test_another_managers_engagement_cannot_be_overwritten_through_its_external_id(ana_api, acme, other_manager):
    theirs = PartnerFactory(owners=[other_manager])
    Engagement.objects.create(partner=theirs, client="X", title="Theirs", external_id="crm-7")
    status, _ = send(
        ana_api,
        "PUT",
        "/api/engagements/by-external-id/crm-7/",
        {"partner": acme.pk, "client": "Y", "title": "Mine now"},
    )
    assert status == 404
    assert Engagement.objects.get().title == "Theirs"
    status, body = send(
        ana_api,
        "PUT",
        "/api/engagements/by-external-id/crm-8/",
        {"partner": theirs.pk, "client": "Y", "title": "On theirs"},
    )
    assert (status, body) == (
        400,
        {"errors": {"partner": ["No such partner, or not one whose engagements you can write."]}},
    )


def test_leadership_sets_a_partners_revenue_and_crm_id_and_the_audit_trail_says_so(lea_api, leader, acme):
    status, body = send(
        lea_api, "PUT", f"/api/partners/{acme.pk}/revenue/", {"annual_revenue": "250000.00", "external_id": "crm-acme"}
    )
    assert status == 200
    assert (body["annual_revenue"], body["external_id"]) == ("250000.00", "crm-acme")
    acme.refresh_from_db()
    assert str(acme.annual_revenue) == "250000.00"
    latest = acme.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (leader, "CRM sync (API)")
    other = PartnerFactory()
    status, body = send(
        lea_api, "PUT", f"/api/partners/{other.pk}/revenue/", {"annual_revenue": "1.00", "external_id": "crm-acme"}
    )
    assert (status, body) == (400, {"errors": {"external_id": ["Another partner already has this CRM id."]}})
    assert Partner.objects.get(pk=other.pk).external_id is None


# --- cases ----------------------------------------------------------------------------------


@pytest.fixture
def case(acme):
    return CaseFactory(partner=acme, opened_period=PeriodFactory.of("2026-Q3"))


def test_acknowledging_twice_is_a_conflict_that_names_who_did_it(ana_api, case):
    assert send(ana_api, "POST", f"/api/cases/{case.pk}/acknowledge/", {"note": "Calling them"})[0] == 200
    status, body = send(ana_api, "POST", f"/api/cases/{case.pk}/acknowledge/", {})
    assert (status, body) == (409, {"detail": "Acme: already acknowledged by Ana Alvarez."})


def test_a_snooze_needs_a_future_date_and_a_reason(ana_api, case):
    status, body = send(ana_api, "POST", f"/api/cases/{case.pk}/snooze/", {"until": "2026-11-20", "note": "Later"})
    assert (status, body) == (400, {"errors": {"until": ["Choose a date after today."]}})
    status, body = send(ana_api, "POST", f"/api/cases/{case.pk}/snooze/", {"until": "2026-12-20", "note": " "})
    assert (status, body) == (400, {"errors": {"note": ["Say why this case can wait."]}})
    status, body = send(ana_api, "POST", f"/api/cases/{case.pk}/snooze/", {"until": "2026-12-20", "note": "QBR booked"})
    assert (status, body["state"], body["snoozed_until"]) == (200, "snoozed", "2026-12-20")


def test_resolving_a_case_records_why_and_tells_its_owners(ana_api, manager, case):
    status, body = send(
        ana_api, "POST", f"/api/cases/{case.pk}/resolve/", {"resolution": "false_alarm", "note": "Data entry error"}
    )
    assert (status, body["state"], body["resolution"]) == (200, "resolved", "false_alarm")
    assert body["timeline"][-1]["kind"] == "resolved"
    assert CaseDelivery.objects.filter(case=case, kind="resolved", recipient=manager).exists()
    status, body = send(ana_api, "POST", f"/api/cases/{case.pk}/resolve/", {"resolution": "recovered"})
    assert (status, body) == (409, {"detail": "Acme: this case is resolved."})


def test_a_body_that_is_not_json_is_a_400_in_the_same_shape(ana_api):
    response = ana_api.generic("POST", "/api/interactions/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["errors"]
    assert response.json()["errors"]["non_field_errors"][0].startswith("JSON parse error")
