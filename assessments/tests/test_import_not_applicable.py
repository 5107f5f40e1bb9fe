"""import_assessments: 'na' in the score column, and a comment for a big move (docs/SCORING.md)."""

import pytest
from django.core.management import CommandError

from assessments.models import Answer, PartnerSnapshot
from assessments.tests.factories import PartnerFactory, PeriodFactory, UserFactory, answers_for, submitted_checkup
from assessments.tests.test_import import checkup_rows, nothing_written, run_import, write

pytestmark = pytest.mark.django_db

WITH_COMMENT = "partner,period,rater,item,score,comment\n"


@pytest.fixture
def northwind():
    partner = PartnerFactory(name="Northwind")
    UserFactory(username="ana", email="ana@example.com")
    return partner


def test_na_in_the_score_column_is_not_applicable_and_the_snapshot_carries_the_coverage(tmp_path, items, northwind):
    rows = checkup_rows(items, **{"characteristics.trust": "na", "traits.honesty": "NA"})

    output = run_import(write(tmp_path, rows))

    assert "Imported 18 answers as 1 submitted check-ups; 1 snapshots recomputed" in output
    assert Answer.objects.get(item__key="trust").value is None
    assert Answer.objects.get(item__key="honesty").value is None
    snapshot = PartnerSnapshot.objects.get(partner=northwind)
    # 16 of 18 answered; each rating rubric renormalised over its answered items (all 4s: still 75)
    assert snapshot.coverage == pytest.approx(round(16 / 18, 4))
    assert snapshot.health == 75.0


def test_a_score_that_is_neither_a_whole_number_nor_na_is_a_one_line_error(tmp_path, items, northwind):
    rows = checkup_rows(items, **{"characteristics.trust": "n/a"})

    with pytest.raises(CommandError) as error:
        run_import(write(tmp_path, rows))

    assert "line 4: score 'n/a' is not a whole number or na (not applicable)" in str(error.value)
    assert nothing_written()


def test_too_many_na_answers_import_the_check_up_without_a_score(tmp_path, items, northwind):
    rows = checkup_rows(items, **dict.fromkeys(list(items)[:8], "na"))

    output = run_import(write(tmp_path, rows))

    assert "Imported 18 answers as 1 submitted check-ups; 0 snapshots recomputed" in output
    assert not PartnerSnapshot.objects.exists()


def test_a_big_move_from_the_same_raters_answer_in_the_database_needs_a_comment(tmp_path, items, northwind):
    ana = UserFactory(username="ana2", email="ana2@example.com")
    submitted_checkup(
        items=items,
        answers=answers_for(items, characteristics__trust=5),
        partner=northwind,
        period=PeriodFactory.of("2026-Q2"),
        rater=ana,
    )
    rows = checkup_rows(items, rater="ana2@example.com", **{"characteristics.trust": 2})

    with pytest.raises(CommandError) as error:
        run_import(write(tmp_path, rows))

    assert (
        "line 4: characteristics.trust (Trust between the organisations) moved from 5 to 2 since this rater's "
        "previous check-up of Northwind; a move of 2 points or more needs a comment saying why (add a comment column)"
    ) in str(error.value)

    commented = [row.rstrip("\n") + ",\n" for row in rows]
    trust = next(i for i, row in enumerate(commented) if ",characteristics.trust," in row)
    commented[trust] = 'Northwind,2026-Q3,ana2@example.com,characteristics.trust,2,"They went\taround us, twice"\n'
    run_import(write(tmp_path, commented, header=WITH_COMMENT))
    answer = Answer.objects.get(checkup__period__code="2026-Q3", item__key="trust")
    assert (answer.value, answer.comment) == (2, "They went\taround us, twice")


def test_a_big_move_against_another_rater_or_a_later_quarter_needs_no_comment(tmp_path, items, northwind):
    ben = UserFactory(username="ben", email="ben@example.com")
    submitted_checkup(
        items=items,
        answers=answers_for(items, rating=1),
        partner=northwind,
        period=PeriodFactory.of("2026-Q2"),
        rater=ben,
    )
    ana = UserFactory(username="ana2", email="ana2@example.com")
    submitted_checkup(
        items=items,
        answers=answers_for(items, rating=1),
        partner=northwind,
        period=PeriodFactory.of("2026-Q4"),
        rater=ana,
    )

    output = run_import(write(tmp_path, checkup_rows(items, rater="ana2@example.com", rating=5)))

    assert "Imported 18 answers as 1 submitted check-ups" in output
