"""Leadership's portfolio dashboard (004) and its CSV export.

The whole portfolio is leadership's view: an account manager gets 403 here
(they see their own partners on the home page), never a partial dashboard.
"""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render

from assessments.forms.dashboard import DashboardFilterForm
from assessments.selectors.access import is_leadership
from assessments.selectors.crosschecks import contradicted_checkups
from assessments.selectors.dashboard.export import portfolio_heatmap_csv
from assessments.selectors.dashboard.page import portfolio_dashboard


def _authorise(request) -> None:
    if not is_leadership(request.user):
        raise PermissionDenied("The portfolio dashboard is for leadership.")


@login_required
def dashboard(request):
    _authorise(request)
    form = DashboardFilterForm(request.GET)
    filters = form.filters()
    data = portfolio_dashboard(options=form.options, filters=filters, page=request.GET.get("page") or 1)
    crosscheck_list = contradicted_checkups(user=request.user, period_code=data.period.code) if data else None
    return render(
        request,
        "dashboards/portfolio.html",
        {"form": form, "filters": filters, "data": data, "crosscheck_list": crosscheck_list},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def dashboard_export(request):
    _authorise(request)
    form = DashboardFilterForm(request.GET)
    period_code, rows = portfolio_heatmap_csv(options=form.options, filters=form.filters())
    writer = csv.writer(_Echo())
    lines = (writer.writerow(row) for row in rows)
    response = StreamingHttpResponse(_with_bom(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="partner-health-{period_code or "empty"}.csv"'
    return response


def _with_bom(lines):
    # A byte-order mark so spreadsheet programs read the file as UTF-8.
    yield "\ufeff"
    yield from lines
