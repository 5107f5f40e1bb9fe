"""The action item form: what will be done, by whom, by when, and which rubric items it should move.

Validation here is for the person at the keyboard (a message beside the field);
``services.actions`` validates again and refuses with one line.
"""

from __future__ import annotations

from itertools import groupby

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Layout, Row
from django import forms

from assessments.display import person_name
from assessments.forms.errors import CRISPY_TEMPLATE, ErrorSummaryMixin
from assessments.models import RubricItem
from assessments.selectors.access import ActionOwners
from assessments.services.actions import DESCRIPTION_MAX, NOTE_MAX, ActionItemData


def owner_choices(owners: ActionOwners, *, blank: str = "Choose an owner") -> list:
    """The owner select: the partner's owners, then leadership, each group under its heading."""
    choices: list = [("", blank)]
    if owners.owners:
        choices.append(("Owners of this partner", [(u.pk, person_name(u)) for u in owners.owners]))
    if owners.leaders:
        choices.append(("Leadership", [(u.pk, person_name(u)) for u in owners.leaders]))
    return choices


def item_choices(items: list[RubricItem]) -> list:
    """Rubric items grouped under their rubric's title, in form order."""
    return [
        (rubric.title, [(item.pk, item.title) for item in group])
        for rubric, group in groupby(items, key=lambda item: item.rubric)
    ]


class ActionItemForm(ErrorSummaryMixin, forms.Form):
    description = forms.CharField(
        label="What will be done",
        max_length=DESCRIPTION_MAX,
        error_messages={
            "required": "Describe the action: what will be done.",
            "max_length": f"Keep the description to {DESCRIPTION_MAX} characters.",
        },
    )
    owner = forms.TypedChoiceField(
        label="Owner",
        coerce=int,
        error_messages={
            "required": "Choose who will do it.",
            "invalid_choice": "Choose the owner from the partner's owners or leadership.",
        },
    )
    due_on = forms.DateField(
        label="Due date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Give it a due date.", "invalid": "Enter the due date as a date, e.g. 2027-01-31."},
    )
    items = forms.TypedMultipleChoiceField(
        label="Rubric items it should improve (optional)",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Link the action only to items of the current rubric."},
        help_text="Partner Health then shows each item's value when the plan started and at every check-up since.",
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"Keep the note to {NOTE_MAX} characters."},
    )

    def __init__(self, *args, owners: ActionOwners, items: list[RubricItem], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owner_choices(owners)
        self.fields["items"].choices = item_choices(items)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.template = CRISPY_TEMPLATE
        self.helper.layout = Layout(
            Field("description"),
            Row(
                Column(Field("owner"), css_class="col-sm-6"),
                Column(Field("due_on"), css_class="col-sm-6"),
            ),
            HTML(
                '<details class="mb-3"{% if form.items.value %} open{% endif %}><summary>Link to rubric items</summary>'
            ),
            Field("items"),
            HTML("</details>"),
            Field("note"),
        )

    @classmethod
    def initial_for(cls, action) -> dict:
        return {
            "description": action.description,
            "owner": action.owner_id,
            "due_on": action.due_on,
            "items": [item.pk for item in action.items.all()],
            "note": action.note,
        }

    def action_data(self) -> ActionItemData:
        data = self.cleaned_data
        return ActionItemData(
            description=data["description"],
            owner_id=data["owner"],
            due_on=data["due_on"],
            item_ids=tuple(data.get("items") or ()),
            note=data.get("note") or "",
        )
