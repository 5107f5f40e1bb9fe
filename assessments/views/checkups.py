"""The account manager's check-up workflow: list, fill in, submit, see the result, amend."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.forms import CheckupForm
from assessments.forms.checkups import answer_name
from assessments.models import Checkup, Partner
from assessments.periods import PeriodError, Quarter
from assessments.selectors.actions import my_open_actions
from assessments.selectors.checkups import CheckupEditing, checkup_for_editing, checkup_result, my_checkups
from assessments.selectors.crosschecks import checkups_crosscheck, contradicted_checkups, draft_crosscheck
from assessments.services.checkups import (
    CheckupError,
    CheckupReadOnly,
    checkup_amend,
    checkup_open,
    checkup_save_draft,
    checkup_submit,
)

ACTIONS = {"draft", "submit"}


def _editing_or_404(user, pk: int) -> CheckupEditing:
    try:
        return checkup_for_editing(user=user, checkup_id=pk)
    except Checkup.DoesNotExist:
        raise Http404("No such check-up") from None


def _form(editing: CheckupEditing, *, data=None, complete: bool = False) -> CheckupForm:
    checkup = editing.checkup
    return CheckupForm(
        data,
        items=editing.items,
        payment_terms_days=checkup.partner.payment_terms_days,
        earliest_due_on=checkup.period.starts_on,
        owners=editing.owners,
        complete=complete,
        previous=editing.previous.answers,
        initial=None if data is not None else CheckupForm.initial_from(editing.saved, editing.action_items),
    )


def _crosscheck_notes(editing: CheckupEditing, form: CheckupForm) -> list:
    """Evidence cross-checks of the answers on the page: as posted (a refused form) or as saved."""
    if form.is_bound:
        cleaned = getattr(form, "cleaned_data", {})
        answers = {item.address: cleaned.get(answer_name(item.address)) for item in editing.items}
        flags = (bool(cleaned.get("info_withheld")), cleaned.get("days_to_pay"))
    else:
        answers = editing.saved["answers"]
        flags = (editing.saved["info_withheld"], editing.saved["days_to_pay"])
    return draft_crosscheck(
        checkup=editing.checkup,
        answers=answers,
        titles={item.address: item.title for item in editing.items},
        info_withheld=flags[0],
        days_to_pay=flags[1],
    )


def _render_form(request, editing: CheckupEditing, form: CheckupForm, *, mode: str, status: int = 200):
    return render(
        request,
        "checkups/form.html",
        {
            "editing": editing,
            "checkup": editing.checkup,
            "form": form,
            "mode": mode,
            "crosschecks": _crosscheck_notes(editing, form),
        },
        status=status,
    )


@login_required
@require_GET
def my_checkups_view(request):
    # ?past=YYYY-Qn pages through earlier quarters; a bad value is said, and the default page shown.
    past_until = None
    if code := request.GET.get("past", ""):
        try:
            past_until = Quarter.parse_supported(code)
        except PeriodError as error:
            messages.warning(request, f"Past quarters: {error}. Showing the latest ones.")
    return render(
        request,
        "checkups/list.html",
        {
            "checkups": my_checkups(user=request.user, past_until=past_until),
            # Her open action items, beside her check-ups.
            "my_actions": my_open_actions(user=request.user),
            "crosscheck_list": contradicted_checkups(user=request.user),
        },
    )


@login_required
@require_POST
def checkup_start_view(request, partner_pk: int):
    try:
        checkup = checkup_open(user=request.user, partner_id=partner_pk)
    except Partner.DoesNotExist:
        raise Http404("No such partner") from None
    return redirect("checkup_edit", pk=checkup.pk)


@login_required
@require_http_methods(["GET", "POST"])
def checkup_edit_view(request, pk: int):
    editing = _editing_or_404(request.user, pk)
    if editing.checkup.is_submitted:
        if request.method == "POST":
            messages.error(
                request, "This check-up was already submitted, so nothing was changed. Use Amend to correct it."
            )
        return redirect("checkup_result", pk=pk)
    if request.method == "GET":
        return _render_form(request, editing, _form(editing), mode="edit")

    action = request.POST.get("action")
    if action not in ACTIONS:
        return HttpResponseBadRequest("Unknown action: use Save draft or Submit.")
    form = _form(editing, data=request.POST, complete=action == "submit")
    if form.is_valid():
        service = checkup_submit if action == "submit" else checkup_save_draft
        try:
            service(user=request.user, checkup_id=pk, data=form.checkup_input())
        except Checkup.DoesNotExist:
            raise Http404("No such check-up") from None
        except CheckupReadOnly as error:
            messages.error(request, str(error))
            return redirect("checkup_result", pk=pk)
        except CheckupError as error:
            form.add_error(None, str(error))
        else:
            if action == "submit":
                messages.success(request, "Check-up submitted. Here is how the partnership scores this quarter.")
                return redirect("checkup_result", pk=pk)
            answered = len(form.checkup_input().answers)
            messages.success(request, f"Draft saved: {answered} of {len(editing.items)} items answered.")
            # An anchor of its own, or the browser would keep the form's (#checkup-form) and scroll past the message.
            return redirect(reverse("checkup_edit", args=[pk]) + "#main")
    return _render_form(request, editing, form, mode="edit", status=400)


@login_required
@require_http_methods(["GET", "POST"])
def checkup_amend_view(request, pk: int):
    editing = _editing_or_404(request.user, pk)
    if not editing.checkup.is_submitted:
        return redirect("checkup_edit", pk=pk)
    if request.method == "GET":
        return _render_form(request, editing, _form(editing), mode="amend")

    form = _form(editing, data=request.POST, complete=True)
    if form.is_valid():
        try:
            checkup = checkup_amend(user=request.user, checkup_id=pk, data=form.checkup_input())
        except Checkup.DoesNotExist:
            raise Http404("No such check-up") from None
        except CheckupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"Amendment saved as revision {checkup.revision}; the previous answers are kept below."
            )
            return redirect("checkup_result", pk=pk)
    return _render_form(request, editing, form, mode="amend", status=400)


@login_required
@require_GET
def checkup_result_view(request, pk: int):
    try:
        result = checkup_result(user=request.user, checkup_id=pk)
    except Checkup.DoesNotExist:
        raise Http404("No such check-up") from None
    result["crosschecks"] = checkups_crosscheck(checkups=[result["checkup"]])[pk]
    return render(request, "checkups/result.html", result)
