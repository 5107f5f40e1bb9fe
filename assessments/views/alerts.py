"""Alerts in the app: leadership and the owning managers see them, acknowledge or snooze them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from assessments.emails import partner_url
from assessments.forms.alerts import AlertAcknowledgeForm, AlertSnoozeForm
from assessments.models import Alert
from assessments.selectors.alerts import AlertPage, alert_page
from assessments.services.alerts import AlertActionError, alert_acknowledge, alert_snooze


@login_required
def alert_list(request):
    # The inbox is Cases now (one case per declining partner); the old address leads there.
    return redirect("case_list")


def _scoped_page(user, pk: int) -> AlertPage:
    # Another manager's alert is simply not in the user's scope: a 404, never a 403.
    try:
        return alert_page(user=user, alert_id=pk)
    except Alert.DoesNotExist:
        raise Http404("No such alert.") from None


def _render_detail(request, page: AlertPage, *, ack_form=None, snooze_form=None, status: int = 200):
    return render(
        request,
        "alerts/detail.html",
        {
            "page": page,
            "alert": page.alert,
            "partner_link": partner_url(page.alert.partner_id),
            "ack_form": ack_form or AlertAcknowledgeForm(),
            "snooze_form": snooze_form or AlertSnoozeForm(),
        },
        status=status,
    )


@login_required
def alert_detail_view(request, pk: int):
    return _render_detail(request, _scoped_page(request.user, pk))


@login_required
@require_POST
def alert_acknowledge_view(request, pk: int):
    page = _scoped_page(request.user, pk)
    alert = page.alert
    form = AlertAcknowledgeForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, page, ack_form=form, status=400)
    alert_acknowledge(alert=alert, user=request.user, note=form.cleaned_data["note"])
    messages.success(
        request, f"Acknowledged: {alert.partner.name}, {alert.period.code}. It stays in the partner's history."
    )
    return redirect("alert_list")


@login_required
@require_POST
def alert_snooze_view(request, pk: int):
    page = _scoped_page(request.user, pk)
    alert = page.alert
    form = AlertSnoozeForm(request.POST)
    if form.is_valid():
        try:
            alert_snooze(
                alert=alert, user=request.user, reason=form.cleaned_data["reason"], until=form.cleaned_data["until"]
            )
        except AlertActionError as error:
            form.add_error(None, str(error))
    if not form.is_valid():
        return _render_detail(request, page, snooze_form=form, status=400)
    messages.success(
        request, f"Snoozed until {form.cleaned_data['until']:%d %b %Y}: {alert.partner.name}, {alert.period.code}."
    )
    return redirect("alert_list")
