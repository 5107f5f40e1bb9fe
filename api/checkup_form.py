"""A check-up sent as JSON, validated by the very form the page uses (``forms.checkups.CheckupForm``),
so the API refuses exactly what the page refuses, with the same messages, keyed the API's way:

    answers.<rubric.item>        an answer (missing, or not one of the scale's values)
    comments.<rubric.item>       a comment
    action_items.<n>.<field>     the n-th action item (from 0): description, owner, due_on
    days_to_pay, notes           the red flag and the notes
    non_field_errors             the whole check-up (items still unanswered, foreign items)
"""

from __future__ import annotations

import re

from assessments.forms.checkups import (
    ANSWER,
    COMMENT,
    NOT_APPLICABLE,
    CheckupForm,
    action_name,
    answer_name,
    comment_name,
)
from assessments.selectors.checkups import CheckupEditing
from assessments.services.checkups import MAX_ACTION_ITEMS

_ACTION = re.compile(r"^action_(\d+)_(description|owner|due_on)$")


def _form_data(data: dict) -> dict:
    posted: dict[str, str] = {}
    for address, value in data["answers"].items():
        # null is "not applicable / don't know", as the form's own choice.
        posted[answer_name(address)] = NOT_APPLICABLE if value is None else str(value)
    for address, comment in data.get("comments", {}).items():
        posted[comment_name(address)] = comment
    if data.get("days_to_pay") is not None:
        posted["days_to_pay"] = str(data["days_to_pay"])
    for flag in ("info_withheld", "abusive_behaviour"):
        if data.get(flag):
            posted[flag] = "on"
    posted["notes"] = data.get("notes", "")
    for slot, action in enumerate(data.get("action_items", [])[:MAX_ACTION_ITEMS], start=1):
        posted[action_name(slot, "description")] = action["description"]
        posted[action_name(slot, "owner")] = str(action["owner"])
        posted[action_name(slot, "due_on")] = action["due_on"].isoformat()
    return posted


def _api_key(name: str) -> str:
    if name == "__all__":
        return "non_field_errors"
    if name.startswith(ANSWER):
        return "answers." + name.removeprefix(ANSWER).replace("__", ".")
    if name.startswith(COMMENT):
        return "comments." + name.removeprefix(COMMENT).replace("__", ".")
    if match := _ACTION.match(name):
        return f"action_items.{int(match[1]) - 1}.{match[2]}"
    return name


def checkup_form_errors(editing: CheckupEditing, data: dict) -> tuple[CheckupForm, dict[str, list[str]]]:
    """The bound form and its errors in the API's keys (empty when valid)."""
    checkup = editing.checkup
    form = CheckupForm(
        _form_data(data),
        items=editing.items,
        payment_terms_days=checkup.partner.payment_terms_days,
        earliest_due_on=checkup.period.starts_on,
        owners=editing.owners,
        complete=not data.get("draft", False),
    )
    if form.is_valid():
        return form, {}
    return form, {_api_key(name): [str(message) for message in messages] for name, messages in form.errors.items()}
