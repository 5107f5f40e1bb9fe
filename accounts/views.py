"""Sign-in pages that are ours rather than Django's: the lock-out page, password reset, invitations.

Each view: authorise → form → one service or selector → render.
"""

from __future__ import annotations

import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN, PasswordResetConfirmView
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.forms import InvitationForm, PasswordResetRequestForm
from accounts.models import Invitation
from accounts.network import client_ip
from accounts.selectors import invitations_recent, roles_grantable_by
from accounts.services import (
    InvitationClosed,
    InvitationError,
    invitation_accept,
    invitation_for_link,
    invitation_send,
    password_reset_complete,
    password_reset_request,
)


def locked_out(request, original_response=None, credentials=None):
    """The page a locked-out login gets (``AXES_LOCKOUT_CALLABLE``): it says how long the lock lasts."""
    minutes = math.ceil(get_cool_off(request).total_seconds() / 60)
    return render(
        request, "registration/locked_out.html", {"minutes": minutes}, status=settings.AXES_HTTP_RESPONSE_CODE
    )


# --- password reset -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def password_reset_request_view(request):
    """The same answer, as fast, for every address: the e-mail (if any) leaves later, from the outbox."""
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        password_reset_request(email=form.cleaned_data["email"], client_ip=client_ip(request))
        return redirect("password_reset_done")
    return render(request, "registration/password_reset_form.html", {"form": form})


class ResetConfirmView(PasswordResetConfirmView):
    """Django's reset-link page; setting the password goes through our service (an invitee is let in)."""

    def form_valid(self, form):
        password_reset_complete(user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


# --- invitations ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def invitation_list_view(request):
    roles = roles_grantable_by(request.user)
    if not roles:
        raise PermissionDenied("Inviting people is for leadership and admins.")
    form = InvitationForm(request.POST if request.method == "POST" else None, roles=roles)
    if form.is_valid():
        try:
            invitation = invitation_send(invited_by=request.user, **form.cleaned_data)
        except InvitationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.user.email} as {invitation.get_role_display()}. "
                f"The link works once, for {settings.INVITATION_VALID_DAYS} days.",
            )
            return redirect("invitations")
    return render(
        request,
        "accounts/invitations.html",
        {"form": form, "invitations": invitations_recent(now=timezone.now()), "valid_days": settings.INVITATION_VALID_DAYS},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request, pk: int, token: str):
    try:
        invitation = invitation_for_link(invitation_id=pk, token=token)
    except Invitation.DoesNotExist:
        raise Http404("No such invitation") from None
    state = invitation.state(timezone.now())
    if state != Invitation.State.OPEN:
        return _closed(request, invitation, state)
    form = SetPasswordForm(invitation.user, request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user = invitation_accept(invitation_id=pk, token=token, password=form.cleaned_data["new_password1"])
        except InvitationClosed as closed:
            return _closed(request, closed.invitation, closed.state)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to Partner Health. Your password is set; you log in as {user.username}.")
        return redirect("home")
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form})


def _closed(request, invitation: Invitation, state: str):
    return render(
        request, "accounts/invitation_closed.html", {"invitation": invitation, "state": state}, status=410
    )
