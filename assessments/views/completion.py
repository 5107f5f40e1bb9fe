"""Check-up completion (leadership): whose check-ups are missing or overdue, and a nudge by e-mail.

Leadership's view, like the dashboard: an account manager gets 403 here (their own check-ups
are on My check-ups).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from assessments.forms.completion import CompletionFilterForm, NudgeForm, NudgeManagerForm
from assessments.selectors.access import is_leadership
from assessments.selectors.completion import checkup_completion, completion_managers, completion_quarters
from assessments.services.nudges import NudgeError, NudgeOutcome, checkup_nudge, checkups_nudge_manager

# A filter carried back after a nudge: an id, a page number or a quarter code, nothing else.
_SAFE = re.compile(r"[0-9A-Za-z-]{1,12}")


def _authorise(request) -> None:
    if not is_leadership(request.user):
        raise PermissionDenied("Check-up completion is for leadership.")


def _page(request, query, *, status: int = 200, error: str = ""):
    today = timezone.localdate()
    managers = completion_managers()
    form = CompletionFilterForm(query, managers=managers, quarters=completion_quarters(today=today))
    quarter, manager_id = form.filters()
    report = checkup_completion(
        today=today, quarter=quarter, manager_id=manager_id, page=query.get("page") or 1, managers=managers
    )
    applied = urlencode({k: v for k, v in (("manager", manager_id or ""), ("quarter", quarter)) if v})
    context = {"form": form, "report": report, "error": error, "applied": applied}
    return render(request, "completion/checkups.html", context, status=status)


def _back(query) -> str:
    """The page's own filters, carried through a nudge so the leader lands where they were."""
    kept = {key: query.get(key) for key in ("manager", "quarter", "page") if _SAFE.fullmatch(str(query.get(key) or ""))}
    return urlencode({key: value for key, value in kept.items() if value})


def _posted_filters(request) -> dict[str, str]:
    """The filters of the page the nudge was sent from (its ``back_*`` fields)."""
    return {key: request.POST.get(f"back_{key}", "") for key in ("manager", "quarter", "page")}


def _return(request):
    back = _back(_posted_filters(request))
    return redirect(reverse("checkup_completion") + (f"?{back}" if back else ""))


def _say(request, outcome: NudgeOutcome) -> None:
    if len(outcome.nudged) == 1:
        who = outcome.nudged[0]
        messages.success(request, f"Nudged {who.rater} about {who.partner} ({who.quarter}).")
    elif outcome.nudged:
        messages.success(request, f"Nudged {outcome.nudged[0].rater} about {len(outcome.nudged)} check-ups.")
    if len(outcome.already) == 1 and not outcome.nudged:
        who = outcome.already[0]
        messages.info(
            request, f"{who.rater} was already nudged today about {who.partner} ({who.quarter}): nothing sent again."
        )
    elif outcome.already:
        messages.info(request, f"{len(outcome.already)} already nudged today: nothing sent again for those.")
    if outcome.no_email:
        messages.warning(request, f"{outcome.no_email[0].rater} has no e-mail address: nobody could be nudged.")


@login_required
@require_GET
def checkup_completion_view(request):
    _authorise(request)
    return _page(request, request.GET)


@login_required
@require_POST
def checkup_nudge_view(request):
    _authorise(request)
    form = NudgeForm(request.POST)
    if not form.is_valid():
        return _page(request, _posted_filters(request), status=400, error="Choose a check-up to nudge.")
    try:
        outcome = checkup_nudge(
            user=request.user,
            partner_id=form.cleaned_data["partner"],
            rater_id=form.cleaned_data["rater"],
            quarter=form.cleaned_data["quarter"],
        )
    except NudgeError as error:
        return _page(request, _posted_filters(request), status=400, error=str(error))
    _say(request, outcome)
    return _return(request)


@login_required
@require_POST
def checkup_nudge_manager_view(request):
    _authorise(request)
    form = NudgeManagerForm(request.POST)
    if not form.is_valid():
        return _page(request, _posted_filters(request), status=400, error="Choose an account manager to nudge.")
    try:
        outcome = checkups_nudge_manager(
            user=request.user, manager_id=form.cleaned_data["manager"], quarter=form.cleaned_data["quarter"]
        )
    except NudgeError as error:
        return _page(request, _posted_filters(request), status=400, error=str(error))
    _say(request, outcome)
    return _return(request)
