"""The public mirror survey: no account, one secret link per invitation, and the opt-out link.

Every link that does not open the form (unknown, malformed, expired, revoked, answered, opted out)
gets the same generic page, with the same status and body, after the same work (one hash, one
indexed lookup), so an outsider learns nothing about a token. The one exception is the browser
that answered: a signed cookie it received on submitting lets it see "already answered" instead.
Owners see each invitation's real state on the partner's contacts page.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.network import client_ip
from assessments.forms.mirror import SurveyResponseForm, answer_field_name
from assessments.infra.throttle import throttle_hit
from assessments.selectors.survey import contact_for_opt_out_token, invitation_for_token, survey_form
from assessments.services.mirror import (
    MirrorRefused,
    SurveyAlreadyAnswered,
    SurveyClosed,
    SurveyIncomplete,
    contact_opt_out,
    survey_opened,
    survey_save,
)

CLOSED_STATUS = 404
ANSWERED_COOKIE = "survey_answered"
ANSWERED_SALT = "assessments.survey.answered"
ANSWERED_MAX_AGE = 180 * 86_400


def _private(response: HttpResponse) -> HttpResponse:
    # The link is a secret: no cache keeps the page, no other site learns the address, no search engine lists it.
    # ("no-referrer" would also blank the Origin of the form's own POST, which CSRF checking then refuses.)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _closed(request) -> HttpResponse:
    """The one page for every link that does not open the form: it names nothing and no reason."""
    return _private(render(request, "survey/closed.html", {"firm_name": settings.FIRM_NAME}, status=CLOSED_STATUS))


def _limited(request) -> HttpResponse | None:
    allowed = throttle_hit(
        scope="survey",
        client=client_ip(request),
        limit=settings.SURVEY_RATE_LIMIT,
        window_seconds=settings.SURVEY_RATE_WINDOW_SECONDS,
    )
    if allowed:
        return None
    response = render(request, "survey/limited.html", {"firm_name": settings.FIRM_NAME}, status=429)
    response["Retry-After"] = str(settings.SURVEY_RATE_WINDOW_SECONDS)
    return _private(response)


def _answered_here(request) -> set[int]:
    """The invitations this browser answered (from the signed cookie set on submitting)."""
    value = request.get_signed_cookie(ANSWERED_COOKIE, default="", salt=ANSWERED_SALT, max_age=ANSWERED_MAX_AGE)
    return {int(part) for part in value.split(",") if part.isdigit()}


def _remember_answered(request, response: HttpResponse, invitation_id: int) -> None:
    ids = sorted(_answered_here(request) | {invitation_id})[-20:]
    response.set_signed_cookie(
        ANSWERED_COOKIE,
        ",".join(map(str, ids)),
        salt=ANSWERED_SALT,
        max_age=ANSWERED_MAX_AGE,
        path="/survey/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _answered(request, invitation, *, status: int = 200) -> HttpResponse:
    context = {
        "firm_name": settings.FIRM_NAME,
        "partner_name": invitation.contact.partner.name,
        "submitted_at": invitation.responded_at,
        "just_sent": request.GET.get("sent") == "1" and request.method == "GET",
    }
    return _private(render(request, "survey/answered.html", context, status=status))


def _form_page(
    request, survey, form: SurveyResponseForm, *, status: int = 200, incomplete: bool = False
) -> HttpResponse:
    context = {
        "firm_name": survey.firm_name,
        "survey": survey,
        "form": form,
        "saved": request.GET.get("saved") == "1" and request.method == "GET",
        "error_intro": (
            "Your answers are saved, but not sent yet: every question needs an answer. Please answer:"
            if incomplete
            else "Nothing was sent, and nothing you entered was lost. Please fix:"
        ),
    }
    return _private(render(request, "survey/form.html", context, status=status))


@require_http_methods(["GET", "POST"])
def survey_form_view(request, token: str):
    limited = _limited(request)
    if limited is not None:
        return limited
    now = timezone.now()
    invitation = invitation_for_token(token)
    if invitation is None:
        return _closed(request)
    if invitation.responded_at is not None and invitation.pk in _answered_here(request):
        return _answered(request, invitation, status=409 if request.method == "POST" else 200)
    if not invitation.is_open(now):
        return _closed(request)
    survey = survey_form(invitation)
    if request.method == "GET":
        survey_opened(invitation=invitation, now=now)
        form = SurveyResponseForm(
            initial=SurveyResponseForm.initial_for(survey.answers, survey.free_text),
            items=survey.items,
            free_text_question=survey.free_text_question,
        )
        return _form_page(request, survey, form)
    form = SurveyResponseForm(request.POST, items=survey.items, free_text_question=survey.free_text_question)
    if not form.is_valid():
        return _form_page(request, survey, form, status=400)
    try:
        survey_save(
            token=token,
            answers=form.answers(),
            free_text=form.cleaned_data["free_text"],
            submit=form.submitting,
            now=now,
        )
    except SurveyAlreadyAnswered:
        # Another tab or a double click sent it first; the first response stays.
        invitation.refresh_from_db(fields=["responded_at"])
        response = _answered(request, invitation, status=409)
        _remember_answered(request, response, invitation.pk)
        return response
    except SurveyClosed:
        return _closed(request)
    except SurveyIncomplete as incomplete:
        for address in incomplete.addresses:
            form.add_error(answer_field_name(address), "Answer this question before sending.")
        return _form_page(request, survey, form, status=400, incomplete=True)
    except MirrorRefused as refused:
        field = answer_field_name(refused.field) if refused.field and "." in refused.field else refused.field
        form.add_error(field if field in form.fields else None, str(refused))
        return _form_page(request, survey, form, status=400)
    if form.submitting:
        response = redirect(request.path + "?sent=1", permanent=False)
        response.status_code = 303
        _remember_answered(request, response, invitation.pk)
        return _private(response)
    response = redirect(request.path + "?saved=1#survey-saved")
    response.status_code = 303
    return _private(response)


@require_http_methods(["GET", "POST"])
def survey_opt_out_view(request, token: str):
    """The opt-out link of every survey e-mail: a page with one button (a GET changes nothing, so a
    mail scanner that follows links cannot opt anyone out)."""
    limited = _limited(request)
    if limited is not None:
        return limited
    contact = contact_for_opt_out_token(token)
    if contact is None:
        return _closed(request)
    if request.method == "POST":
        contact = contact_opt_out(contact_id=contact.pk)
    context = {"firm_name": settings.FIRM_NAME, "partner_name": contact.partner.name, "contact": contact}
    return _private(render(request, "survey/opt_out.html", context))
