"""Evidence cross-checks where people see them: the check-up form, the result page, the partner page,
the dashboard's and My check-ups' count and the list behind it; the selector's queries; who sees what."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Checkup, Engagement
from assessments.selectors.crosschecks import checkups_crosscheck, contradicted_checkups, draft_crosscheck
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import (
    CheckupFactory,
    EngagementFactory,
    InteractionFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
    checkup_form_data,
    submitted_checkup,
)

pytestmark = pytest.mark.django_db

NOV_2026 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)

CONTACT = (
    "Rated close, but no contact on record. Trust between the organisations rated 5 · Excellent and Meeting face to "
    "face rated 5 · Excellent, but no interaction has been logged for 210 days, since 4 Mar 2026 (the check looks "
    "for one within 120 days); no meeting in person is logged at all."
)
QUIET = (
    "No lack of interaction, but none logged this quarter. Little to no interaction rated 0 · None, but no "
    "interaction is logged in 2026-Q3 (1 Jul 2026 to 30 Sep 2026)."
)
RAINBOWS = (
    "No chasing rainbows, but proposals keep failing. Chasing rainbows rated 0 · None, but 4 joint proposals were "
    "made in the last 8 quarters (2024-Q4 to 2026-Q3) and none was won."
)
HONESTY = (
    "Rated honest, but information was withheld. Honesty rated 5 · Excellent, but the same check-up flags that they "
    "withheld information we needed."
)
PAYMENT = (
    "Payment reports disagree. Days to pay reported as 30 days, on time (net 30), but another check-up of them for "
    "2026-Q3 reports 80 days, 50 beyond the terms."
)
SOURCES_001_002 = (
    "From “Seven things it takes to be a partner” and “Five symptoms that a partnership is under the weather”."
)


@pytest.fixture(autouse=True)
def _in_q4_2026():
    with time_machine.travel(NOV_2026, tick=False):
        yield


def text(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, white space collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return (
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
        .replace(" .", ".")
        .replace(" ,", ",")
        .replace(" :", ":")
    )


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(items):
    """2026-Q3: Ana's Northwind check-up contradicts everything on record, Chloe's disagrees with it about
    payment; Ben's Bluepeak check-up rates trust high with no contact; Ana's Cedar check-up is consistent."""
    ana = UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")
    ben = UserFactory(username="ben", first_name="Ben", last_name="Okafor", role="account_manager")
    chloe = UserFactory(username="chloe", first_name="Chloe", last_name="Dubois", role="account_manager")
    lena = UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")
    q3 = PeriodFactory.of("2026-Q3")
    northwind = PartnerFactory(name="Northwind Systems", owners=[ana, chloe], payment_terms_days=30)
    bluepeak = PartnerFactory(name="Bluepeak Digital", owners=[ben])
    cedar = PartnerFactory(name="Cedar Logistics", owners=[ana])
    InteractionFactory(partner=northwind, occurred_on=dt.date(2026, 3, 4), kind="call", face_to_face=False)
    InteractionFactory(partner=cedar, occurred_on=dt.date(2026, 9, 1))
    InteractionFactory(partner=bluepeak, occurred_on=dt.date(2026, 1, 10))
    for day in (dt.date(2025, 2, 1), dt.date(2025, 9, 1), dt.date(2026, 2, 1), dt.date(2026, 8, 1)):
        EngagementFactory(partner=northwind, status="lost", started_on=day)
    EngagementFactory(partner=northwind, status="won", started_on=dt.date(2024, 9, 30))  # before the 8 quarters
    EngagementFactory(partner=cedar, status="won", started_on=dt.date(2026, 5, 1))
    high = answers_for(items, rating=5, intensity=0)
    checkups = {
        "ana": submitted_checkup(
            items=items, answers=high, partner=northwind, period=q3, rater=ana, info_withheld=True, days_to_pay=30
        ),
        "chloe": submitted_checkup(
            items=items,
            answers=answers_for(items, rating=3, intensity=1),
            partner=northwind,
            period=q3,
            rater=chloe,
            days_to_pay=80,
        ),
        "ben": submitted_checkup(
            items=items, answers=answers_for(items, rating=4, intensity=1), partner=bluepeak, period=q3, rater=ben
        ),
        "cedar": submitted_checkup(items=items, answers=answers_for(items), partner=cedar, period=q3, rater=ana),
    }
    snapshots_recompute(pairs={(c.partner_id, q3.id) for c in checkups.values()})
    return {
        "users": {"ana": ana, "ben": ben, "chloe": chloe, "lena": lena},
        "checkups": checkups,
        "partners": {"northwind": northwind, "bluepeak": bluepeak, "cedar": cedar},
        "q3": q3,
    }


def test_the_result_page_shows_each_contradiction_with_its_figures_and_its_seed_article(world):
    page = text(as_user(world["users"]["ana"]).get(reverse("checkup_result", args=[world["checkups"]["ana"].pk])))

    assert "Please check: 5 answers the records contradict" in page
    for note in (CONTACT, QUIET, RAINBOWS, HONESTY, PAYMENT):
        assert note in page
    assert CONTACT + " " + SOURCES_001_002 in page
    assert QUIET + " From “Five symptoms that a partnership is under the weather”." in page


def test_a_consistent_check_up_shows_no_note(world):
    page = text(as_user(world["users"]["ana"]).get(reverse("checkup_result", args=[world["checkups"]["cedar"].pk])))

    assert "Please check" not in page


def test_the_reverse_payment_contradiction_shows_on_the_co_raters_check_up(world):
    page = text(as_user(world["users"]["lena"]).get(reverse("checkup_result", args=[world["checkups"]["chloe"].pk])))

    assert (
        "Days to pay reported as 80 days, 50 beyond the terms (net 30), but another check-up of them for 2026-Q3 "
        "reports 30 days, on time." in page
    )


def test_the_partner_page_shows_the_contradicted_check_ups_of_its_newest_quarter(world):
    northwind = world["partners"]["northwind"]
    page = text(as_user(world["users"]["lena"]).get(reverse("partner_detail", args=[northwind.pk])))

    assert "Please check: the records contradict 2 check-ups of 2026-Q3" in page
    assert "Ana Alvarez's check-up:" in page and "Chloe Dubois's check-up:" in page
    assert RAINBOWS in page


def test_logging_the_missing_interaction_clears_the_note_on_the_next_view(world):
    bluepeak = world["partners"]["bluepeak"]
    client = as_user(world["users"]["ben"])
    assert "Rated close, but no contact on record" in text(client.get(reverse("partner_detail", args=[bluepeak.pk])))

    InteractionFactory(partner=bluepeak, occurred_on=dt.date(2026, 9, 20))

    assert "Please check" not in text(client.get(reverse("partner_detail", args=[bluepeak.pk])))


def test_the_dashboard_counts_the_quarters_contradicted_check_ups_and_links_to_the_list(world):
    page = text(as_user(world["users"]["lena"]).get(reverse("dashboard")))

    assert "3 check-ups in 2026-Q3 contradict the evidence (of 4 submitted)." in page
    response = as_user(world["users"]["lena"]).get(reverse("dashboard"))
    assert f'href="{reverse("checkup_contradictions")}?period=2026-Q3"' in response.content.decode()


def test_leadership_lists_every_contradicted_check_up_with_its_notes(world):
    page = text(as_user(world["users"]["lena"]).get(reverse("checkup_contradictions"), {"period": "2026-Q3"}))

    assert "3 of 4 submitted check-ups in 2026-Q3 contradict the evidence." in page
    assert "Rated close, but no contact on record: 2" in page and "Payment reports disagree: 2" in page
    assert page.count("Northwind Systems") == 2 and "Bluepeak Digital" in page
    assert "Cedar Logistics" not in page
    assert HONESTY in page


def test_an_account_manager_counts_and_lists_only_their_own_partners_check_ups(world):
    ana = as_user(world["users"]["ana"])

    assert "2 check-ups in 2026-Q3 contradict the evidence (of 3 submitted)." in text(ana.get(reverse("my_checkups")))
    page = text(ana.get(reverse("checkup_contradictions")))
    assert "2 of 3 submitted check-ups of your partners in 2026-Q3 contradict the evidence." in page
    assert "Bluepeak Digital" not in page
    # Another manager's check-up is not hers to open.
    assert ana.get(reverse("checkup_result", args=[world["checkups"]["ben"].pk])).status_code == 404


def test_a_quarter_that_is_not_one_or_has_no_check_up_is_said_and_the_newest_shown(world):
    lena = as_user(world["users"]["lena"])

    page = text(lena.get(reverse("checkup_contradictions"), {"period": "2026-Q9"}))
    assert "Quarter: '2026-Q9' is not a period; write it as YYYY-Qn, e.g. 2026-Q3. Showing 2026-Q3 instead." in page
    page = text(lena.get(reverse("checkup_contradictions"), {"period": "2019-Q1"}))
    assert "Quarter: No check-up was submitted for 2019-Q1. Showing 2026-Q3 instead." in page


def test_a_manager_without_submitted_check_ups_is_told_so(world):
    newcomer = UserFactory(username="dana", role="account_manager")
    page = text(as_user(newcomer).get(reverse("checkup_contradictions")))

    assert "No check-up has been submitted yet for your partners." in page


# --- the check-up form: notes before submitting, never a block ---------------------------------


@pytest.fixture
def draft(world):
    q4 = PeriodFactory.of("2026-Q4")
    return CheckupFactory(partner=world["partners"]["bluepeak"], rater=world["users"]["ben"], period=q4)


def test_the_form_shows_the_note_after_a_draft_is_saved_and_submitting_still_works(world, draft, items):
    ben = as_user(world["users"]["ben"])
    url = reverse("checkup_edit", args=[draft.pk])
    assert "Please check" not in text(ben.get(url))

    response = ben.post(url, checkup_form_data({"characteristics.trust": 5}, action="draft"))
    assert response.status_code == 302
    page = text(ben.get(url))

    assert (
        "Please check: 1 answer the records contradict" in page
        and "Trust between the organisations rated 5 · Excellent, but no interaction has been logged for 314 days, "
        "since 10 Jan 2026 (the check looks for one within 120 days); no meeting in person is logged in 2026-Q3 to "
        "2026-Q4 (the last on 10 Jan 2026)."
        in page
    )
    assert "1 of 18 items answered · 1 to check" in page

    submitted = ben.post(url, checkup_form_data(answers_for(items, rating=5, intensity=1), action="submit"))
    assert submitted.status_code == 302 and submitted["Location"] == reverse("checkup_result", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == Checkup.Status.SUBMITTED
    assert "Rated close, but no contact on record" in text(ben.get(submitted["Location"]))


def test_a_refused_submit_shows_the_notes_of_the_answers_just_posted(world, draft):
    ben = as_user(world["users"]["ben"])
    posted = checkup_form_data({"symptoms.little_interaction": 0}, action="submit")

    response = ben.post(reverse("checkup_edit", args=[draft.pk]), posted)

    assert response.status_code == 400
    page = text(response)
    assert "items still need an answer before you can submit" in page
    assert (
        "Little to no interaction rated 0 · None, but no interaction is logged in 2026-Q4 (1 Oct 2026 to 20 Nov 2026)."
        in page
    )
    assert not Answer.objects.filter(checkup=draft).exists()


# --- the selector's queries ---------------------------------------------------------------------


def test_a_quarters_check_ups_are_cross_checked_in_three_queries_whatever_their_number(
    world, items, django_assert_num_queries
):
    q3 = world["q3"]
    few = list(Checkup.objects.filter(period=q3).select_related("period"))
    with django_assert_num_queries(3):
        checkups_crosscheck(checkups=few)

    for n in range(12):
        partner = PartnerFactory(name=f"Extra {n:02d}")
        InteractionFactory(partner=partner, occurred_on=dt.date(2026, 8, 1))
        Engagement.objects.create(partner=partner, client="Acme", title="Pilot", status="lost", started_on=q3.starts_on)
        submitted_checkup(items=items, answers=answers_for(items), partner=partner, period=q3, rater=UserFactory())
    many = list(Checkup.objects.filter(period=q3).select_related("period"))
    with django_assert_num_queries(3):
        results = checkups_crosscheck(checkups=many)
    assert len(results) == 16


def test_the_form_gathers_its_evidence_in_two_queries(world, draft, django_assert_num_queries):
    draft = Checkup.objects.select_related("period").get(pk=draft.pk)
    with django_assert_num_queries(2):
        notes = draft_crosscheck(
            checkup=draft,
            answers={"characteristics.trust": 5},
            titles={"characteristics.trust": "Trust between the organisations"},
            info_withheld=False,
            days_to_pay=None,
        )
    assert [note.title for note in notes] == ["Rated close, but no contact on record"]


def test_the_list_counts_each_check_once_per_check_up(world):
    listing = contradicted_checkups(user=world["users"]["lena"], period_code="2026-Q3")

    assert (listing.count, listing.checked) == (3, 4)
    assert {check.value: n for check, n in listing.by_check.items()} == {
        "contact": 2,
        "quiet_quarter": 1,
        "rainbows": 1,
        "honesty": 1,
        "payment": 2,
    }


def test_a_partner_scoped_read_finds_the_co_raters_among_its_check_ups_and_saves_their_query(
    world, django_assert_num_queries
):
    checkups = list(Checkup.objects.filter(period=world["q3"]).select_related("period"))
    general = checkups_crosscheck(checkups=checkups)

    with django_assert_num_queries(2):
        scoped = checkups_crosscheck(checkups=checkups, whole_quarters=True)

    assert scoped == general
    assert [note.check.value for note in scoped[world["checkups"]["chloe"].pk]] == ["payment"]


def test_the_thresholds_come_from_settings(world, settings):
    bluepeak_checkup = Checkup.objects.select_related("period").get(pk=world["checkups"]["ben"].pk)
    # Bluepeak's last contact was on 10 January 2026: 263 days before 30 September.
    settings.CROSSCHECK_SILENCE_DAYS = 264
    settings.CROSSCHECK_IN_PERSON_QUARTERS = 4
    assert checkups_crosscheck(checkups=[bluepeak_checkup])[bluepeak_checkup.pk] == []

    settings.CROSSCHECK_SILENCE_DAYS = 263
    [note] = checkups_crosscheck(checkups=[bluepeak_checkup])[bluepeak_checkup.pk]
    assert "no interaction has been logged for 263 days, since 10 Jan 2026" in note.text


def test_the_amend_form_shows_the_notes_of_the_submitted_answers(world):
    page = text(as_user(world["users"]["ana"]).get(reverse("checkup_amend", args=[world["checkups"]["ana"].pk])))

    assert "Please check: 5 answers the records contradict" in page and HONESTY.split(". ", 1)[1] in page


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CROSSCHECK_HIGH_RATING", "6", "CROSSCHECK_HIGH_RATING must be a rating from 1 to 5."),
        ("CROSSCHECK_SILENCE_DAYS", "0", "CROSSCHECK_SILENCE_DAYS=0 must be at least 1."),
        ("CROSSCHECK_PAYMENT_LATE_DAYS", "soon", "CROSSCHECK_PAYMENT_LATE_DAYS='soon' is not an integer."),
    ],
)
def test_a_bad_threshold_stops_start_up_with_a_one_line_reason(variable, value, message):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "partnerhealth.settings", "DEBUG": "1", variable: value}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert message in result.stderr
