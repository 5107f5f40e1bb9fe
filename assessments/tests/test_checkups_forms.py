import datetime as dt

import pytest
from crispy_forms.utils import render_crispy_form

from assessments.forms import CheckupForm, InteractionForm
from assessments.forms.checkups import answer_name, comment_name
from assessments.models import RubricItem
from assessments.selectors.access import ActionOwners
from assessments.selectors.rubrics import rubric_items
from assessments.services.rubrics import rubric_version_publish
from assessments.tests.factories import UserFactory, answers_for, checkup_form_data

pytestmark = pytest.mark.django_db

PERIOD_START = dt.date(2026, 7, 1)


def make_form(version, data=None, *, complete=False, **kwargs):
    return CheckupForm(
        data,
        items=rubric_items(version_id=version.id),
        payment_terms_days=30,
        earliest_due_on=PERIOD_START,
        complete=complete,
        **kwargs,
    )


def test_the_form_has_one_radio_group_and_one_comment_per_rubric_item(rubric_version, items):
    form = make_form(rubric_version)

    for address in items:
        assert answer_name(address) in form.fields
        assert comment_name(address) in form.fields
    assert len(form.answer_fields) == 18
    trust = form.fields[answer_name("characteristics.trust")]
    assert trust.choices == [
        (1, "1 · Poor"),
        (2, "2 · Weak"),
        (3, "3 · Adequate"),
        (4, "4 · Good"),
        (5, "5 · Excellent"),
        ("na", "Not applicable / don't know"),
    ]
    symptom = form.fields[answer_name("symptoms.chasing_rainbows")]
    assert symptom.choices == [
        (0, "0 · None"),
        (1, "1 · Mild"),
        (2, "2 · Moderate"),
        (3, "3 · Severe"),
        ("na", "Don't know"),
    ]


def test_the_rendered_form_shows_each_items_question_and_guidance_in_a_fieldset(rubric_version, items):
    html = render_crispy_form(make_form(rubric_version))

    trust = items["characteristics.trust"]
    assert html.count("<fieldset") >= 18 + 2  # every item, red flags, action items
    assert f'<legend class="h6 mb-1">{trust.title}</legend>' in html
    assert trust.question in html
    assert trust.guidance_low in html and trust.guidance_high in html
    assert "Characteristics of a good partner" in html
    assert "What can you and your partner do to make it thrive again" in html
    assert 'for="id_answer__characteristics__trust_0"' in html
    assert "Their terms are net 30 days" in html


def test_a_new_rubric_version_changes_the_form_without_code(rubric_version):
    newer = rubric_version_publish(based_on=rubric_version)
    RubricItem.objects.create(
        rubric=newer.rubrics.get(key="traits"),
        key="follow_through",
        title="Follow-through",
        question="Do they do what they said they would?",
        guidance_low="Promises evaporate.",
        guidance_high="Every commitment is kept.",
        position=20,
    )

    html = render_crispy_form(make_form(newer))

    assert "Follow-through" in html and "Do they do what they said they would?" in html
    assert "Follow-through" not in render_crispy_form(make_form(rubric_version))


def test_a_draft_may_leave_items_unanswered(rubric_version):
    form = make_form(rubric_version, checkup_form_data({"characteristics.trust": 3}))

    assert form.is_valid(), form.errors
    assert form.checkup_input().answers == {"characteristics.trust": 3}


def test_submitting_requires_every_item_with_an_error_beside_each_missing_one(rubric_version, items):
    answers = answers_for(items)
    del answers["traits.honesty"], answers["symptoms.one_sided_pencil"]

    form = make_form(rubric_version, checkup_form_data(answers, action="submit"), complete=True)

    assert not form.is_valid()
    assert set(form.errors) == {answer_name("traits.honesty"), answer_name("symptoms.one_sided_pencil"), "__all__"}
    assert "every item is needed to submit" in form.errors[answer_name("traits.honesty")][0]
    assert "2 of 18 items still need an answer" in form.non_field_errors()[0]


@pytest.mark.parametrize("value", ["6", "0", "-1", "three", "4.5"])
def test_a_rating_outside_one_to_five_is_a_form_error(rubric_version, value):
    form = make_form(rubric_version, {"answer__characteristics__trust": value})

    assert not form.is_valid()
    assert answer_name("characteristics.trust") in form.errors


def test_a_symptom_outside_none_to_severe_is_a_form_error(rubric_version):
    form = make_form(rubric_version, {"answer__symptoms__chasing_rainbows": "4"})

    assert not form.is_valid()
    assert form.errors[answer_name("symptoms.chasing_rainbows")] == ["Choose one of the answers for chasing rainbows."]


def test_an_answer_for_an_item_not_in_the_rubric_is_refused(rubric_version):
    form = make_form(rubric_version, {"answer__characteristics__trust": "3", "answer__characteristics__bribery": "5"})

    assert not form.is_valid()
    assert "not part of this check-up's rubric: characteristics.bribery" in form.non_field_errors()[0]


def test_a_comment_needs_an_answer_to_be_kept(rubric_version):
    form = make_form(rubric_version, {"comment__traits__caring": "They asked about our roadmap"})

    assert not form.is_valid()
    assert "Choose an answer to keep this comment." in form.errors[answer_name("traits.caring")]


@pytest.fixture
def owners():
    return ActionOwners(
        [UserFactory(username="ana", first_name="Ana", last_name="Alvarez"), UserFactory(username="ben")],
        [UserFactory(username="lena", first_name="Lena", last_name="Fischer")],
    )


def test_an_action_item_needs_an_owner_and_a_due_date_within_reach(rubric_version, owners):
    ana, ben = owners.owners
    form = make_form(
        rubric_version,
        {
            "action_1_description": "Joint account plan",
            "action_2_owner": str(ben.pk),
            "action_3_description": "Visit their office",
            "action_3_owner": str(ana.pk),
            "action_3_due_on": "2026-01-15",
        },
        owners=owners,
    )

    assert not form.is_valid()
    assert form.errors["action_1_owner"] == ["Choose who will do it."]
    assert form.errors["action_1_due_on"] == ["Give it a due date."]
    assert form.errors["action_2_description"] == ["Describe the action, or clear its owner and due date."]
    assert form.errors["action_3_due_on"] == ["Pick a date on or after 01 Jul 2026."]


def test_the_action_owner_is_chosen_from_the_partners_owners_then_leadership(rubric_version, owners):
    form = make_form(rubric_version, owners=owners)
    ana, ben = owners.owners

    assert form.fields["action_1_owner"].choices == [
        ("", "—"),
        ("Owners of this partner", [(ana.pk, "Ana Alvarez"), (ben.pk, f"{ben.first_name} {ben.last_name}")]),
        ("Leadership", [(owners.leaders[0].pk, "Lena Fischer")]),
    ]
    refused = make_form(
        rubric_version,
        {"action_1_description": "Visit", "action_1_owner": "999999", "action_1_due_on": "2026-10-15"},
        owners=owners,
    )
    assert not refused.is_valid()
    assert refused.errors["action_1_owner"] == ["Choose the owner from the partner's owners or leadership."]


def test_the_form_translates_into_the_services_input(rubric_version, owners):
    ana = owners.owners[0]
    form = make_form(
        rubric_version,
        checkup_form_data(
            {"characteristics.trust": 2},
            comment__characteristics__trust=" late deliveries ",
            days_to_pay=60,
            info_withheld="on",
            notes="Difficult",
            action_1_description="Escalate to their COO",
            action_1_owner=ana.pk,
            action_1_due_on="2026-10-15",
        ),
        owners=owners,
    )

    assert form.is_valid(), form.errors
    data = form.checkup_input()
    assert data.answers == {"characteristics.trust": 2}
    assert data.comments == {"characteristics.trust": "late deliveries"}
    assert (data.days_to_pay, data.info_withheld, data.abusive_behaviour, data.notes) == (60, True, False, "Difficult")
    assert [(a.description, a.owner_id, a.due_on) for a in data.action_items] == [
        ("Escalate to their COO", ana.pk, dt.date(2026, 10, 15))
    ]


def test_days_to_pay_cannot_be_negative(rubric_version):
    form = make_form(rubric_version, {"days_to_pay": "-3"})
    assert not form.is_valid()
    assert "days_to_pay" in form.errors


def test_saved_answers_come_back_as_the_forms_initial_values(rubric_version):
    saved = {
        "answers": {"characteristics.trust": 4},
        "comments": {"characteristics.trust": "good"},
        "days_to_pay": 40,
        "info_withheld": False,
        "abusive_behaviour": True,
        "notes": "n",
    }
    form = make_form(rubric_version, initial=CheckupForm.initial_from(saved, []))

    html = render_crispy_form(form)
    assert 'value="4" class="btn-check" id="id_answer__characteristics__trust_3" checked' in html
    assert form.answered_count == 1


def test_an_interaction_cannot_be_dated_in_the_future():
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    form = InteractionForm({"occurred_on": tomorrow.isoformat(), "kind": "call"})
    assert not form.is_valid()
    assert "in the future" in form.errors["occurred_on"][0]


# --- not applicable, and answers with their history (docs/SCORING.md) -----------------------------------


def test_not_applicable_is_an_answer_the_services_take_as_none(rubric_version, items):
    data = {answer_name(a): "na" if a == "characteristics.trust" else "4" for a in items if a.startswith("char")}
    form = make_form(rubric_version, data)

    assert form.is_valid(), form.errors
    assert form.checkup_input().answers["characteristics.trust"] is None
    assert form.checkup_input().answers["characteristics.quality"] == 4


def test_submitting_a_big_move_without_a_comment_is_refused_on_that_items_comment(rubric_version, items):
    data = {answer_name(a): "0" if a.startswith("symptoms.") else "4" for a in items}
    data[answer_name("characteristics.trust")] = "2"
    previous = dict.fromkeys(items, 4) | {"characteristics.trust": 4, "symptoms.chasing_rainbows": 0}
    previous = {a: (0 if a.startswith("symptoms.") else v) for a, v in previous.items()}

    refused = make_form(rubric_version, data, complete=True, previous=previous)
    draft = make_form(rubric_version, data, complete=False, previous=previous)
    explained = make_form(
        rubric_version,
        data | {comment_name("characteristics.trust"): "Went around us"},
        complete=True,
        previous=previous,
    )

    assert not refused.is_valid()
    assert refused.errors[comment_name("characteristics.trust")] == [
        "Trust between the organisations moved from Good (4) last quarter to Weak (2). Add a one-line comment "
        "saying why this item moved 2 points or more since your last check-up."
    ]
    assert list(refused.errors) == [comment_name("characteristics.trust")]
    assert refused.error_summary()[0][:2] == (
        "id_comment__characteristics__trust",
        "Comment on trust between the organisations",
    )
    assert draft.is_valid(), draft.errors
    assert explained.is_valid(), explained.errors


def test_a_one_point_move_or_a_move_to_not_applicable_needs_no_comment(rubric_version, items):
    data = {answer_name(a): "0" if a.startswith("symptoms.") else "4" for a in items}
    data[answer_name("characteristics.trust")] = "3"
    data[answer_name("characteristics.quality")] = "na"
    previous = {a: (0 if a.startswith("symptoms.") else 4) for a in items} | {"characteristics.quality": 1}

    form = make_form(rubric_version, data, complete=True, previous=previous)

    # trust moved 1 point; quality (Poor last quarter) became not applicable.
    assert form.is_valid(), form.errors


def test_the_hint_is_your_last_answer_in_words_and_the_comment_label_says_when_it_is_needed(rubric_version, items):
    form = make_form(rubric_version, previous={"characteristics.trust": 4, "symptoms.chasing_rainbows": None})
    trust, rainbows, quality = (
        items[a] for a in ("characteristics.trust", "symptoms.chasing_rainbows", "characteristics.quality")
    )

    assert form.last_quarter_hint(trust) == "Last quarter: Good (4)"
    assert form.last_quarter_hint(rainbows) == "Last quarter: Don't know"
    assert form.last_quarter_hint(quality) == ""
    assert form.fields[comment_name("characteristics.trust")].label == (
        "Comment on trust between the organisations (needed if your answer moves 2 points or more)"
    )
    assert form.fields[comment_name("characteristics.quality")].label.endswith("(optional)")
