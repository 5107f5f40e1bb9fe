"""The list of check-ups the evidence contradicts (docs/EVIDENCE.md)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from assessments.selectors.access import is_leadership
from assessments.selectors.crosschecks import contradicted_checkups


@login_required
@require_GET
def checkup_contradictions_view(request):
    # Scoping is the selector's: leadership reads every partner, a manager the partners they own.
    data = contradicted_checkups(user=request.user, period_code=request.GET.get("period") or None)
    return render(request, "crosschecks/list.html", {"data": data, "is_leadership": is_leadership(request.user)})
