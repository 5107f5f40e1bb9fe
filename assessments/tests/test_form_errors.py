"""A refused form says what is wrong in words about the field, names the item it belongs to, and
brings the user back to the form (its action's anchor; the error summary that forms.js focuses)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from assessments.forms import CheckupForm, InteractionForm
from assessments.forms.actions import ActionItemForm
from assessments.forms.checkups import action_name, answer_name
from assessments.selectors.access import ActionOwners
from assessments.selectors.rubrics import rubric_items
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, UserFactory

pytestmark = pytest.mark.django_db

# Django's own wording, which names no field: none of it may reach a person.
DJANGO_DEFAULTS = re.compile(
    r"Ensure this value|Enter a valid|Enter a whole number|Select a valid choice|This field is required"
)


@pytest.fixture(autouse=True)
def _in_q4_2026():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def ana():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


@pytest.fixture
def partner(ana):
    return PartnerFactory(name="Northwind Systems", owners=[ana], payment_terms_days=30)


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def summary(html: str) -> str:
    """The text of the page's error summary."""
    found = re.search(r'<div class="alert alert-danger"[^>]*data-error-summary>(.*?)</div>', html, re.S)
    assert found, "no error summary on the page"
    return text(found.group(1))


def test_a_refused_interaction_returns_to_the_form_with_its_error_named(client, ana, partner):
    client.force_login(ana)
    url = reverse("interaction_add", args=[partner.pk])
    response = client.post(url, {"occurred_on": "2026-12-24", "kind": "meeting", "summary": "Xmas"})
    html = response.content.decode()
    assert response.status_code == 400
    # The browser lands on the form, not at the top of a page several screens long.
    assert f'action="{url}#interaction-form" id="interaction-form"' in html
    assert summary(html) == (
        "The interaction was not added; what you entered is still here. Please fix: "
        "Date : Log an interaction once it has happened: this date is in the future."
    )
    assert '<a href="#id_occurred_on" class="alert-link">Date</a>' in html
    assert 'value="Xmas"' in html
    assert html.count("Log an interaction once it has happened") == 2  # the summary, and beside the field


def test_check_up_errors_name_the_action_item_they_belong_to(client, ana, partner):
    checkup = CheckupFactory(partner=partner, rater=ana, period=PeriodFactory.of("2026-Q4"))
    client.force_login(ana)
    url = reverse("checkup_edit", args=[checkup.pk])
    response = client.post(
        url,
        {
            "action": "draft",
            action_name(1, "description"): "Quarterly review",
            action_name(1, "owner"): ana.pk,
            action_name(1, "due_on"): "2026-12-15",
            action_name(2, "description"): "Joint workshop",
            action_name(2, "due_on"): "2026-12-20",
            action_name(3, "owner"): ana.pk,
            "days_to_pay": "5000",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert f'action="{url}#checkup-form"' in html
    assert summary(html) == (
        "Nothing was saved yet, and nothing you entered was lost. Please fix: "
        "Days this partner actually takes to pay : Days to pay must be 3,650 or fewer (ten years); "
        "leave it blank if unknown. "
        "Action item 2, owner : Choose who will do it. "
        "Action item 3, what will be done : Describe the action, or clear its owner and due date."
    )
    assert f'<a href="#id_{action_name(2, "owner")}" class="alert-link">Action item 2, owner</a>' in html


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-3", "Days to pay cannot be negative: enter 0 if they pay on the day."),
        ("3651", "Days to pay must be 3,650 or fewer (ten years); leave it blank if unknown."),
        ("soon", "Enter the days to pay as a whole number of days, e.g. 45."),
    ],
)
def test_days_to_pay_out_of_range_is_refused_in_words_about_days_to_pay(rubric_version, value, message):
    form = _checkup_form(rubric_version, {"days_to_pay": value})
    assert form.errors["days_to_pay"] == [message]


def _checkup_form(version, data):
    return CheckupForm(
        data,
        items=rubric_items(version_id=version.id),
        payment_terms_days=30,
        earliest_due_on=dt.date(2026, 10, 1),
        owners=ActionOwners([], []),
    )


def test_no_form_an_account_manager_uses_shows_djangos_default_wording(rubric_version, ana):
    items = rubric_items(version_id=rubric_version.id)
    long = "x" * 6000
    checkup = _checkup_form(
        rubric_version,
        {
            "days_to_pay": "99999",
            "notes": long,
            answer_name(items[0].address): "9",
            f"comment__{items[1].address.replace('.', '__')}": long,
            action_name(1, "description"): long,
            action_name(2, "description"): "Visit",
            action_name(2, "owner"): "424242",
            action_name(2, "due_on"): "tomorrow",
        },
    )
    interaction = InteractionForm({"occurred_on": "yesterday", "kind": "carrier pigeon", "summary": long})
    action = ActionItemForm(
        {"description": "", "owner": "", "due_on": "31/02", "items": ["424242"], "note": long},
        owners=ActionOwners([ana], []),
        items=items,
    )
    for form in (checkup, interaction, action):
        assert not form.is_valid()
        messages = [message for errors in form.errors.values() for message in errors]
        assert messages, form
        assert not [m for m in messages if DJANGO_DEFAULTS.search(m)], messages
        for _, label, message in form.error_summary():
            assert message and (label or form.non_field_errors())
