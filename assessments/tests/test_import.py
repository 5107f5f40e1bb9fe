import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from assessments.models import Answer, Checkup, Partner, PartnerSnapshot
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "partner,period,rater,item,score\n"


def checkup_rows(
    items, partner="Northwind", period="2026-Q3", rater="ana@example.com", rating=4, intensity=0, **overrides
):
    rows = []
    for address, item in items.items():
        value = overrides.get(address, intensity if item.rubric.scale == "intensity" else rating)
        rows.append(f"{partner},{period},{rater},{address},{value}\n")
    return rows


def write(tmp_path, rows, header=HEADER):
    path = tmp_path / "answers.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return str(path)


def run_import(path, *args):
    out = io.StringIO()
    call_command("import_assessments", path, *args, stdout=out)
    return out.getvalue()


def nothing_written():
    return not (Checkup.objects.exists() or Answer.objects.exists() or PartnerSnapshot.objects.exists())


def test_a_good_file_becomes_submitted_check_ups_with_snapshots(tmp_path, items):
    partner = PartnerFactory(name="Northwind")
    UserFactory(username="ana", email="Ana@Example.com")
    UserFactory(username="ben", email="ben@example.com")
    rows = checkup_rows(items, rating=5) + checkup_rows(items, rater="ben@example.com", rating=3)
    rows += checkup_rows(items, period="2026-Q2", rating=4, intensity=3)

    output = run_import(write(tmp_path, rows))

    assert "Imported 54 answers as 3 submitted check-ups; 2 snapshots recomputed" in output
    assert Checkup.objects.filter(partner=partner, status="submitted").count() == 3
    q3 = PartnerSnapshot.objects.get(partner=partner, period__code="2026-Q3")
    assert (q3.health, q3.rater_count, q3.band) == (75.0, 2, "healthy")
    q2 = PartnerSnapshot.objects.get(partner=partner, period__code="2026-Q2")
    assert q2.health == 37.5  # base 75 halved by severe symptoms everywhere
    assert q3.health_delta == 37.5


BAD_ROWS = [
    ("Northwind,2026-Q3,ana@example.com,characteristics.charm,4\n", "unknown item 'characteristics.charm'"),
    (
        "Northwind,2026-Q3,ana@example.com,characteristics.trust,6\n",
        "score 6 for characteristics.trust is outside 1..5",
    ),
    (
        "Northwind,2026-Q3,ana@example.com,symptoms.chasing_rainbows,-1\n",
        "score -1 for symptoms.chasing_rainbows is outside 0..3",
    ),
    ("Northwind,2026-Q3,ana@example.com,characteristics.trust,four\n", "score 'four' is not a whole number"),
    ("Northwind,2026-13,ana@example.com,characteristics.trust,4\n", "'2026-13' is not a period"),
    ("Northwind,2026-Q3,not-an-email,characteristics.trust,4\n", "rater 'not-an-email' is not an e-mail address"),
    ("Northwind,2026-Q3,ana@example.com,characteristics.trust\n", "expected 5 columns, found 4"),
    ("Northwind,2026-Q3,ana@example.com,characteristics.quality,3\n", "duplicate of line 2"),
]


@pytest.mark.parametrize(("bad_row", "reason"), BAD_ROWS)
def test_one_bad_row_rejects_the_file_names_its_line_and_writes_nothing(tmp_path, items, bad_row, reason):
    PartnerFactory(name="Northwind")
    UserFactory(username="ana", email="ana@example.com")
    good = checkup_rows(items)
    rows = good[:5] + [bad_row] + good[5:]  # the bad row is on line 7 (header is line 1)

    with pytest.raises(CommandError) as excinfo:
        run_import(write(tmp_path, rows))

    message = str(excinfo.value)
    assert "nothing was imported" in message
    assert f"line 7: {reason}" in message
    assert nothing_written()


def test_unknown_partners_and_raters_are_errors_unless_create_missing(tmp_path, items):
    path = write(tmp_path, checkup_rows(items, partner="Brand New Co", rater="new.rater@example.com"))
    with pytest.raises(CommandError) as excinfo:
        run_import(path)
    assert "line 2: unknown partner 'Brand New Co' (use --create-missing to create it)" in str(excinfo.value)
    assert "line 2: unknown rater 'new.rater@example.com'" in str(excinfo.value)
    assert not Partner.objects.exists() and nothing_written()

    output = run_import(path, "--create-missing")

    assert "Created 1 partner(s): Brand New Co" in output
    rater = get_user_model().objects.get(email="new.rater@example.com")
    assert not rater.has_usable_password()
    assert list(Partner.objects.get(name="Brand New Co").owners.all()) == [rater]
    assert PartnerSnapshot.objects.get().health == 75.0


def test_an_incomplete_check_up_is_rejected_naming_the_missing_items(tmp_path, items):
    PartnerFactory(name="Northwind")
    UserFactory(username="ana", email="ana@example.com")
    rows = [r for r in checkup_rows(items) if "traits.honesty" not in r]
    with pytest.raises(
        CommandError,
        match=r"line 2: the check-up of Northwind for 2026-Q3 by ana@example.com is "
        r"incomplete; missing traits.honesty",
    ):
        run_import(write(tmp_path, rows))
    assert nothing_written()


def test_an_existing_check_up_is_never_overwritten(tmp_path, items):
    partner = PartnerFactory(name="Northwind")
    rater = UserFactory(username="ana", email="ana@example.com")
    CheckupFactory(partner=partner, rater=rater, period=PeriodFactory.of("2026-Q3"))
    with pytest.raises(CommandError, match=r"already has a check-up for 2026-Q3 by ana@example\.com"):
        run_import(write(tmp_path, checkup_rows(items)))
    assert not Answer.objects.exists()


def test_a_bad_header_or_an_empty_file_is_explained(tmp_path):
    with pytest.raises(CommandError, match="line 1: the header must be partner,period,rater,item,score"):
        run_import(write(tmp_path, [], header="partner,quarter,rater,item,score\n"))
    with pytest.raises(CommandError, match="the file is empty"):
        run_import(write(tmp_path, [], header=""))
    with pytest.raises(CommandError, match="cannot open"):
        run_import(str(tmp_path / "missing.csv"))


def test_a_file_that_is_not_utf8_is_refused(tmp_path, rubric_version):
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + "Café,2026-Q3,a@example.com,characteristics.trust,4\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        run_import(str(path))


def test_a_utf8_bom_and_blank_lines_are_tolerated(tmp_path, items):
    PartnerFactory(name="Zürich Digital")
    UserFactory(username="ana", email="ana@example.com")
    rows = checkup_rows(items, partner="Zürich Digital")
    path = tmp_path / "bom.csv"
    path.write_text("\ufeff" + HEADER + "\n".join(r.rstrip("\n") for r in rows) + "\n\n", encoding="utf-8")
    assert "Imported 18 answers" in run_import(str(path))
