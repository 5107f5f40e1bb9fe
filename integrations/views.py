"""Leadership's integrations pages: endpoints, their secrets (shown once) and delivery logs.

Account managers get 403 on the list, as on the dashboard (this is the firm's configuration, not
theirs), and 404 on an endpoint's pages, which never admit that an endpoint exists.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from assessments.selectors.access import is_leadership
from integrations.events import SUBSCRIBABLE
from integrations.forms import EndpointForm
from integrations.models import Endpoint
from integrations.selectors import endpoint_log, endpoints_list
from integrations.services import (
    EndpointOff,
    endpoint_create,
    endpoint_ping,
    endpoint_secret_rotate,
    endpoint_update,
)
from integrations.signing import SIGNATURE_HEADER

_SHOW_ONCE = "integrations_secret_once"


def _authorise(request) -> None:
    if not is_leadership(request.user):
        raise PermissionDenied("Integrations are for leadership.")


def _endpoint(request, pk: int) -> Endpoint:
    # Someone who may not see integrations is not told whether this one exists (a 404, as for
    # another manager's partner); the list page itself says 403.
    if not is_leadership(request.user):
        raise Http404("No such endpoint.")
    try:
        return Endpoint.objects.select_related("owner").get(pk=pk)
    except Endpoint.DoesNotExist:
        raise Http404("No such endpoint.") from None


@login_required
def integration_list(request):
    _authorise(request)
    form = EndpointForm(request.POST or None, creating=True, initial={"enabled": True})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            endpoint = endpoint_create(
                owner=request.user,
                name=data["name"],
                kind=data["kind"],
                url=data["url"],
                events=data["events"],
                enabled=data["enabled"],
                secret=data.get("secret", ""),
            )
            if endpoint.secret and not data.get("secret"):
                request.session[_SHOW_ONCE] = [endpoint.pk, endpoint.secret]
            messages.success(request, f"“{endpoint.name}” is registered.")
            return redirect("integration_detail", endpoint.pk)
        status = 400
    else:
        status = 200
    return render(
        request,
        "integrations/list.html",
        {"form": form, "endpoints": endpoints_list(), "events": list(SUBSCRIBABLE)},
        status=status,
    )


@login_required
def integration_detail(request, pk: int):
    endpoint = _endpoint(request, pk)
    form = EndpointForm(request.POST or None, instance=endpoint)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            endpoint_update(
                endpoint=endpoint, name=data["name"], url=data["url"], events=data["events"], enabled=data["enabled"]
            )
            messages.success(request, "Saved.")
            return redirect("integration_detail", endpoint.pk)
        status = 400
        endpoint.refresh_from_db()
    shown = request.session.pop(_SHOW_ONCE, None)
    secret = shown[1] if shown and shown[0] == endpoint.pk else None
    return render(
        request,
        "integrations/detail.html",
        {
            "endpoint": endpoint,
            "form": form,
            "deliveries": endpoint_log(endpoint_id=endpoint.pk),
            "secret": secret,
            "signature_header": SIGNATURE_HEADER,
        },
        status=status,
    )


@login_required
@require_POST
def integration_secret(request, pk: int):
    """A new signing secret, shown once on the endpoint's page."""
    endpoint = _endpoint(request, pk)
    if endpoint.kind != Endpoint.Kind.WEBHOOK:
        raise Http404("Only webhooks have a signing secret.")
    request.session[_SHOW_ONCE] = [endpoint.pk, endpoint_secret_rotate(endpoint=endpoint)]
    messages.success(request, "A new secret is in use from the next delivery. Give it to the receiver now.")
    return redirect("integration_detail", endpoint.pk)


@login_required
@require_POST
def integration_ping(request, pk: int):
    """One test event to this endpoint, through the same outbox as real events."""
    endpoint = _endpoint(request, pk)
    try:
        endpoint_ping(endpoint=endpoint)
    except EndpointOff as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "Test event queued; its attempts show below.")
    return redirect("integration_detail", endpoint.pk)
