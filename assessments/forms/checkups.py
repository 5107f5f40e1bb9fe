"""The quarterly check-up form, built from the rubric version's items.

No rubric item is named in code: a new rubric version (new items, new wording)
changes this form without a deploy. Validation here is for the person at the
keyboard (a message beside each field); the services validate again.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Field, Fieldset, Layout, LayoutObject, Row
from crispy_forms.utils import TEMPLATE_PACK, render_field
from django import forms
from django.template.loader import render_to_string

from assessments.display import NOT_APPLICABLE_LABELS, SCALE_LABELS, answer_label
from assessments.forms.actions import owner_choices
from assessments.forms.errors import CRISPY_TEMPLATE, ErrorSummaryMixin
from assessments.models import ActionItem, RubricItem
from assessments.scoring import big_moves
from assessments.selectors.access import ActionOwners
from assessments.services.actions import DESCRIPTION_MAX as ACTION_DESCRIPTION_MAX
from assessments.services.checkups import MAX_ACTION_ITEMS, ActionItemInput, CheckupInput, big_move_message

ANSWER = "answer__"
COMMENT = "comment__"
# The radio value of "not applicable / don't know"; the services take it as None.
NOT_APPLICABLE = "na"


def _coerce_answer(value: str) -> int | str:
    return NOT_APPLICABLE if value == NOT_APPLICABLE else int(value)


def answer_name(address: str) -> str:
    return ANSWER + address.replace(".", "__")


def comment_name(address: str) -> str:
    return COMMENT + address.replace(".", "__")


def action_name(slot: int, part: str) -> str:
    return f"action_{slot}_{part}"


class RubricItemBlock(LayoutObject):
    """One rubric item: its radio group (fieldset + legend), guidance and comment."""

    template = "checkups/_item.html"

    def __init__(self, item: RubricItem, answer: str, comment: str):
        self.item = item
        self.answer = answer
        self.comment = comment
        self.fields = [answer, comment]

    def render(self, form, context, template_pack=TEMPLATE_PACK, **kwargs):
        scale = self.item.rubric.scale
        labels = SCALE_LABELS[scale]
        return render_to_string(
            self.template,
            {
                "item": self.item,
                "field": form[self.answer],
                "low": labels[min(labels)],
                "high": labels[max(labels)],
                "low_value": min(labels),
                "high_value": max(labels),
                "comment": render_field(self.comment, form, context, template_pack=template_pack),
                "last_quarter": form.last_quarter_hint(self.item),
            },
        )


class RubricSection(LayoutObject):
    """One rubric as a section of the page, with its source article."""

    template = "checkups/_section.html"

    def __init__(self, rubric, *fields):
        self.rubric = rubric
        self.fields = list(fields)

    def render(self, form, context, template_pack=TEMPLATE_PACK, **kwargs):
        html = self.get_rendered_fields(form, context, template_pack, **kwargs)
        return render_to_string(self.template, {"rubric": self.rubric, "fields": html})


DAYS_TO_PAY_MAX = 3650
COMMENT_MAX = 1000
NOTES_MAX = 5000
DATE_EXAMPLE = "e.g. 2027-01-31"


class CheckupForm(ErrorSummaryMixin, forms.Form):
    days_to_pay = forms.IntegerField(
        label="Days this partner actually takes to pay",
        min_value=0,
        max_value=DAYS_TO_PAY_MAX,
        required=False,
        error_messages={
            "invalid": "Enter the days to pay as a whole number of days, e.g. 45.",
            "min_value": "Days to pay cannot be negative: enter 0 if they pay on the day.",
            "max_value": f"Days to pay must be {DAYS_TO_PAY_MAX:,} or fewer (ten years); leave it blank if unknown.",
        },
    )
    info_withheld = forms.BooleanField(label="They withheld information we needed about their problems", required=False)
    abusive_behaviour = forms.BooleanField(label="Interactions with them were rude or abusive", required=False)
    notes = forms.CharField(
        label="Overall notes",
        required=False,
        max_length=NOTES_MAX,
        error_messages={"max_length": f"Keep the overall notes to {NOTES_MAX:,} characters."},
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Context a reader will need next quarter: what happened, what changed.",
    )

    def __init__(
        self,
        *args,
        items: list[RubricItem],
        payment_terms_days: int,
        earliest_due_on: dt.date,
        owners: ActionOwners | None = None,
        complete: bool = False,
        previous: dict | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.items = items
        self.complete = complete
        # The rater's own answers in their last submitted quarter (address -> value, None = n/a).
        self.previous = previous or {}
        self.earliest_due_on = earliest_due_on
        self.fields[
            "days_to_pay"
        ].help_text = (
            f"Their terms are net {payment_terms_days} days. Leave blank if nothing was invoiced this quarter."
        )
        for item in items:
            choices = [(value, f"{value} · {word}") for value, word in SCALE_LABELS[item.rubric.scale].items()]
            choices.append((NOT_APPLICABLE, NOT_APPLICABLE_LABELS[item.rubric.scale]))
            answer = forms.TypedChoiceField(
                label=item.title,
                choices=choices,
                coerce=_coerce_answer,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "btn-check"}),
            )
            answer.rubric_item = item
            self.fields[answer_name(item.address)] = answer
            self.fields[comment_name(item.address)] = forms.CharField(
                label=f"Comment on {item.title.lower()}"
                + (
                    " (needed if your answer moves 2 points or more)"
                    if self.previous.get(item.address) is not None
                    else " (optional)"
                ),
                required=False,
                max_length=COMMENT_MAX,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
                error_messages={"max_length": f"Keep the comment to {COMMENT_MAX:,} characters."},
            )
            answer.error_messages["invalid_choice"] = f"Choose one of the answers for {item.title.lower()}."
        for slot in range(1, MAX_ACTION_ITEMS + 1):
            self.fields[action_name(slot, "description")] = forms.CharField(
                label="What will be done",
                required=False,
                max_length=ACTION_DESCRIPTION_MAX,
                error_messages={"max_length": f"Keep the description to {ACTION_DESCRIPTION_MAX} characters."},
            )
            self.fields[action_name(slot, "owner")] = forms.TypedChoiceField(
                label="Owner",
                required=False,
                coerce=int,
                empty_value=None,
                choices=owner_choices(owners or ActionOwners([], []), blank="—"),
                error_messages={"invalid_choice": "Choose the owner from the partner's owners or leadership."},
            )
            self.fields[action_name(slot, "due_on")] = forms.DateField(
                label="Due date",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": f"Enter the due date as a date, {DATE_EXAMPLE}."},
            )
            # Three slots share these labels: the error summary says which one is wrong.
            for part, word in (("description", "what will be done"), ("owner", "owner"), ("due_on", "due date")):
                self.fields[action_name(slot, part)].error_label = f"Action item {slot}, {word}"
        self.helper = self._helper()

    def _helper(self) -> FormHelper:
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True
        helper.template = CRISPY_TEMPLATE
        sections = []
        for _, group in groupby(self.items, key=lambda item: item.rubric_id):
            group = list(group)
            sections.append(
                RubricSection(
                    group[0].rubric,
                    *(RubricItemBlock(item, answer_name(item.address), comment_name(item.address)) for item in group),
                )
            )
        slots = [
            Fieldset(
                f"Action item {slot}",
                Row(
                    Column(Field(action_name(slot, "description")), css_class="col-md-6"),
                    Column(Field(action_name(slot, "owner")), css_class="col-md-3"),
                    Column(Field(action_name(slot, "due_on")), css_class="col-md-3"),
                ),
                css_class="action-slot border-top pt-2",
            )
            for slot in range(1, MAX_ACTION_ITEMS + 1)
        ]
        helper.layout = Layout(
            *sections,
            Div(
                Fieldset(
                    "Cut-bait red flags",
                    HTML(
                        '<p class="text-body-secondary">Partnership is give and take. Late payment against terms, '
                        "information withheld and rude or abusive interactions are signs it may be time to cut bait."
                        "</p>"
                    ),
                    Field("days_to_pay", css_class="w-auto", wrapper_class="mb-3"),
                    Field("info_withheld"),
                    Field("abusive_behaviour"),
                    css_class="card card-body mb-4",
                ),
                css_id="red-flags",
            ),
            Div(Field("notes"), css_class="mb-4"),
            Div(
                Fieldset(
                    "Action items for next quarter",
                    HTML(
                        '<p class="text-body-secondary">What can you and your partner do to make it thrive again'
                        "? Up to three, each with an owner and a due date. Leave a row empty if you need fewer.</p>"
                    ),
                    *slots,
                    css_class="card card-body mb-4",
                ),
                css_id="action-items",
            ),
        )
        return helper

    @classmethod
    def initial_from(cls, saved: dict, action_items: list[ActionItem]) -> dict:
        initial = {
            "days_to_pay": saved["days_to_pay"],
            "info_withheld": saved["info_withheld"],
            "abusive_behaviour": saved["abusive_behaviour"],
            "notes": saved["notes"],
        }
        for address, value in saved["answers"].items():
            initial[answer_name(address)] = NOT_APPLICABLE if value is None else value
        for address, comment in saved["comments"].items():
            initial[comment_name(address)] = comment
        for slot, item in enumerate(action_items[:MAX_ACTION_ITEMS], start=1):
            initial[action_name(slot, "description")] = item.description
            initial[action_name(slot, "owner")] = item.owner_id
            initial[action_name(slot, "due_on")] = item.due_on
        return initial

    @property
    def answered_count(self) -> int:
        """Answers on the page now: what was posted, or what was saved."""
        names = [answer_name(item.address) for item in self.items]
        source = self.data if self.is_bound else self.initial
        return sum(1 for name in names if source.get(name) not in (None, ""))

    def last_quarter_hint(self, item: RubricItem) -> str:
        """'Last quarter: Good (4)', from the rater's own previous check-up; '' when there is none."""
        if item.address not in self.previous:
            return ""
        return f"Last quarter: {answer_label(item.rubric.scale, self.previous[item.address])}"

    @property
    def answer_fields(self) -> list[forms.BoundField]:
        return [self[answer_name(item.address)] for item in self.items]

    def clean(self):
        cleaned = super().clean()
        # A key that looks like an answer but is not an item of this version was
        # tampered with or comes from another rubric: refuse the whole post.
        unknown = sorted(key for key in self.data if key.startswith((ANSWER, COMMENT)) and key not in self.fields)
        if unknown:
            raise forms.ValidationError(
                "This form contains answers to items that are not part of this check-up's rubric: %(keys)s.",
                code="foreign_item",
                params={"keys": ", ".join(k.split("__", 1)[1].replace("__", ".") for k in unknown)},
            )
        for item in self.items:
            answer, comment = answer_name(item.address), comment_name(item.address)
            if answer in self.errors:
                continue
            if cleaned.get(answer) is None:
                if self.complete:
                    self.add_error(answer, "Choose an answer: every item is needed to submit.")
                elif cleaned.get(comment):
                    self.add_error(answer, "Choose an answer to keep this comment.")
        if self.complete:
            self._clean_big_moves(cleaned)
        for slot in range(1, MAX_ACTION_ITEMS + 1):
            self._clean_action_slot(cleaned, slot)
        if self.complete:
            missing = sum(1 for field in self.answer_fields if field.name in self.errors)
            if missing:
                raise forms.ValidationError(
                    "%(n)s of %(total)s items still need an answer before you can submit. "
                    "Nothing was lost: choose the missing answers, or save a draft.",
                    code="incomplete",
                    params={"n": missing, "total": len(self.items)},
                )
        return cleaned

    def _clean_big_moves(self, cleaned: dict) -> None:
        """Submitting a move of 2 points or more from last quarter's answer needs a comment (a draft does not)."""
        current = {
            item.address: value
            for item in self.items
            if isinstance(value := cleaned.get(answer_name(item.address)), int)
        }
        by_address = {item.address: item for item in self.items}
        for address in big_moves(self.previous, current):
            name = comment_name(address)
            if name in self.errors or (cleaned.get(name) or "").strip():
                continue
            item = by_address[address]
            scale = item.rubric.scale
            self.add_error(
                name,
                f"{item.title} moved from {answer_label(scale, self.previous[address])} last quarter to "
                f"{answer_label(scale, current[address])}. {big_move_message(1)}.",
            )
            self.fields[name].error_label = f"Comment on {item.title.lower()}"

    def _clean_action_slot(self, cleaned: dict, slot: int) -> None:
        names = {part: action_name(slot, part) for part in ("description", "owner", "due_on")}
        if any(name in self.errors for name in names.values()):
            return
        description, owner, due_on = (cleaned.get(names[p]) for p in ("description", "owner", "due_on"))
        if not description:
            if owner is not None or due_on:
                self.add_error(names["description"], "Describe the action, or clear its owner and due date.")
            return
        if owner is None:
            self.add_error(names["owner"], "Choose who will do it.")
        if due_on is None:
            self.add_error(names["due_on"], "Give it a due date.")
        elif due_on < self.earliest_due_on:
            self.add_error(names["due_on"], f"Pick a date on or after {self.earliest_due_on:%d %b %Y}.")

    def checkup_input(self) -> CheckupInput:
        data = self.cleaned_data
        answers = {}
        comments = {}
        for item in self.items:
            value = data.get(answer_name(item.address))
            if value is not None:
                answers[item.address] = None if value == NOT_APPLICABLE else value
                if data.get(comment_name(item.address)):
                    comments[item.address] = data[comment_name(item.address)]
        actions = [
            ActionItemInput(
                description=data[action_name(slot, "description")],
                owner_id=data[action_name(slot, "owner")],
                due_on=data[action_name(slot, "due_on")],
            )
            for slot in range(1, MAX_ACTION_ITEMS + 1)
            if data.get(action_name(slot, "description"))
        ]
        return CheckupInput(
            answers=answers,
            comments=comments,
            days_to_pay=data.get("days_to_pay"),
            info_withheld=bool(data.get("info_withheld")),
            abusive_behaviour=bool(data.get("abusive_behaviour")),
            notes=data.get("notes") or "",
            action_items=tuple(actions),
        )
