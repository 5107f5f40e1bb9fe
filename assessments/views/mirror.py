"""The owners' side of the mirror survey: a partner's contacts, this quarter's invitations and their progress.

Anyone who may see the partner reads the page; its owners add and edit contacts, invite, resend
and revoke. Another manager's partner, contact or invitation is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.forms.mirror import ContactForm
from assessments.models import Contact, Partner, SurveyInvitation
from assessments.selectors.survey import contact_for_editing, contacts_page, partner_for_contacts
from assessments.services.mirror import (
    MirrorRefused,
    contact_create,
    contact_opt_in_by_owner,
    contact_opt_out_by_owner,
    contact_update,
    survey_invite,
    survey_resend,
    survey_revoke,
)


def _back(partner_id: int, anchor: str = ""):
    return redirect(reverse("partner_contacts", args=[partner_id]) + anchor)


@login_required
@require_GET
def partner_contacts(request, pk: int):
    now = timezone.now()
    try:
        page = contacts_page(user=request.user, partner_id=pk, now=now)
    except Partner.DoesNotExist:
        raise Http404("No such partner") from None
    return render(request, "mirror/contacts.html", {"page": page, "partner": page.partner})


def _contact_form_page(request, partner, form, contact=None, *, status=200):
    return render(
        request, "mirror/contact_form.html", {"partner": partner, "form": form, "contact": contact}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_add(request, pk: int):
    try:
        partner, can_edit = partner_for_contacts(user=request.user, partner_id=pk)
    except Partner.DoesNotExist:
        raise Http404("No such partner") from None
    if not can_edit:
        raise Http404("No such partner")
    if request.method == "GET":
        return _contact_form_page(request, partner, ContactForm())
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            contact = contact_create(user=request.user, partner_id=pk, data=form.contact_data())
        except MirrorRefused as refused:
            form.add_error(refused.field if refused.field in form.fields else None, str(refused))
        else:
            messages.success(request, f"Contact added: {contact.name}")
            return _back(pk, f"#contact-{contact.pk}")
    return _contact_form_page(request, partner, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk: int):
    try:
        contact = contact_for_editing(user=request.user, contact_id=pk)
    except Contact.DoesNotExist:
        raise Http404("No such contact") from None
    if request.method == "GET":
        return _contact_form_page(
            request, contact.partner, ContactForm(initial=ContactForm.initial_for(contact)), contact
        )
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            contact = contact_update(user=request.user, contact_id=pk, data=form.contact_data())
        except MirrorRefused as refused:
            form.add_error(refused.field if refused.field in form.fields else None, str(refused))
        else:
            messages.success(request, f"Contact saved: {contact.name}")
            return _back(contact.partner_id, f"#contact-{contact.pk}")
    return _contact_form_page(request, contact.partner, form, contact, status=400)


@login_required
@require_POST
def contact_opt_out(request, pk: int):
    try:
        contact = contact_opt_out_by_owner(user=request.user, contact_id=pk)
    except Contact.DoesNotExist:
        raise Http404("No such contact") from None
    messages.success(request, f"{contact.name} will get no more survey e-mails.")
    return _back(contact.partner_id, f"#contact-{contact.pk}")


@login_required
@require_POST
def contact_opt_in(request, pk: int):
    try:
        contact = contact_opt_in_by_owner(user=request.user, contact_id=pk)
    except Contact.DoesNotExist:
        raise Http404("No such contact") from None
    messages.success(request, f"{contact.name} may be invited again.")
    return _back(contact.partner_id, f"#contact-{contact.pk}")


@login_required
@require_POST
def survey_invite_view(request, pk: int):
    ids = [int(value) for value in request.POST.getlist("contact") if value.isdigit()]
    try:
        invitations = survey_invite(user=request.user, partner_id=pk, contact_ids=ids)
    except Partner.DoesNotExist:
        raise Http404("No such partner") from None
    except MirrorRefused as refused:
        messages.error(request, str(refused))
        return _back(pk)
    names = ", ".join(invitation.contact.name for invitation in invitations)
    messages.success(request, f"Invited for {invitations[0].period.code}: {names}. The e-mails are on their way.")
    return _back(pk)


def _invitation_write(request, pk: int, write, done: str):
    try:
        invitation = write(user=request.user, invitation_id=pk)
    except SurveyInvitation.DoesNotExist:
        raise Http404("No such invitation") from None
    except MirrorRefused as refused:
        messages.error(request, str(refused))
        return _back(refused.partner_id)
    messages.success(request, done.format(name=invitation.contact.name))
    return _back(invitation.contact.partner_id, f"#contact-{invitation.contact_id}")


@login_required
@require_POST
def survey_resend_view(request, pk: int):
    return _invitation_write(request, pk, survey_resend, "Invitation sent again to {name}, with the same link.")


@login_required
@require_POST
def survey_revoke_view(request, pk: int):
    return _invitation_write(request, pk, survey_revoke, "Revoked: {name}'s link no longer opens the survey.")
