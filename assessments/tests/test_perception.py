"""The perception gap: our rating of a partner set against its rating of us, on the partner page
and in the review pack, from the same stored values."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse

from assessments.models import PartnerSnapshot
from assessments.perception import gap, gap_sentence, item_gaps, view_dropped, view_point
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import PartnerFactory, PeriodFactory, UserFactory, answers_for, submitted_checkup
from assessments.tests.mirror_factories import partner_answers, submitted_response

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_q4_2026():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def manager():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


def scored(partner, items, manager, ours: dict, theirs: dict | None):
    """Our check-up and (optionally) the partner's responses for each quarter, then the snapshots."""
    for code, overrides in ours.items():
        period = PeriodFactory.of(code)
        submitted_checkup(
            items=items, answers=answers_for(items, **overrides), partner=partner, period=period, rater=manager
        )
        for answers in (theirs or {}).get(code, []):
            submitted_response(answers=partner_answers(**answers), contact__partner=partner, period=period)
        with transaction.atomic():
            snapshots_recompute(pairs={(partner.id, period.id)})


@pytest.fixture
def partner(manager, items):
    partner = PartnerFactory(name="Northwind Systems", owners=[manager])
    scored(
        partner,
        items,
        manager,
        ours={"2026-Q1": {}, "2026-Q2": {}, "2026-Q3": {"traits__face_to_face": 1}},
        theirs={
            "2026-Q2": [{}],
            "2026-Q3": [{"traits__caring": 2, "symptoms__little_interaction": 2}, {"traits__caring": 2}],
        },
    )
    return partner


def page_text(user, name, partner) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse(name, args=[partner.pk]))
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_partner_page_sets_their_rating_of_us_against_ours_trait_by_trait(manager, partner):
    ours = PartnerSnapshot.objects.get(partner=partner, period__code="2026-Q3")
    theirs = ours.partner_view
    assert theirs["responses"] == 2
    value = theirs["health"] - ours.health

    page = page_text(manager, "partner_detail", partner)

    assert f"Their rating of us (2026-Q3) {theirs['health']:.1f} 2 responses" in page
    assert f"Our rating of them (2026-Q3) {ours.health:.1f}" in page
    sign = "+" if value > 0 else "\u2212"
    assert f"Perception gap {sign}{abs(value):.1f} their rating minus ours" in page
    word = "higher" if value > 0 else "lower"
    assert f"Northwind Systems rates us {abs(value):.1f} points {word} than we rate them." in page
    # Trait by trait, on the 1-5 scale, in words; the gap is theirs minus ours.
    assert "Caring 4 · Good 2 · Weak \u22122.0" in page
    assert "Meeting face to face 1 · Poor 4 · Good +3.0" in page
    assert "Homework 4 · Good 4 · Good 0.0" in page
    # The symptoms as each side sees them (a mean of two contacts: 1 · Mild).
    assert "Little to no interaction 0 · None 1 · Mild +1.0" in page
    # Over the quarters: Q1 had no response, so no gap.
    q2 = PartnerSnapshot.objects.get(partner=partner, period__code="2026-Q2")
    drop = q2.partner_view["health"] - theirs["health"]
    assert drop >= 5
    assert f"Their view of us dropped by {drop:.1f} points since 2026-Q2." in page
    assert f"Their rating of us — — — — — — {q2.partner_view['health']:.1f} {theirs['health']:.1f}" in page
    assert "traits.caring" not in page and "little_interaction" not in page


def test_a_partner_that_never_answered_says_so_on_the_page_and_in_the_pack(manager, items):
    quiet = PartnerFactory(name="Quiet Ltd", owners=[manager])
    scored(quiet, items, manager, ours={"2026-Q3": {}}, theirs=None)
    for name in ("partner_detail", "review_pack"):
        assert "No response from the partner yet." in page_text(manager, name, quiet)


def test_a_response_for_a_quarter_we_have_not_scored_shows_before_our_check_up(manager, partner):
    # 2026-Q4: one contact has answered; nobody here has submitted a check-up yet.
    submitted_response(
        answers=partner_answers(traits__caring=1), contact__partner=partner, period=PeriodFactory.of("2026-Q4")
    )
    page = page_text(manager, "partner_detail", partner)
    assert "Their rating of us (2026-Q4)" in page and "1 response " in page
    assert "Our rating of them (2026-Q4) —" in page
    assert "No gap yet: both sides need to have scored the same quarter." in page
    assert "Caring — 1 · Poor —" in page


def test_the_review_pack_shows_both_views_and_the_gap_from_the_same_stored_values(manager, partner):
    ours = PartnerSnapshot.objects.get(partner=partner, period__code="2026-Q3")
    theirs = ours.partner_view
    page = page_text(manager, "review_pack", partner)
    detail = page_text(manager, "partner_detail", partner)
    for figure in (
        f"Their rating of us (2026-Q3) {theirs['health']:.1f}",
        f"Our rating of them (2026-Q3) {ours.health:.1f}",
        "Caring 4 · Good 2 · Weak \u22122.0",
        "Little to no interaction 0 · None 1 · Mild +1.0",
    ):
        assert figure in page and figure in detail


def test_the_pdf_carries_the_gap(manager, partner):
    import io

    from pypdf import PdfReader

    client = Client()
    client.force_login(manager)
    content = client.get(reverse("review_pack_pdf", args=[partner.pk])).content
    artifacts = Path(__file__).resolve().parents[2] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "review-pack-gap.pdf").write_bytes(content)
    words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    words = re.sub(r"\s+", " ", words)
    ours = PartnerSnapshot.objects.get(partner=partner, period__code="2026-Q3")
    assert f"{ours.partner_view['health']:.1f}" in words
    assert "How they see us: the perception gap" in words and "Their rating of us" in words


# --- the pure rules ------------------------------------------------------------------------


def test_the_gap_is_their_view_minus_ours_and_needs_both():
    assert gap(70.0, 62.5) == -7.5
    assert gap(None, 62.5) is None and gap(70.0, None) is None
    assert gap_sentence(-7.5, partner="Acme") == "Acme rates us 7.5 points lower than we rate them."
    assert gap_sentence(3.0, partner="Acme") == "Acme rates us 3.0 points higher than we rate them."
    assert gap_sentence(-2.0, partner="Acme") == "Acme and we rate each other about the same."
    assert gap_sentence(None, partner="Acme").startswith("No gap yet")


def test_item_gaps_line_up_on_the_same_keys():
    rows = item_gaps(["traits.caring", "traits.honesty"], {"traits.caring": 4.0}, {"traits.caring": 2.5})
    assert [(r.address, r.gap) for r in rows] == [("traits.caring", -1.5), ("traits.honesty", None)]


def test_a_view_drops_by_five_points_or_more():
    assert view_dropped(80.0, 75.0) and not view_dropped(80.0, 75.1) and not view_dropped(None, 10.0)


def test_a_view_reads_as_a_snapshot_point_for_the_decline_detector():
    point = view_point(
        "2026-Q3",
        {
            "health": 61.5,
            "band": "watch",
            "rubric_scores": {"traits": 60.0},
            "item_means": {"traits.caring": 2.0},
            "responses": 2,
        },
    )
    assert (point.period, point.health, point.band, point.items["traits.caring"]) == ("2026-Q3", 61.5, "watch", 2.0)
    assert point.red_flags == {} and point.raters == {}
