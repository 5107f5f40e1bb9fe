"""What a refused form shows at its top: one line per problem, each naming its field or item and
linking to it. The page moves focus there (static/js/forms.js), so nobody has to hunt for the error."""

from __future__ import annotations

from django import forms

# Renders a crispy form's fields and their inline errors, without crispy's own block of form-wide
# errors: the error summary (templates/partials/error_summary.html) lists those with the rest.
CRISPY_TEMPLATE = "forms/crispy_without_summary.html"

GROUPED_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


class ErrorSummaryMixin:
    """``error_summary``: (anchor, label, message) per problem, form-wide ones first, then fields in form order.

    A field may carry ``error_label`` to name its item where its own label is ambiguous
    ("Action item 2, owner" for the second of three identical owner selects).
    """

    def error_summary(self) -> list[tuple[str, str, str]]:
        lines = [("", "", str(message)) for message in self.non_field_errors()]
        for bound in self:
            if not bound.errors:
                continue
            # A group of radios or checkboxes is reached through its first input.
            anchor = bound.auto_id + ("_0" if isinstance(bound.field.widget, GROUPED_WIDGETS) else "")
            label = getattr(bound.field, "error_label", "") or str(bound.label)
            lines.append((anchor, label, str(bound.errors[0])))
        return lines
