"""The partner page (shared by account managers and leadership) and its interaction log (action items: views.actions)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from assessments.forms import InteractionForm
from assessments.forms.partners import PartnerFilterForm
from assessments.models import Partner
from assessments.selectors.access import is_leadership, partners_editable_by, partners_visible_to
from assessments.selectors.crosschecks import partner_crosschecks
from assessments.selectors.history import partner_history
from assessments.selectors.partner_list import partner_list_page, partner_owner_choices
from assessments.selectors.partners import partner_overview
from assessments.services.checkups import CheckupError, interaction_create


def _overview_or_404(user, pk: int) -> dict:
    try:
        return partner_overview(user=user, partner_id=pk)
    except Partner.DoesNotExist:
        raise Http404("No such partner") from None


@login_required
@require_GET
def partner_list_view(request):
    owners = partner_owner_choices() if is_leadership(request.user) else None
    form = PartnerFilterForm(request.GET, owners=owners)
    filters = form.filters()
    listing = partner_list_page(user=request.user, filters=filters, page=request.GET.get("page"))
    return render(request, "partners/list.html", {"form": form, "filters": filters, "listing": listing})


@login_required
@require_GET
def partner_detail(request, pk: int):
    context = _overview_or_404(request.user, pk)
    if context["can_edit"]:
        context["interaction_form"] = InteractionForm()
    context["crosschecks"] = partner_crosschecks(user=request.user, partner_id=pk)
    return render(request, "partners/detail.html", context)


@login_required
@require_GET
def partner_history_view(request, pk: int):
    """The partner's audit trail, for leadership and admins.

    A partner the user cannot see is a 404, as everywhere; an owner who is not leadership gets 403.
    """
    partner = get_object_or_404(partners_visible_to(request.user), pk=pk)
    if not is_leadership(request.user):
        raise PermissionDenied
    return render(request, "partners/history.html", partner_history(partner_id=partner.pk))


@login_required
@require_POST
def interaction_add(request, pk: int):
    partner = get_object_or_404(partners_editable_by(request.user), pk=pk)
    form = InteractionForm(request.POST)
    if form.is_valid():
        try:
            interaction_create(user=request.user, partner_id=partner.pk, **form.cleaned_data)
        except Partner.DoesNotExist:
            raise Http404("No such partner") from None
        except CheckupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Interaction added to the log.")
            return redirect(reverse("partner_detail", args=[partner.pk]) + "#interactions")
    context = _overview_or_404(request.user, partner.pk)
    context["interaction_form"] = form
    return render(request, "partners/detail.html", context, status=400)
