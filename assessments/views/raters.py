"""Leadership's raters page: how generously each rater scores against colleagues (docs/CALIBRATION.md).

Leadership's view, like the dashboard: an account manager gets 403.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from assessments.selectors.access import is_leadership
from assessments.selectors.calibration import raters_overview


@login_required
@require_GET
def raters(request):
    if not is_leadership(request.user):
        raise PermissionDenied("The raters page is for leadership.")
    return render(request, "dashboards/raters.html", raters_overview())
