"""The quarterly review pack: the print page and the PDF show the same stored figures."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from assessments.charts import line_chart
from assessments.infra.pdf import BASE_URL, static_only_fetcher, static_path_for
from assessments.models import Interaction, PartnerSnapshot
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import (
    ActionItemFactory,
    CaseFactory,
    EngagementFactory,
    InteractionFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
    submitted_checkup,
)
from conftest import service_missing

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture(autouse=True)
def _in_q4_2026():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def manager():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


@pytest.fixture
def partner(manager, items):
    partner = PartnerFactory(name="Northwind Systems", owners=[manager])
    for code, overrides in [
        ("2026-Q1", {}),
        ("2026-Q2", {}),
        ("2026-Q3", {"traits__face_to_face": 1, "traits__caring": 2, "symptoms__little_interaction": 2}),
    ]:
        period = PeriodFactory.of(code)
        submitted_checkup(
            items=items, answers=answers_for(items, **overrides), partner=partner, period=period, rater=manager
        )
        with transaction.atomic():
            snapshots_recompute(pairs={(partner.id, period.id)})
    q3, q4 = PeriodFactory.of("2026-Q3"), PeriodFactory.of("2026-Q4")
    case = CaseFactory(partner=partner, opened_period=q3)
    ActionItemFactory(
        partner=partner,
        period=q4,
        case=case,
        description="Hold the joint pipeline review in person",
        due_on=dt.date(2026, 12, 15),
    )
    ActionItemFactory(
        partner=partner, period=q3, case=case, description="Name a sponsor on both sides", due_on=dt.date(2026, 10, 31)
    )
    EngagementFactory(
        partner=partner, title="Service desk", status="won", value=120_000, started_on=dt.date(2026, 10, 2)
    )
    EngagementFactory(
        partner=partner, title="Data centre move", status="lost", value=80_000, started_on=dt.date(2026, 5, 4)
    )
    EngagementFactory(partner=partner, title="Old deal", status="won", value=999_000, started_on=dt.date(2024, 1, 4))
    InteractionFactory(
        partner=partner,
        occurred_on=dt.date(2026, 10, 8),
        kind=Interaction.Kind.QBR,
        face_to_face=True,
        summary="Q3 review in Leeds",
    )
    InteractionFactory(
        partner=partner,
        occurred_on=dt.date(2026, 11, 3),
        kind=Interaction.Kind.CALL,
        face_to_face=False,
        summary="Pipeline call",
    )
    InteractionFactory(partner=partner, occurred_on=dt.date(2026, 2, 3), kind=Interaction.Kind.MEETING)
    return partner


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


def pdf_text(content: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def test_the_review_pack_page_shows_health_the_case_its_plan_and_the_quarter_in_plain_words(manager, partner):
    latest = PartnerSnapshot.objects.get(partner=partner, period__code="2026-Q3")
    response = client_for(manager).get(reverse("review_pack", args=[partner.pk]))

    assert response.status_code == 200
    page = text(response.content.decode())
    assert "Quarterly review pack · 2026-Q4" in page and "Northwind Systems" in page
    assert f"Health (2026-Q3) {latest.health:.1f}" in page
    assert "Band Watch" in page or "Band Healthy" in page or "Band At risk" in page
    assert "Warning case: declining since 2026-Q3 · Open" in page
    assert "Hold the joint pipeline review in person Ana Alvarez 15 Dec 2026 Open" in page
    assert "Name a sponsor on both sides Ana Alvarez 31 Oct 2026 Overdue" in page
    assert "Overall health declining (2026-Q3, warning): Overall health fell from 75 to 50" in page
    # This quarter, then the last four quarters (2026-Q1 to 2026-Q4).
    assert "Engagements started 1 2" in page
    assert "Won (won, active or completed) 1 1" in page and "Lost 0 1" in page
    assert "Joint win rate 100% 50%" in page
    assert "Value won €120,000 €120,000" in page
    assert "Interactions 2 3" in page and "Face to face 1 2" in page and "Quarterly business reviews 1 1" in page
    assert "Old deal" not in page
    assert "8 Oct 2026 · Quarterly business review (face to face): Q3 review in Leeds" in page
    assert "How they see us: the perception gap No response from the partner yet." in page
    # The trend is an SVG drawn on the server, not a canvas a printer or the PDF would miss.
    html = response.content.decode()
    assert '<svg class="ph-svg-chart"' in html and "<canvas" not in html and "<polyline" in html
    assert "css/review_pack.css" in html


def test_the_partner_page_links_to_the_review_pack(manager, partner):
    html = client_for(manager).get(reverse("partner_detail", args=[partner.pk])).content.decode()
    assert f'href="{reverse("review_pack", args=[partner.pk])}">Quarterly review pack</a>' in html


def test_another_managers_partner_has_no_review_pack_but_leadership_reads_every_one(partner):
    other = UserFactory(username="ben", role="account_manager")
    leader = UserFactory(username="lea", role="leadership")
    for name in ("review_pack", "review_pack_pdf"):
        assert client_for(other).get(reverse(name, args=[partner.pk])).status_code == 404
    assert client_for(leader).get(reverse("review_pack", args=[partner.pk])).status_code == 200


def test_the_pdf_is_rendered_on_the_server_with_the_figures_of_the_page(manager, partner):
    latest = PartnerSnapshot.objects.get(partner=partner, period__code="2026-Q3")
    started = time.perf_counter()
    response = client_for(manager).get(reverse("review_pack_pdf", args=[partner.pk]))
    seconds = time.perf_counter() - started

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="review-pack-northwind-systems-2026-Q4.pdf"'
    assert response.content.startswith(b"%PDF-")
    words = pdf_text(response.content)
    assert "Northwind Systems" in words
    assert f"{latest.health:.1f}" in words
    band = {"healthy": "Healthy", "watch": "Watch", "at_risk": "At risk", "critical": "Critical"}[latest.band]
    assert band in words
    assert "Warning case: declining since 2026-Q3" in words
    assert "Hold the joint pipeline review in person" in words and "Name a sponsor on both sides" in words
    assert "€120,000" in words and "No response from the partner yet." in words
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "review-pack.pdf").write_bytes(response.content)
    print(f"review pack PDF: {len(response.content)} bytes, {seconds:.2f} s")
    assert len(response.content) < 500_000


def test_one_page_of_the_pdf_turns_into_a_png(manager, partner):
    if shutil.which("pdftoppm") is None:
        service_missing("pdftoppm (Debian poppler-utils) is not installed")
    content = client_for(manager).get(reverse("review_pack_pdf", args=[partner.pk])).content
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / "review-pack.pdf"
    source.write_bytes(content)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(ARTIFACTS / "review-pack-page1"),
        ],
        check=True,
        timeout=60,
    )
    png = (ARTIFACTS / "review-pack-page1.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5_000


def test_the_pdf_renderer_fetches_our_static_files_and_nothing_else(settings):
    fetcher = static_only_fetcher()
    response = fetcher(BASE_URL + "static/css/review_pack.css")
    assert b".pack" in response.read() and response.content_type == "text/css"
    for url in (
        "https://example.com/static/css/review_pack.css",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        BASE_URL + "static/../partnerhealth/settings.py",
        BASE_URL + "admin/",
        BASE_URL + "static/css/missing.css",
    ):
        with pytest.raises(ValueError, match="Only our static files are fetched"):
            fetcher(url)
    assert static_path_for(BASE_URL + "static/css/app.css") == "css/app.css"
    assert static_path_for(BASE_URL + "static/a/../../b") is None


def test_a_line_chart_breaks_its_line_at_a_quarter_nobody_scored():
    chart = line_chart(["Q1", "Q2", "Q3", "Q4"], [("Health", [80.0, None, 50.0, 40.0])], thresholds=[(70, "Healthy")])
    (series,) = chart.series
    assert [p.value for p in series.points] == [80.0, 50.0, 40.0]
    assert len(series.segments) == 2 and series.segments[0].count(",") == 1
    assert all(chart.top <= p.y <= chart.bottom for p in series.points)
    assert chart.thresholds[0].label == "Healthy"
    with pytest.raises(ValueError, match="has 1 values for 4 quarters"):
        line_chart(["Q1", "Q2", "Q3", "Q4"], [("Health", [1.0])])
