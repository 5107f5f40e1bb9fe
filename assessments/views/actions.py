"""Action items: add, edit, mark done, reopen and delete, from the partner page, My check-ups or a case.

Every write form may carry ``next`` (a path on this site) to return to the page
it came from; without one the partner page opens at the action. The add form
may carry ``case``: the case page's link adds the action to that case.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from assessments.forms.actions import ActionItemForm
from assessments.models import ActionItem, Case, Partner
from assessments.selectors.actions import ActionEditing, action_item_for_editing, action_item_new
from assessments.services.actions import (
    ActionItemInvalid,
    action_item_complete,
    action_item_create,
    action_item_delete,
    action_item_reopen,
    action_item_update,
)


def _next(request) -> str:
    """The page to return to, if it is one of ours ("" otherwise)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _case_id(request) -> int | None:
    """The case an action is added from (the case page's link carries it), if any."""
    value = request.POST.get("case") or request.GET.get("case") or ""
    return int(value) if value.isdigit() else None


def _back(request, partner_id: int, action_id: int | None = None):
    anchor = f"#action-{action_id}" if action_id else "#actions"
    return redirect(_next(request) or reverse("partner_detail", args=[partner_id]) + anchor)


def _render_form(request, editing: ActionEditing, form: ActionItemForm, *, status: int = 200):
    # A refusal is in the form's errors: the page's summary lists each with its field.
    return render(
        request,
        "actions/form.html",
        {
            "editing": editing,
            "partner": editing.partner,
            "action": editing.action,
            "form": form,
            "next": _next(request),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_item_add(request, pk: int):
    case_id = _case_id(request)
    try:
        editing = action_item_new(user=request.user, partner_id=pk, case_id=case_id)
    except (Partner.DoesNotExist, Case.DoesNotExist):
        raise Http404("No such partner or case") from None
    choices = {"owners": editing.owners, "items": editing.items}
    if request.method == "GET":
        mine = request.user.pk if request.user.pk in editing.owners.ids else None
        return _render_form(request, editing, ActionItemForm(initial={"owner": mine}, **choices))
    form = ActionItemForm(request.POST, **choices)
    if form.is_valid():
        try:
            action = action_item_create(user=request.user, partner_id=pk, data=form.action_data(), case_id=case_id)
        except Partner.DoesNotExist:
            raise Http404("No such partner") from None
        except ActionItemInvalid as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
            return _render_form(request, editing, form, status=400)
        messages.success(request, f"Action added: {action.description}")
        return _back(request, pk, action.pk)
    return _render_form(request, editing, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def action_item_edit(request, pk: int):
    try:
        editing = action_item_for_editing(user=request.user, action_item_id=pk)
    except ActionItem.DoesNotExist:
        raise Http404("No such action item") from None
    choices = {"owners": editing.owners, "items": editing.items}
    if request.method == "GET":
        return _render_form(
            request, editing, ActionItemForm(initial=ActionItemForm.initial_for(editing.action), **choices)
        )
    form = ActionItemForm(request.POST, **choices)
    if form.is_valid():
        try:
            action = action_item_update(user=request.user, action_item_id=pk, data=form.action_data())
        except ActionItem.DoesNotExist:
            raise Http404("No such action item") from None
        except ActionItemInvalid as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
            return _render_form(request, editing, form, status=400)
        messages.success(request, f"Action saved: {action.description}")
        return _back(request, action.partner_id, action.pk)
    return _render_form(request, editing, form, status=400)


@login_required
@require_POST
def action_item_done(request, pk: int):
    try:
        action = action_item_complete(user=request.user, action_item_id=pk)
    except ActionItem.DoesNotExist:
        raise Http404("No such action item") from None
    messages.success(request, f"Marked done: {action.description}")
    return _back(request, action.partner_id, action.pk)


@login_required
@require_POST
def action_item_reopen_view(request, pk: int):
    try:
        action = action_item_reopen(user=request.user, action_item_id=pk)
    except ActionItem.DoesNotExist:
        raise Http404("No such action item") from None
    messages.success(request, f"Reopened: {action.description}")
    return _back(request, action.partner_id, action.pk)


@login_required
@require_http_methods(["GET", "POST"])
def action_item_delete_view(request, pk: int):
    if request.method == "GET":
        try:
            editing = action_item_for_editing(user=request.user, action_item_id=pk)
        except ActionItem.DoesNotExist:
            raise Http404("No such action item") from None
        return render(
            request,
            "actions/confirm_delete.html",
            {"action": editing.action, "partner": editing.partner, "next": _next(request)},
        )
    try:
        action = action_item_delete(user=request.user, action_item_id=pk)
    except ActionItem.DoesNotExist:
        raise Http404("No such action item") from None
    messages.success(request, f"Deleted: {action.description}")
    return _back(request, action.partner_id)
