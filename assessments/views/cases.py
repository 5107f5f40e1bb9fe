"""The Cases inbox and the case page: see a decline, acknowledge, assign, snooze or resolve it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from assessments.forms.cases import (
    CaseAcknowledgeForm,
    CaseAssignForm,
    CaseBulkForm,
    CaseFilterForm,
    CaseResolveForm,
    CaseSnoozeForm,
)
from assessments.models import Case
from assessments.selectors.access import is_leadership
from assessments.selectors.cases import (
    PAGE_SIZE,
    CasePage,
    case_inbox,
    case_page,
    case_state_counts,
    false_alarms_by_rule,
    inbox_rows,
    opened_periods,
    people_for_cases,
)
from assessments.services.case_triage import (
    case_acknowledge,
    case_assign,
    case_resolve,
    case_snooze,
    cases_bulk_act,
)
from assessments.services.cases import CaseActionError

FILTER_KEYS = ("state", "severity", "person", "segment", "kind", "opened", "q", "mine", "sort", "page")


def _filter_query(data: QueryDict, **changes) -> str:
    """The inbox's query string with some keys changed: tabs and pages keep the other filters."""
    params = {key: data.get(key) for key in FILTER_KEYS if data.get(key)}
    params.update({key: value for key, value in changes.items() if value})
    for key in [k for k, v in changes.items() if not v]:
        params.pop(key, None)
    return urlencode(params)


@login_required
@require_GET
def case_list(request):
    people = people_for_cases()
    form = CaseFilterForm(request.GET, people=people, periods=opened_periods())
    filters = form.filters()
    today = timezone.localdate()
    counts = case_state_counts(user=request.user, filters=filters, today=today)
    paginator = Paginator(case_inbox(user=request.user, filters=filters, today=today), PAGE_SIZE)
    # The tab's count is the list's length: the paginator need not count again.
    paginator.count = counts[filters.state]
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = inbox_rows(page.object_list)
    leadership = is_leadership(request.user)
    return render(
        request,
        "cases/list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "state_tabs": [
                (value, label, _filter_query(request.GET, state=value, page=None), counts[value])
                for value, label in form.fields["state"].choices
            ],
            "page_query": _filter_query(request.GET, page=None),
            "people": people,
            "today": today,
            "false_alarms": false_alarms_by_rule() if leadership else None,
            "bulk_form": CaseBulkForm(people=people),
        },
    )


@login_required
@require_POST
def case_bulk(request):
    people = people_for_cases()
    form = CaseBulkForm(request.POST, people=people)
    back = reverse("case_list")
    query = request.POST.get("return_query", "")
    # Only our own filter keys go back into the URL: nothing from the POST is trusted as a path.
    back += "?" + _filter_query(QueryDict(query)) if query else ""
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    result = cases_bulk_act(
        user=request.user,
        case_ids=form.case_ids,
        action=form.cleaned_data["action"],
        note=form.cleaned_data["note"],
        until=form.cleaned_data.get("until"),
        assignee=form.cleaned_data.get("assignee"),
    )
    verb = {"acknowledge": "Acknowledged", "assign": "Assigned", "snooze": "Snoozed"}[form.cleaned_data["action"]]
    if result.done:
        names = ", ".join(case.partner.name for case in result.done)
        messages.success(request, f"{verb} {len(result.done)} case{'s' if len(result.done) != 1 else ''}: {names}.")
    if result.refused:
        messages.warning(
            request,
            f"Refused {len(result.refused)} case{'s' if len(result.refused) != 1 else ''}, left unchanged: "
            + " ".join(reason for _, reason in result.refused),
        )
    return redirect(back)


def _scoped_page(user, pk: int) -> CasePage:
    # Another manager's case is simply not in the user's scope: a 404, never a 403.
    try:
        return case_page(user=user, case_id=pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


def _render_detail(request, page: CasePage, *, status: int = 200, **forms):
    # The four forms share field names (note); each gets ids of its own.
    context = {
        "page": page,
        "case": page.case,
        "ack_form": forms.get("ack_form") or CaseAcknowledgeForm(auto_id="ack-%s"),
        "snooze_form": forms.get("snooze_form") or CaseSnoozeForm(auto_id="snooze-%s"),
        "assign_form": forms.get("assign_form")
        or CaseAssignForm(people=page.people, initial={"assignee": page.case.assignee_id}, auto_id="assign-%s"),
        "resolve_form": forms.get("resolve_form") or CaseResolveForm(auto_id="resolve-%s"),
    }
    return render(request, "cases/detail.html", context, status=status)


@login_required
@require_GET
def case_detail(request, pk: int):
    return _render_detail(request, _scoped_page(request.user, pk))


def _transition(request, page: CasePage, form_name: str, form, act):
    """Validate ``form``, run ``act(case, cleaned_data)``; on a refusal show the page again with the reason."""
    if form.is_valid():
        try:
            message = act(page.case, form.cleaned_data)
        except CaseActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, message)
            return redirect("case_detail", pk=page.case.pk)
    return _render_detail(request, page, status=400, **{form_name: form})


@login_required
@require_POST
def case_acknowledge_view(request, pk: int):
    def act(case, data):
        case_acknowledge(case_id=case.pk, user=request.user, note=data["note"])
        return f"Acknowledged: {case.partner.name}."

    return _transition(
        request, _scoped_page(request.user, pk), "ack_form", CaseAcknowledgeForm(request.POST, auto_id="ack-%s"), act
    )


@login_required
@require_POST
def case_snooze_view(request, pk: int):
    def act(case, data):
        case_snooze(case_id=case.pk, user=request.user, until=data["until"], note=data["note"])
        return f"Snoozed until {data['until']:%d %b %Y}: {case.partner.name}."

    return _transition(
        request, _scoped_page(request.user, pk), "snooze_form", CaseSnoozeForm(request.POST, auto_id="snooze-%s"), act
    )


@login_required
@require_POST
def case_assign_view(request, pk: int):
    page = _scoped_page(request.user, pk)

    def act(case, data):
        case_assign(case_id=case.pk, user=request.user, assignee=data["assignee"], note=data["note"])
        return f"Assigned: {case.partner.name}." if data["assignee"] else f"Unassigned: {case.partner.name}."

    return _transition(
        request, page, "assign_form", CaseAssignForm(request.POST, people=page.people, auto_id="assign-%s"), act
    )


@login_required
@require_POST
def case_resolve_view(request, pk: int):
    def act(case, data):
        resolved = case_resolve(case_id=case.pk, user=request.user, resolution=data["resolution"], note=data["note"])
        return f"Resolved ({resolved.get_resolution_display().lower()}): {case.partner.name}."

    return _transition(
        request,
        _scoped_page(request.user, pk),
        "resolve_form",
        CaseResolveForm(request.POST, auto_id="resolve-%s"),
        act,
    )
