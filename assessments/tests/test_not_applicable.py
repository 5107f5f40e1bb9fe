"""'Not applicable / don't know' answers and answers with their history, through the form, the
services, the snapshots and the pages (docs/SCORING.md, "Not applicable answers")."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape

from assessments.models import Answer, CheckupRevision, PartnerSnapshot
from assessments.services.checkups import (
    CheckupInput,
    CheckupNeedsComment,
    checkup_amend,
    checkup_save_draft,
    checkup_submit,
)
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import (
    CheckupFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
    checkup_form_data,
    submitted_checkup,
)
from assessments.tests.test_scoring_na import NA_EXAMPLE

pytestmark = pytest.mark.django_db

NOV_2026 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
TRUST = "Trust between the organisations"


@pytest.fixture(autouse=True)
def _in_q4_2026():
    with time_machine.travel(NOV_2026, tick=False):
        yield


@pytest.fixture
def manager():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


@pytest.fixture
def checkup(manager):
    partner = PartnerFactory(name="Northwind Systems", owners=[manager], payment_terms_days=30)
    return CheckupFactory(partner=partner, rater=manager, period=PeriodFactory.of("2026-Q4"))


@pytest.fixture
def ana(client, manager):
    client.force_login(manager)
    return client


def last_quarter(checkup, items, **overrides):
    """The same rater's submitted check-up of the partner for 2026-Q3, scored."""
    previous = submitted_checkup(
        items=items,
        answers=answers_for(items, rating=4, **overrides),
        partner=checkup.partner,
        period=PeriodFactory.of("2026-Q3"),
        rater=checkup.rater,
    )
    with transaction.atomic():
        snapshots_recompute(pairs={(checkup.partner_id, previous.period_id)})
    return previous


def edit_url(checkup):
    return reverse("checkup_edit", args=[checkup.pk])


# --- not applicable: stored, scored, shown ---------------------------------------------------------------


def test_submitting_not_applicable_answers_stores_them_as_null_and_scores_the_docs_example(manager, checkup):
    checkup_submit(user=manager, checkup_id=checkup.pk, data=CheckupInput(answers=NA_EXAMPLE))

    stored = dict(Answer.objects.filter(checkup=checkup).values_list("item__key", "value"))
    assert stored["trust"] is None and stored["leadership_access"] is None and stored["quality"] == 4
    snapshot = PartnerSnapshot.objects.get(partner=checkup.partner, period=checkup.period)
    assert snapshot.health == 61.11
    assert snapshot.band == "watch"
    assert snapshot.coverage == pytest.approx(0.6111)
    assert snapshot.rubric_coverage == {"characteristics": 0.6667, "traits": 0.5714, "symptoms": 0.6}
    # Traits has not enough answers: absent from the rubric scores, never 0.
    assert snapshot.rubric_scores == {"characteristics": 68.75, "symptoms": 77.78}
    assert "characteristics.trust" not in snapshot.contributions


def test_the_result_page_shows_not_applicable_answers_and_the_coverage_beside_the_health(ana, manager, checkup):
    checkup_submit(user=manager, checkup_id=checkup.pk, data=CheckupInput(answers=NA_EXAMPLE))

    html = ana.get(reverse("checkup_result", args=[checkup.pk])).content.decode()

    assert "61.1" in html and "Watch" in html
    assert "Coverage: 61% answered" in html
    assert html.count(escape("Not applicable / don't know")) == 5  # trust, leadership access, three traits
    assert html.count(escape("Don't know")) == 2  # two symptoms
    assert "Not enough answers" in html and "57% answered" in html  # the traits rubric
    assert "characteristics.trust" not in html


def test_a_check_up_that_covers_too_little_is_recorded_but_not_scored_and_says_why(ana, manager, checkup):
    thinner = NA_EXAMPLE | {"traits.face_to_face": None}

    checkup_submit(user=manager, checkup_id=checkup.pk, data=CheckupInput(answers=thinner))

    checkup.refresh_from_db()
    assert checkup.is_submitted and checkup.answers.count() == 18
    assert not PartnerSnapshot.objects.filter(partner=checkup.partner).exists()
    html = ana.get(reverse("checkup_result", args=[checkup.pk])).content.decode()
    assert "Not scored: only 55% of the check-up was answered, and 60% is needed" in html
    assert "The check-up is recorded with its answers" in html


def test_the_minimum_coverage_is_a_setting(manager, checkup, settings):
    settings.MIN_RUBRIC_COVERAGE = 0.7

    checkup_submit(user=manager, checkup_id=checkup.pk, data=CheckupInput(answers=NA_EXAMPLE))

    # 61% overall is under 70%: not scored.
    assert not PartnerSnapshot.objects.filter(partner=checkup.partner).exists()


def test_an_amendment_keeps_a_not_applicable_answer_as_null_in_the_revision(manager, checkup, items):
    checkup_submit(user=manager, checkup_id=checkup.pk, data=CheckupInput(answers=NA_EXAMPLE))

    checkup_amend(
        user=manager,
        checkup_id=checkup.pk,
        data=CheckupInput(answers=NA_EXAMPLE | {"characteristics.trust": 4}),
    )

    revision = CheckupRevision.objects.get(checkup=checkup)
    assert revision.answers["characteristics.trust"] == {"value": None, "comment": ""}
    assert revision.answers["characteristics.quality"] == {"value": 4, "comment": ""}


def test_the_form_posts_not_applicable_and_the_page_counts_it_as_answered(ana, checkup, items):
    response = ana.post(edit_url(checkup), checkup_form_data({"characteristics.trust": None}, action="draft"))

    assert response.status_code == 302
    assert Answer.objects.get(checkup=checkup, item__key="trust").value is None
    html = ana.get(edit_url(checkup)).content.decode()
    assert "1 of 18" in html
    assert 'value="na" class="btn-check" id="id_answer__characteristics__trust_5" checked' in html


# --- answers with their history -------------------------------------------------------------------------


def test_the_form_shows_your_own_answer_last_quarter_beside_each_item_without_prefilling_it(ana, checkup, items):
    last_quarter(checkup, items, characteristics__trust=5, symptoms__little_interaction=None)
    other = UserFactory(username="ben")
    checkup.partner.owners.add(other)
    submitted_checkup(
        items=items,
        answers=answers_for(items, rating=1),
        partner=checkup.partner,
        period=PeriodFactory.of("2026-Q3"),
        rater=other,
    )

    html = ana.get(edit_url(checkup)).content.decode()

    assert "Last quarter: Excellent (5)" in html  # trust
    assert html.count("Last quarter: Good (4)") == 12  # the other ratings: Ana's, not Ben's Poor (1)
    assert "Last quarter: Poor (1)" not in html
    assert escape("Last quarter: Don't know") in html
    assert " checked" not in html  # a hint, not an answer


def test_submitting_a_move_of_two_points_without_a_comment_names_the_item(ana, checkup, items):
    last_quarter(checkup, items, characteristics__trust=4)

    response = ana.post(
        edit_url(checkup), checkup_form_data(answers_for(items, characteristics__trust=2), action="submit")
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert f"{TRUST} moved from Good (4) last quarter to Weak (2)." in html
    assert "Add a one-line comment saying why this item moved 2 points or more since your last check-up." in html
    assert "characteristics.trust" not in html
    assert not checkup.answers.exists()


def test_a_draft_may_move_two_points_without_a_comment_and_a_comment_lets_it_submit(ana, checkup, items):
    last_quarter(checkup, items, characteristics__trust=4)
    answers = answers_for(items, characteristics__trust=2)

    assert ana.post(edit_url(checkup), checkup_form_data(answers, action="draft")).status_code == 302
    response = ana.post(
        edit_url(checkup),
        checkup_form_data(answers, action="submit", comment__characteristics__trust="They went around us twice"),
    )

    assert response.status_code == 302
    assert Answer.objects.get(checkup=checkup, item__key="trust").comment == "They went around us twice"


@pytest.mark.parametrize(
    ("before", "after"),
    [(4, 3), (3, 4), (4, None), (None, 1)],
    ids=["one point down", "one point up", "now not applicable", "was not applicable"],
)
def test_a_move_under_two_points_or_from_or_to_not_applicable_needs_no_comment(manager, checkup, items, before, after):
    last_quarter(checkup, items, characteristics__trust=before)

    checkup_submit(
        user=manager, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items, characteristics__trust=after))
    )

    assert checkup.answers.count() == 18


def test_the_service_refuses_a_big_move_without_a_comment_whatever_the_form_did(manager, checkup, items):
    last_quarter(checkup, items, characteristics__trust=1, symptoms__chasing_rainbows=0)
    answers = answers_for(items, characteristics__trust=3, symptoms__chasing_rainbows=3)

    with pytest.raises(CheckupNeedsComment, match=rf"^Add a one-line comment .*: {TRUST} \(1 → 3\); ") as error:
        checkup_submit(user=manager, checkup_id=checkup.pk, data=CheckupInput(answers=answers))

    assert [m[0] for m in error.value.moves] == ["characteristics.trust", "symptoms.chasing_rainbows"]
    assert not checkup.answers.exists()
    # A draft is not refused.
    checkup_save_draft(user=manager, checkup_id=checkup.pk, data=CheckupInput(answers=answers))
    # Nor an amendment that says why.
    checkup_submit(
        user=manager,
        checkup_id=checkup.pk,
        data=CheckupInput(
            answers=answers,
            comments={"characteristics.trust": "Their COO fixed it", "symptoms.chasing_rainbows": "Three lost bids"},
        ),
    )
    with pytest.raises(CheckupNeedsComment):
        checkup_amend(
            user=manager,
            checkup_id=checkup.pk,
            data=CheckupInput(answers=answers, comments={"characteristics.trust": "Their COO fixed it"}),
        )


def test_another_raters_answers_last_quarter_do_not_count_as_yours(manager, checkup, items):
    other = UserFactory(username="ben")
    submitted_checkup(
        items=items,
        answers=answers_for(items, rating=1),
        partner=checkup.partner,
        period=PeriodFactory.of("2026-Q3"),
        rater=other,
    )

    checkup_submit(user=manager, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items, rating=5)))

    assert checkup.answers.count() == 18


# --- where a score shows: partner page, dashboard, CSV ----------------------------------------------------


def submitted_with(manager, partner, code, answers):
    checkup = CheckupFactory(partner=partner, rater=manager, period=PeriodFactory.of(code))
    checkup_submit(user=manager, checkup_id=checkup.pk, data=CheckupInput(answers=answers))
    return checkup


def test_the_partner_page_shows_the_coverage_and_why_the_newest_quarter_is_not_scored(ana, manager, checkup):
    submitted_with(manager, checkup.partner, "2026-Q3", NA_EXAMPLE)
    checkup_submit(
        user=manager,
        checkup_id=checkup.pk,
        data=CheckupInput(answers=NA_EXAMPLE | {"traits.face_to_face": None}),
    )

    html = ana.get(reverse("partner_detail", args=[checkup.partner.pk])).content.decode()

    assert "Health, 2026-Q3" in html and "61.1" in html
    assert "Coverage: 61% answered" in html
    reason = "Not scored: only 55% of the check-up was answered, and 60% is needed"
    assert f"2026-Q4: {reason}" in html
    assert html.count(reason) == 2  # the header and the quarter's row of the health table


def test_the_dashboard_shows_coverage_beside_the_health_and_names_a_partner_not_scored(client, manager, items):
    northwind = PartnerFactory(name="Northwind Systems", owners=[manager])
    contoso = PartnerFactory(name="Contoso Services", owners=[manager])
    submitted_with(manager, northwind, "2026-Q4", NA_EXAMPLE)
    submitted_with(manager, contoso, "2026-Q4", NA_EXAMPLE | {"traits.face_to_face": None})
    client.force_login(UserFactory(username="lena", role="leadership"))

    html = client.get(reverse("dashboard") + "?period=2026-Q4").content.decode()

    assert (
        "1 partner had check-ups for 2026-Q4 that cover too little to score, so it is not in the figures below" in html
    )
    assert ">Contoso Services</a>: Not scored: only 55% of the check-up was answered" in html
    row = html[html.index(">Northwind Systems</a>") :]
    assert '<span class="small d-block">61% answered</span>' in row[: row.index("</tr>")]


def test_the_csv_export_leaves_a_not_applicable_item_empty_and_gives_the_coverage(client, manager):
    import csv
    import io

    northwind = PartnerFactory(name="Northwind Systems", owners=[manager])
    submitted_with(manager, northwind, "2026-Q4", NA_EXAMPLE)
    client.force_login(UserFactory(username="lena", role="leadership"))

    response = client.get(reverse("dashboard_export") + "?period=2026-Q4")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert len(rows) == 1
    assert rows[0]["health"] == "61.11"
    assert rows[0]["characteristics.trust"] == "" and rows[0]["traits.homework"] == ""
    assert rows[0]["characteristics.quality"] == "4.0"
    assert rows[0]["coverage"] == "0.6111"


# --- trends ---------------------------------------------------------------------------------------------


def test_an_unscored_quarter_is_no_point_for_the_detector_and_not_applicable_is_no_reading(manager, checkup, items):
    from assessments.models import Alert
    from assessments.selectors.alerts import partner_snapshot_series
    from assessments.services.alerts import partner_evaluate

    for code in ("2026-Q2", "2026-Q3"):
        submitted_with(manager, checkup.partner, code, answers_for(items, rating=4, characteristics__trust=None))
    # Q4: everything answered is at its worst, but too little is answered to score.
    worst = {address: (3 if address.startswith("symptoms.") else 1) for address in items}
    checkup_submit(
        user=manager,
        checkup_id=checkup.pk,
        data=CheckupInput(
            answers=worst | dict.fromkeys(list(items)[:8]),
            comments=dict.fromkeys(items, "Fell apart after their merger"),
        ),
    )

    series = partner_snapshot_series(partner_id=checkup.partner_id)
    report = partner_evaluate(partner_id=checkup.partner_id)

    assert [point.period for point in series] == ["2026-Q2", "2026-Q3"]
    rater_answers = next(iter(series[-1].raters.values()))
    assert "characteristics.trust" not in rater_answers and rater_answers["characteristics.quality"] == 4
    assert not Alert.objects.filter(partner=checkup.partner).exists()
    assert report.checkups_evaluated == 3


def test_the_amendment_history_shows_a_change_to_not_applicable_in_words(ana, manager, checkup, items):
    checkup_submit(user=manager, checkup_id=checkup.pk, data=CheckupInput(answers=answers_for(items)))
    checkup_amend(
        user=manager,
        checkup_id=checkup.pk,
        data=CheckupInput(answers=answers_for(items, characteristics__trust=None)),
    )

    html = ana.get(reverse("checkup_result", args=[checkup.pk])).content.decode()

    history = html[html.index("History of amendments") :]
    assert (
        f'<th scope="row">{TRUST}</th><td>4 · Good</td><td>{escape("Not applicable / don" + chr(39) + "t know")}</td>'
        in history
    )


def test_my_check_ups_says_a_submitted_check_up_was_not_scored_for_too_few_answers(ana, manager, checkup):
    last = submitted_with(manager, checkup.partner, "2026-Q3", NA_EXAMPLE | {"traits.face_to_face": None})

    html = ana.get(reverse("my_checkups")).content.decode()

    assert "Not scored: too few answers" in html
    assert reverse("checkup_result", args=[last.pk]) in html


def test_the_partners_list_says_when_the_newest_quarter_was_not_scored_beside_the_older_health(client, manager, items):
    northwind = PartnerFactory(name="Northwind Systems", owners=[manager])
    contoso = PartnerFactory(name="Contoso Services", owners=[manager])
    fabrikam = PartnerFactory(name="Fabrikam Partners", owners=[manager])
    submitted_with(manager, northwind, "2026-Q3", NA_EXAMPLE)
    submitted_with(manager, northwind, "2026-Q4", NA_EXAMPLE | {"traits.face_to_face": None})  # too thin
    submitted_with(manager, contoso, "2026-Q4", NA_EXAMPLE)
    submitted_with(manager, fabrikam, "2026-Q4", NA_EXAMPLE | {"traits.face_to_face": None})  # never scored
    client.force_login(UserFactory(username="lena", role="leadership"))

    response = client.get(reverse("partner_list") + "?sort=name")

    notes = {row.name: (row.period_code, row.health, row.not_scored_note) for row in response.context["listing"].rows}
    assert notes == {
        "Contoso Services": ("2026-Q4", pytest.approx(61.1, abs=0.05), ""),
        "Fabrikam Partners": (None, None, "Not scored in 2026-Q4: too few answers"),
        "Northwind Systems": ("2026-Q3", pytest.approx(61.1, abs=0.05), "Not scored in 2026-Q4: too few answers"),
    }
    html = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    assert "Northwind Systems Alliance partner · Regular · 2026-Q3" in html
    assert "61.1 Watch Not scored in 2026-Q4: too few answers" in html
    assert "not scored Not scored in 2026-Q4: too few answers" in html
