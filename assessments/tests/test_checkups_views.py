import datetime as dt
import re
from unittest import mock

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from assessments.models import ActionItem, Answer, Checkup, CheckupRevision, PartnerSnapshot
from assessments.services.snapshots import snapshots_recompute
from assessments.task_names import TaskName
from assessments.tests.factories import (
    CheckupFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
    checkup_form_data,
    submitted_checkup,
)

pytestmark = pytest.mark.django_db

NOV_2026 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _in_q4_2026():
    with time_machine.travel(NOV_2026, tick=False):
        yield


@pytest.fixture
def manager():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


@pytest.fixture
def other_manager():
    return UserFactory(username="ben", first_name="Ben", last_name="Okafor", role="account_manager")


@pytest.fixture
def leadership():
    return UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")


@pytest.fixture
def q4():
    return PeriodFactory.of("2026-Q4")


@pytest.fixture
def checkup(manager, q4):
    partner = PartnerFactory(name="Northwind Systems", owners=[manager], payment_terms_days=30)
    return CheckupFactory(partner=partner, rater=manager, period=q4)


@pytest.fixture
def ana(client, manager):
    client.force_login(manager)
    return client


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_url(checkup) -> str:
    return reverse("checkup_edit", args=[checkup.pk])


def state(checkup) -> tuple:
    """Everything a write could change, to prove a refused POST changed nothing."""
    checkup.refresh_from_db()
    return (
        checkup.status,
        checkup.last_saved_at,
        checkup.submitted_at,
        checkup.revision,
        checkup.days_to_pay,
        checkup.notes,
        sorted(checkup.answers.values_list("item_id", "value", "comment")),
        sorted(checkup.action_items.values_list("description", flat=True)),
        PartnerSnapshot.objects.count(),
        CheckupRevision.objects.count(),
    )


def checked_values(html: str, address: str) -> list[str]:
    name = f"answer__{address.replace('.', '__')}"
    return re.findall(rf'<input type="radio" name="{name}" value="(\d)"[^>]*checked', html)


# --- landing and listing -------------------------------------------------------------


def test_an_account_manager_lands_on_my_checkups(ana, checkup):
    response = ana.get("/", follow=True)

    assert response.redirect_chain[-1][0] == reverse("my_checkups")
    html = response.content.decode()
    assert "My check-ups" in html and "2026-Q4" in html
    assert "Northwind Systems" in html
    assert "Not started" in html
    assert "Due 14 Jan 2027" in html


def test_leadership_lands_on_the_dashboard_or_the_partner_list(leadership):
    response = as_user(leadership).get("/")
    assert response.status_code == 302
    assert response["Location"] in {"/dashboard/", reverse("partner_list")}


def test_a_user_without_a_role_lands_on_an_empty_partner_list():
    response = as_user(UserFactory(username="nobody")).get("/", follow=True)
    assert "You have no partners to show." in response.content.decode()


def test_a_manager_with_nothing_due_sees_a_clear_empty_state(ana):
    html = ana.get(reverse("my_checkups")).content.decode()
    assert "Nothing due this quarter." in html
    assert "No check-ups from earlier quarters." in html


def test_overdue_checkups_are_flagged_in_the_list(ana, manager):
    CheckupFactory(
        partner=PartnerFactory(name="Late Ltd", owners=[manager]), rater=manager, period=PeriodFactory.of("2026-Q3")
    )

    html = ana.get(reverse("my_checkups")).content.decode()

    assert "Past quarters" in html and "Late Ltd" in html
    assert "1 overdue" in html
    past = html[html.index("Past quarters") :]
    assert "Late Ltd" in past and "Overdue" in past


def test_starting_a_checkup_for_a_newly_owned_partner_opens_it(ana, manager, rubric_version):
    partner = PartnerFactory(name="Newcomer", owners=[manager])
    assert "Newcomer" in ana.get(reverse("my_checkups")).content.decode()

    response = ana.post(reverse("checkup_start", args=[partner.pk]))

    checkup = Checkup.objects.get(partner=partner, rater=manager)
    assert response["Location"] == edit_url(checkup)
    assert checkup.period.code == "2026-Q4"


def test_starting_a_checkup_for_someone_elses_partner_is_a_404(ana, other_manager):
    partner = PartnerFactory(owners=[other_manager])
    assert ana.post(reverse("checkup_start", args=[partner.pk])).status_code == 404
    assert not Checkup.objects.exists()


# --- the form: drafts and submission -------------------------------------------------


def test_the_form_shows_every_item_with_its_question_guidance_and_labelled_choices(ana, checkup, items):
    html = ana.get(edit_url(checkup)).content.decode()

    for item in items.values():
        assert f'<legend class="h6 mb-1">{item.title}</legend>' in html
        assert escape(item.question) in html
    assert "Characteristics of a good partner" in html
    assert "Symptoms" in html
    assert ">1 · Poor</label>" in html and ">3 · Severe</label>" in html
    assert "Days this partner actually takes to pay" in html and "net 30 days" in html
    assert "Save draft" in html and ">Submit</button>" in html
    assert "0 of 18 items answered" in re.sub(r"<[^>]+>", "", html)


def test_saving_a_draft_keeps_partial_answers_for_next_time(ana, checkup):
    response = ana.post(
        edit_url(checkup),
        checkup_form_data(
            {"characteristics.trust": 2, "symptoms.chasing_rainbows": 1},
            comment__characteristics__trust="Went around us",
            notes="Half done",
        ),
    )

    # The page opens at its top, where the message is (the form's own anchor would scroll past it).
    assert response.status_code == 302 and response["Location"] == edit_url(checkup) + "#main"
    page = ana.get(edit_url(checkup))
    html = page.content.decode()
    assert "Draft saved: 2 of 18 items answered." in html
    assert checked_values(html, "characteristics.trust") == ["2"]
    assert checked_values(html, "symptoms.chasing_rainbows") == ["1"]
    assert checked_values(html, "traits.caring") == []
    assert 'value="Went around us"' in html and "Half done" in html
    checkup.refresh_from_db()
    assert checkup.status == Checkup.Status.DRAFT and checkup.last_saved_at is not None


def test_a_draft_is_listed_as_draft_with_its_progress(ana, checkup):
    ana.post(edit_url(checkup), checkup_form_data({"characteristics.trust": 2}))
    html = ana.get(reverse("my_checkups")).content.decode()
    assert ">Draft<" in html and "1 of 18" in html and "Continue" in html


def test_submitting_with_a_missing_item_is_refused_with_a_message_beside_it_and_keeps_the_answers(ana, checkup, items):
    answers = answers_for(items, rating=5)
    del answers["traits.homework"]
    before = state(checkup)

    response = ana.post(edit_url(checkup), checkup_form_data(answers, action="submit", notes="typed"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "1 of 18 items still need an answer before you can submit" in html
    assert "Choose an answer: every item is needed to submit." in html
    assert 'href="#id_answer__traits__homework_0"' in html
    assert checked_values(html, "traits.caring") == ["5"]
    assert "typed" in html
    assert state(checkup) == before


def test_submitting_a_complete_checkup_scores_it_and_shows_the_result(ana, checkup, items):
    response = ana.post(
        edit_url(checkup), checkup_form_data(answers_for(items, rating=4), action="submit"), follow=True
    )

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("checkup_result", args=[checkup.pk])
    assert "Check-up submitted." in html
    assert "75.0" in html and "Healthy" in html
    assert "No score last quarter to compare with." in html
    assert "By rubric" in html and "Your answers alone" not in html
    snapshot = PartnerSnapshot.objects.get(partner=checkup.partner, period=checkup.period)
    assert snapshot.health == 75.0


def test_the_result_page_shows_the_change_from_last_quarter_and_the_items_that_moved_most(ana, manager, checkup, items):
    submitted_checkup(
        items=items,
        answers=answers_for(items, rating=4),
        partner=checkup.partner,
        period=PeriodFactory.of("2026-Q3"),
        rater=manager,
    )
    with transaction.atomic():
        snapshots_recompute(pairs={(checkup.partner_id, PeriodFactory.of("2026-Q3").id)})

    ana.post(
        edit_url(checkup),
        checkup_form_data(
            answers_for(items, rating=4, traits__honesty=1, traits__caring=2),
            action="submit",
            comment__traits__honesty="They hid a delivery slip from us",
            comment__traits__caring="No call back after the outage",
        ),
    )
    html = ana.get(reverse("checkup_result", args=[checkup.pk])).content.decode()

    assert "What moved most since 2026-Q3" in html
    # traits fall to (5 x 75 + 0 + 25) / 7 = 57.14, so health = (75 + 57.14) / 2 = 66.07
    assert "66.1" in html and "Down 8.9" in html and "points since 2026-Q3 (75.0)" in html
    assert html.index("Honesty") < html.index("Caring")
    assert "4 · Good" in html and "1 · Poor" in html
    # honesty 75 -> 0 points, weighted 1/2 x 1/7: -5.36; caring 75 -> 25: -3.57
    assert "-5.4 points" in html and "-3.6 points" in html


def test_submitting_queues_the_trend_evaluation_after_commit(ana, checkup, items, django_capture_on_commit_callbacks):
    with (
        mock.patch("assessments.services.dispatch.publish") as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        ana.post(edit_url(checkup), checkup_form_data(answers_for(items), action="submit"))

    publish.assert_called_once_with(TaskName.EVALUATE_ASSESSMENT, args=(checkup.id,))


def test_saving_a_draft_queues_no_evaluation(ana, checkup, django_capture_on_commit_callbacks):
    with (
        mock.patch("assessments.services.dispatch.publish") as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        ana.post(edit_url(checkup), checkup_form_data({"traits.caring": 3}))
    publish.assert_not_called()


def test_action_items_from_the_form_are_saved_with_owner_and_due_date(ana, manager, leadership, checkup, items):
    html = ana.get(edit_url(checkup)).content.decode()
    assert f'<option value="{manager.pk}">Ana Alvarez</option>' in html
    assert f'<option value="{leadership.pk}">Lena Fischer</option>' in html

    ana.post(
        edit_url(checkup),
        checkup_form_data(
            answers_for(items),
            action="submit",
            action_1_description="Hold the QBR in person",
            action_1_owner=manager.pk,
            action_1_due_on="2027-02-15",
        ),
    )

    item = ActionItem.objects.get()
    assert (item.partner, item.period, item.owner, item.due_on) == (
        checkup.partner,
        checkup.period,
        manager,
        dt.date(2027, 2, 15),
    )
    html = ana.get(reverse("checkup_result", args=[checkup.pk])).content.decode()
    assert "Hold the QBR in person — Ana Alvarez, due 15 Feb 2027" in html


# --- tampering ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        {"answer__characteristics__trust": "9"},
        {"answer__symptoms__chasing_rainbows": "4"},
        {"answer__traits__caring": "0"},
        {"answer__characteristics__bribery": "5"},
        {"comment__characteristics__bribery": "hello"},
        {"days_to_pay": "-5"},
    ],
    ids=["rating-9", "symptom-4", "rating-0", "foreign-item", "foreign-comment", "negative-days"],
)
@pytest.mark.parametrize("action", ["draft", "submit"])
def test_a_tampered_post_gets_a_form_error_and_changes_nothing(ana, checkup, items, tamper, action):
    before = state(checkup)
    data = checkup_form_data(answers_for(items), action=action, notes="should not be saved")
    data.update(tamper)

    response = ana.post(edit_url(checkup), data)

    assert response.status_code == 400
    assert "alert-danger" in response.content.decode()
    assert state(checkup) == before


def test_an_unknown_action_is_a_bad_request(ana, checkup, items):
    before = state(checkup)
    response = ana.post(edit_url(checkup), checkup_form_data(answers_for(items), action="publish"))
    assert response.status_code == 400
    assert state(checkup) == before


def test_another_managers_checkup_is_a_404_and_their_answers_stay_as_they_were(ana, other_manager, q4, items):
    theirs = CheckupFactory(partner=PartnerFactory(owners=[other_manager]), rater=other_manager, period=q4)
    before = state(theirs)

    assert ana.get(edit_url(theirs)).status_code == 404
    assert ana.post(edit_url(theirs), checkup_form_data(answers_for(items), action="submit")).status_code == 404
    assert ana.get(reverse("checkup_result", args=[theirs.pk])).status_code == 404
    assert (
        ana.post(reverse("checkup_amend", args=[theirs.pk]), checkup_form_data(answers_for(items))).status_code == 404
    )
    assert state(theirs) == before


def test_a_co_owner_cannot_edit_the_other_owners_checkup(manager, other_manager, checkup, items):
    checkup.partner.owners.add(other_manager)
    before = state(checkup)

    response = as_user(other_manager).post(edit_url(checkup), checkup_form_data(answers_for(items), action="submit"))

    assert response.status_code == 404
    assert state(checkup) == before


def test_leadership_can_read_a_result_but_cannot_edit_a_checkup(leadership, checkup, items):
    client = as_user(leadership)
    before = state(checkup)

    assert client.get(edit_url(checkup)).status_code == 404
    assert client.post(edit_url(checkup), checkup_form_data(answers_for(items), action="submit")).status_code == 404
    page = client.get(reverse("checkup_result", args=[checkup.pk]))
    assert page.status_code == 200
    assert "has not been submitted yet" in page.content.decode()
    assert "Continue the check-up" not in page.content.decode()
    assert state(checkup) == before


# --- read-only after submission, amendments -----------------------------------------------


def test_a_submitted_checkup_is_read_only(ana, checkup, items):
    ana.post(edit_url(checkup), checkup_form_data(answers_for(items, rating=4), action="submit"))
    before = state(checkup)

    for action in ("draft", "submit"):
        response = ana.post(
            edit_url(checkup), checkup_form_data(answers_for(items, rating=1), action=action), follow=True
        )
        assert "already submitted, so nothing was changed" in response.content.decode()
    assert ana.get(edit_url(checkup))["Location"] == reverse("checkup_result", args=[checkup.pk])
    assert state(checkup) == before


def test_an_amendment_keeps_the_previous_answers_in_the_history(ana, checkup, items):
    ana.post(edit_url(checkup), checkup_form_data(answers_for(items, rating=4), action="submit", notes="first"))
    result_url = reverse("checkup_result", args=[checkup.pk])
    assert "Amend this check-up" in ana.get(result_url).content.decode()

    form = ana.get(reverse("checkup_amend", args=[checkup.pk])).content.decode()
    assert "Amend check-up" in form and "Submit amendment" in form
    assert checked_values(form, "characteristics.trust") == ["4"]

    response = ana.post(
        reverse("checkup_amend", args=[checkup.pk]),
        checkup_form_data(answers_for(items, rating=4, characteristics__trust=2), action="submit", notes="fixed"),
        follow=True,
    )

    html = response.content.decode()
    assert "Amendment saved as revision 1" in html
    assert "History of amendments" in html and "Revision 0" in html
    assert re.search(r"Trust between the organisations</th><td>4 · Good</td><td>2 · Weak</td>", html)
    checkup.refresh_from_db()
    assert checkup.revision == 1 and checkup.notes == "fixed"
    assert CheckupRevision.objects.get().answers["characteristics.trust"]["value"] == 4
    assert PartnerSnapshot.objects.get().item_means["characteristics.trust"] == 2.0


def test_an_incomplete_amendment_changes_nothing(ana, checkup, items):
    ana.post(edit_url(checkup), checkup_form_data(answers_for(items), action="submit"))
    before = state(checkup)
    answers = answers_for(items, rating=1)
    del answers["characteristics.quality"]

    response = ana.post(reverse("checkup_amend", args=[checkup.pk]), checkup_form_data(answers, action="submit"))

    assert response.status_code == 400
    assert state(checkup) == before


def test_a_draft_cannot_be_amended_only_continued(ana, checkup, items):
    response = ana.post(reverse("checkup_amend", args=[checkup.pk]), checkup_form_data(answers_for(items)))
    assert response.status_code == 302 and response["Location"] == edit_url(checkup)
    assert not Answer.objects.exists()


# --- CSRF ------------------------------------------------------------------------------------


def test_a_post_without_a_csrf_token_is_refused(manager, checkup, items):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    before = state(checkup)

    response = client.post(edit_url(checkup), checkup_form_data(answers_for(items), action="submit"))

    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    assert state(checkup) == before


def test_a_post_with_the_pages_csrf_token_is_accepted(manager, checkup):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    page = client.get(edit_url(checkup)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    data = checkup_form_data({"traits.caring": 3})
    data["csrfmiddlewaretoken"] = token
    response = client.post(edit_url(checkup), data)

    assert response.status_code == 302
    assert checkup.answers.count() == 1


def test_the_checkup_pages_carry_no_inline_script(ana, checkup, items):
    for url in (edit_url(checkup), reverse("my_checkups")):
        html = ana.get(url).content.decode()
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, tag
        assert not re.search(r"\son[a-z]+=", html)


def test_past_quarters_page_back_two_at_a_time_and_the_overdue_count_covers_them_all(ana, manager):
    partner = PartnerFactory(name="Long Ltd", owners=[manager])
    for code in ("2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"):
        CheckupFactory(partner=partner, rater=manager, period=PeriodFactory.of(code))
    url = reverse("my_checkups")

    def past_quarters(html: str) -> list[str]:
        return re.findall(r"<summary[^>]*>(\d{4}-Q\d)", html)

    first = ana.get(url).content.decode()
    assert past_quarters(first) == ["2026-Q3", "2026-Q2"]
    assert f'href="{url}?past=2026-Q1">Earlier quarters' in first and "Later quarters" not in first
    assert "6 overdue" in first, "every unfinished past check-up, not only the two quarters shown"

    second = ana.get(f"{url}?past=2026-Q1").content.decode()
    assert past_quarters(second) == ["2026-Q1", "2025-Q4"]
    assert f'href="{url}">Later quarters' in second and f'href="{url}?past=2025-Q3">Earlier quarters' in second
    assert "6 overdue" in second

    last = ana.get(f"{url}?past=2025-Q3").content.decode()
    assert past_quarters(last) == ["2025-Q3", "2025-Q2"]
    assert f'href="{url}?past=2025-Q4">Later quarters' not in last  # the later page starts at 2026-Q1
    assert f'href="{url}?past=2026-Q1">Later quarters' in last and "Earlier quarters" not in last


def test_a_malformed_past_quarter_is_explained_and_the_latest_past_quarters_shown(ana, manager):
    CheckupFactory(
        partner=PartnerFactory(name="Late Ltd", owners=[manager]), rater=manager, period=PeriodFactory.of("2026-Q3")
    )
    html = ana.get(reverse("my_checkups") + "?past=last-year").content.decode()
    assert "Past quarters: &#x27;last-year&#x27; is not a period; write it as YYYY-Qn" in html
    assert "2026-Q3" in html[html.index('id="past-heading"') :]
