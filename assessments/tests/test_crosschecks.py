"""The evidence cross-checks' rules (pure, no database), at each threshold's boundary (docs/EVIDENCE.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from assessments.crosschecks import (
    CHASING_RAINBOWS,
    FACE_TO_FACE,
    HONESTY,
    LITTLE_INTERACTION,
    TRUST,
    Check,
    Evidence,
    Report,
    Thresholds,
    checks_flagged,
    cross_check,
    evidence_until,
    in_person_since,
    rainbow_since,
)
from assessments.periods import Quarter

Q3 = Quarter(2026, 3)
END = dt.date(2026, 9, 30)


def evidence(**changes) -> Evidence:
    """A partner with nothing to object to: recent contact, in person this quarter, a win, no flags."""
    base = dict(
        quarter=Q3,
        until=END,
        last_contact=dt.date(2026, 9, 1),
        last_in_person=dt.date(2026, 9, 1),
        contacts_this_quarter=3,
        proposals=5,
        wins=1,
        payment_terms_days=30,
    )
    return Evidence(**{**base, **changes})


def checks(answers: dict, ev: Evidence, thresholds: Thresholds | None = None, **report) -> dict[Check, str]:
    return {c.check: c.text for c in cross_check(Report(answers=answers, **report), ev, thresholds)}


# --- trust or meeting face to face rated high, no contact (001, 002) --------------------------


def test_trust_rated_4_is_contradicted_at_exactly_120_days_without_an_interaction_and_not_at_119():
    at_120 = evidence(last_contact=END - dt.timedelta(days=120), last_in_person=dt.date(2026, 5, 1))
    at_119 = evidence(last_contact=END - dt.timedelta(days=119), last_in_person=dt.date(2026, 5, 1))

    assert checks({TRUST: 4}, at_120) == {
        Check.CONTACT: "Trust between the organisations rated 4 · Good, but no interaction has been logged for "
        "120 days, since 2 Jun 2026 (the check looks for one within 120 days)."
    }
    assert checks({TRUST: 4}, at_119) == {}


def test_a_rating_of_3_is_not_high_so_silence_contradicts_nothing():
    assert checks({TRUST: 3, FACE_TO_FACE: 3}, evidence(last_contact=None, last_in_person=None)) == {}


def test_no_meeting_in_person_in_this_quarter_or_the_last_contradicts_meeting_face_to_face_rated_5():
    # The two quarters are 2026-Q2 and 2026-Q3: a meeting on 1 April keeps the answer, one on 31 March does not.
    assert in_person_since(Q3, Thresholds()) == dt.date(2026, 4, 1)
    kept = evidence(last_in_person=dt.date(2026, 4, 1))
    doubted = evidence(last_in_person=dt.date(2026, 3, 31))

    assert checks({FACE_TO_FACE: 5}, kept) == {}
    assert checks({FACE_TO_FACE: 5}, doubted) == {
        Check.CONTACT: "Meeting face to face rated 5 · Excellent, but no meeting in person is logged in "
        "2026-Q2 to 2026-Q3 (the last on 31 Mar 2026)."
    }


def test_both_high_ratings_and_both_gaps_make_one_note_with_every_figure():
    ev = evidence(last_contact=dt.date(2026, 3, 4), last_in_person=None)

    assert checks({TRUST: 5, FACE_TO_FACE: 4}, ev) == {
        Check.CONTACT: "Trust between the organisations rated 5 · Excellent and Meeting face to face rated 4 · Good, "
        "but no interaction has been logged for 210 days, since 4 Mar 2026 (the check looks for one within 120 "
        "days); no meeting in person is logged at all."
    }


def test_a_partner_with_no_interaction_ever_is_said_so():
    assert checks({TRUST: 4}, evidence(last_contact=None, last_in_person=None)) == {
        Check.CONTACT: "Trust between the organisations rated 4 · Good, but no interaction with them is logged at all."
    }


def test_the_silence_threshold_and_the_high_rating_are_configurable():
    ev = evidence(last_contact=END - dt.timedelta(days=90))
    assert Check.CONTACT not in checks({TRUST: 4}, ev)
    assert Check.CONTACT in checks({TRUST: 4}, ev, Thresholds(silence_days=90))
    assert Check.CONTACT not in checks({TRUST: 4}, ev, Thresholds(silence_days=90, high_rating=5))


# --- little to no interaction: none, nothing logged this quarter (002) --------------------------


def test_little_interaction_none_with_no_interaction_this_quarter_is_contradicted_and_one_interaction_is_enough():
    assert checks({LITTLE_INTERACTION: 0}, evidence(contacts_this_quarter=0)) == {
        Check.QUIET_QUARTER: "Little to no interaction rated 0 · None, but no interaction is logged in 2026-Q3 "
        "(1 Jul 2026 to 30 Sep 2026)."
    }
    assert checks({LITTLE_INTERACTION: 0}, evidence(contacts_this_quarter=1)) == {}


def test_a_mild_lack_of_interaction_is_not_contradicted_by_a_quiet_quarter():
    assert checks({LITTLE_INTERACTION: 1}, evidence(contacts_this_quarter=0)) == {}


def test_while_the_quarter_runs_it_is_judged_up_to_today_with_the_configured_minimum():
    today = dt.date(2026, 8, 15)
    until = evidence_until(Q3, today=today)
    assert until == today
    ev = evidence(until=until, contacts_this_quarter=1)

    assert checks({LITTLE_INTERACTION: 0}, ev, Thresholds(quarter_interactions=2)) == {
        Check.QUIET_QUARTER: "Little to no interaction rated 0 · None, but only 1 interaction is logged in 2026-Q3 "
        "(1 Jul 2026 to 15 Aug 2026; the check looks for 2)."
    }


# --- chasing rainbows: none, proposals without a win (002) --------------------------------------


def test_four_proposals_without_a_win_over_eight_quarters_contradict_chasing_rainbows_none_and_three_do_not():
    assert rainbow_since(Q3, Thresholds()) == dt.date(2024, 10, 1)

    assert checks({CHASING_RAINBOWS: 0}, evidence(proposals=4, wins=0)) == {
        Check.RAINBOWS: "Chasing rainbows rated 0 · None, but 4 joint proposals were made in the last 8 quarters "
        "(2024-Q4 to 2026-Q3) and none was won."
    }
    assert checks({CHASING_RAINBOWS: 0}, evidence(proposals=3, wins=0)) == {}


def test_one_win_or_a_symptom_already_rated_keeps_chasing_rainbows_uncontradicted():
    assert checks({CHASING_RAINBOWS: 0}, evidence(proposals=9, wins=1)) == {}
    assert checks({CHASING_RAINBOWS: 1}, evidence(proposals=9, wins=0)) == {}


# --- honesty rated high, information withheld (001) --------------------------------------------


def test_honesty_rated_4_with_the_information_withheld_flag_set_is_contradicted_and_3_is_not():
    assert checks({HONESTY: 4}, evidence(), info_withheld=True) == {
        Check.HONESTY: "Honesty rated 4 · Good, but the same check-up flags that they withheld information we needed."
    }
    assert checks({HONESTY: 3}, evidence(), info_withheld=True) == {}
    assert checks({HONESTY: 5}, evidence()) == {}


def test_another_raters_information_withheld_flag_contradicts_a_high_honesty_too():
    assert checks({HONESTY: 5}, evidence(others_info_withheld=2)) == {
        Check.HONESTY: "Honesty rated 5 · Excellent, but 2 other check-ups of them for 2026-Q3 flag that they "
        "withheld information we needed."
    }


# --- payment on time against another rater's late payment, and the reverse (001) --------------


def test_payment_on_time_is_contradicted_by_another_report_more_than_15_days_beyond_the_terms():
    # Net 30: 45 days is 15 beyond (not late enough to contradict), 46 is 16 beyond.
    assert checks({}, evidence(others_days_to_pay=(45,)), days_to_pay=30) == {}
    assert checks({}, evidence(others_days_to_pay=(46,)), days_to_pay=30) == {
        Check.PAYMENT: "Days to pay reported as 30 days, on time (net 30), but another check-up of them for 2026-Q3 "
        "reports 46 days, 16 beyond the terms."
    }


def test_late_payment_is_contradicted_by_another_report_of_payment_on_time():
    assert checks({}, evidence(others_days_to_pay=(30, 28)), days_to_pay=127) == {
        Check.PAYMENT: "Days to pay reported as 127 days, 97 beyond the terms (net 30), but 2 other check-ups of "
        "them for 2026-Q3 report 28 days, on time."
    }
    assert checks({}, evidence(others_days_to_pay=(31,)), days_to_pay=127) == {}


def test_a_little_late_or_a_lone_payment_report_contradicts_nothing():
    assert checks({}, evidence(others_days_to_pay=(20, 127)), days_to_pay=40) == {}
    assert checks({}, evidence(), days_to_pay=127) == {}
    assert checks({}, evidence(others_days_to_pay=(127,)), days_to_pay=None) == {}


def test_the_lateness_threshold_is_configurable():
    assert Check.PAYMENT in checks(
        {}, evidence(others_days_to_pay=(31,)), Thresholds(payment_late_days=0), days_to_pay=30
    )


# --- the whole ---------------------------------------------------------------------------------


def test_an_unanswered_or_not_applicable_item_is_never_contradicted():
    bare = evidence(last_contact=None, last_in_person=None, contacts_this_quarter=0, proposals=8, wins=0)
    assert cross_check(Report(answers={}), bare) == []


def test_every_note_names_its_seed_article_by_title_and_the_checks_are_counted_per_check_up():
    bare = evidence(last_contact=None, last_in_person=None, contacts_this_quarter=0, proposals=8, wins=0)
    everything = cross_check(
        Report(answers={TRUST: 5, LITTLE_INTERACTION: 0, CHASING_RAINBOWS: 0, HONESTY: 5}, info_withheld=True), bare
    )

    assert [(c.check, c.seeds) for c in everything] == [
        (Check.CONTACT, ("001", "002")),
        (Check.QUIET_QUARTER, ("002",)),
        (Check.RAINBOWS, ("002",)),
        (Check.HONESTY, ("001",)),
    ]
    assert everything[0].sources == (
        "“Seven things it takes to be a partner” and “Five symptoms that a partnership is under the weather”"
    )
    assert checks_flagged([everything, everything[:1], []]) == {
        Check.CONTACT: 2,
        Check.QUIET_QUARTER: 1,
        Check.RAINBOWS: 1,
        Check.HONESTY: 1,
        Check.PAYMENT: 0,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"high_rating": 6}, "CROSSCHECK_HIGH_RATING must be a rating from 1 to 5."),
        ({"silence_days": 0}, "CROSSCHECK_SILENCE_DAYS must be 1 or more."),
        ({"payment_late_days": -1}, "CROSSCHECK_PAYMENT_LATE_DAYS cannot be negative."),
    ],
)
def test_impossible_thresholds_are_refused_with_the_setting_named(changes, message):
    with pytest.raises(ValueError, match=message):
        Thresholds(**changes)


def test_the_worked_examples_of_docs_evidence_are_reproduced_exactly():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "EVIDENCE.md").read_text()
    quotes = {line[2:] for line in doc.splitlines() if line.startswith("> ")}
    examples = [
        # 1. Contact: a call on 4 March, the last meeting in person on 10 December 2025.
        (
            Report(answers={TRUST: 5, FACE_TO_FACE: 4}),
            evidence(last_contact=dt.date(2026, 3, 4), last_in_person=dt.date(2025, 12, 10), contacts_this_quarter=0),
        ),
        # 2. Quiet quarter: the newest interaction on 28 June.
        (
            Report(answers={LITTLE_INTERACTION: 0}),
            evidence(last_contact=dt.date(2026, 6, 28), last_in_person=dt.date(2026, 6, 28), contacts_this_quarter=0),
        ),
        # 3. Rainbows: four proposals since 1 October 2024, none won.
        (Report(answers={CHASING_RAINBOWS: 0}), evidence(proposals=4, wins=0)),
        # 4. Honesty with the flag on the same check-up.
        (Report(answers={HONESTY: 5}, info_withheld=True), evidence()),
        # 5. Payment: Ana 30 days, Chloe 80, net 30; and the reverse.
        (Report(answers={}, days_to_pay=30), evidence(others_days_to_pay=(80,))),
        (Report(answers={}, days_to_pay=80), evidence(others_days_to_pay=(30,))),
    ]
    notes = [note.text for report, ev in examples for note in cross_check(report, ev)]

    assert len(notes) == 6
    assert [note for note in notes if note not in quotes] == []
