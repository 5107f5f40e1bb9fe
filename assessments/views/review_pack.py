"""The quarterly review pack: a print-friendly page and the same pack as a PDF (owners and leadership)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from assessments.infra.pdf import BASE_URL, pdf_from_html
from assessments.models import Partner
from assessments.selectors.review_pack import review_pack

STYLESHEET = "css/review_pack.css"


def _pack_or_404(user, pk: int) -> dict:
    try:
        return review_pack(user=user, partner_id=pk)
    except Partner.DoesNotExist:
        raise Http404("No such partner") from None


@login_required
@require_GET
def review_pack_page(request, pk: int):
    return render(request, "review/pack.html", _pack_or_404(request.user, pk))


@login_required
@require_GET
def review_pack_pdf(request, pk: int):
    context = _pack_or_404(request.user, pk)
    # The stylesheet by its plain path on the renderer's made-up origin: the PDF fetcher serves it
    # from the static finders (a hashed production name would not be found there).
    context["stylesheet_url"] = BASE_URL + settings.STATIC_URL.lstrip("/") + STYLESHEET
    pdf = pdf_from_html(render_to_string("review/pack_pdf.html", context, request=request))
    response = HttpResponse(pdf.content, content_type="application/pdf")
    name = f"review-pack-{slugify(context['partner'].name) or 'partner'}-{context['quarter'].code}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Server-Timing"] = f"pdf;dur={pdf.seconds * 1000:.0f}"
    return response
