"""Forms of the partner's side: a contact, and the public mirror survey built from its rubric version.

Validation here is for the person at the keyboard; services/mirror.py validates again.
"""

from __future__ import annotations

from django import forms

from assessments.display import SCALE_LABELS
from assessments.forms.errors import ErrorSummaryMixin
from assessments.models import Contact, RubricItem
from assessments.services.mirror import FREE_TEXT_MAX, ContactData


class ContactForm(ErrorSummaryMixin, forms.Form):
    name = forms.CharField(label="Name", max_length=200, error_messages={"required": "Give the contact's name."})
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        error_messages={
            "required": "Give the contact's e-mail address, e.g. dana@partner.example.",
            "invalid": "Enter an e-mail address like dana@partner.example.",
        },
    )
    role = forms.CharField(label="Role (optional)", max_length=200, required=False, help_text="e.g. Alliance manager")
    works_at = forms.ChoiceField(
        label="Works",
        choices=Contact.WorksAt.choices,
        initial=Contact.WorksAt.PARTNER,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the contact works at the partner or at a shared client."},
    )

    @classmethod
    def initial_for(cls, contact: Contact) -> dict:
        return {"name": contact.name, "email": contact.email, "role": contact.role, "works_at": contact.works_at}

    def contact_data(self) -> ContactData:
        data = self.cleaned_data
        return ContactData(name=data["name"], email=data["email"], role=data["role"], works_at=data["works_at"])


def answer_field_name(address: str) -> str:
    return "q__" + address.replace(".", "__")


class SurveyResponseForm(ErrorSummaryMixin, forms.Form):
    """One radio group per rubric item (none required until the respondent sends), and the free text."""

    action = forms.ChoiceField(choices=[("save", "save"), ("submit", "submit")], initial="save")
    free_text = forms.CharField(
        required=False,
        max_length=FREE_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": f"Keep your answer to {FREE_TEXT_MAX:,} characters."},
    )

    def __init__(self, *args, items: list[RubricItem], free_text_question: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.fields["free_text"].label = f"{free_text_question} (optional)"
        for item in items:
            choices = [(value, f"{value} · {word}") for value, word in SCALE_LABELS[item.rubric.scale].items()]
            field = forms.TypedChoiceField(
                label=item.title,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "btn-check"}),
                error_messages={"invalid_choice": f"Choose one of the answers for {item.title.lower()}."},
            )
            field.rubric_item = item
            self.fields[answer_field_name(item.address)] = field

    @classmethod
    def initial_for(cls, answers: dict[str, int], free_text: str) -> dict:
        initial = {answer_field_name(address): value for address, value in answers.items()}
        initial["free_text"] = free_text
        return initial

    @property
    def submitting(self) -> bool:
        return self.cleaned_data.get("action") == "submit"

    def answers(self) -> dict[str, int | None]:
        return {item.address: self.cleaned_data.get(answer_field_name(item.address)) for item in self.items}

    def sections(self) -> list[tuple]:
        """(rubric, [(item, bound field, options), ...]) in form order, for the template.

        ``options`` are (id, value, label, checked) of the item's radios: the template writes the
        inputs itself, since rendering 60 radio widgets through Django's widget templates took most
        of the page's time (bench/mirror.py)."""
        sections: list[tuple] = []
        for item in self.items:
            if not sections or sections[-1][0].pk != item.rubric_id:
                sections.append((item.rubric, []))
            bound = self[answer_field_name(item.address)]
            current = bound.value()
            current = "" if current is None else str(current)
            options = [
                (f"{bound.auto_id}_{index}", value, label, str(value) == current)
                for index, (value, label) in enumerate(bound.field.choices)
            ]
            sections[-1][1].append((item, bound, options))
        return sections
