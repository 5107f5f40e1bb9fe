"""Hostile import files: each is refused with one line naming the line and the reason; nothing is written."""

import io
import re
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from assessments.models import Answer, Checkup, Partner, PartnerSnapshot, Period

pytestmark = pytest.mark.django_db

HEADER = "partner,period,rater,item,score\n"


def rows_for(items, partner="Northwind", rater="ana@example.com", period="2026-Q3"):
    return [f"{partner},{period},{rater},{address},4\n" for address in items]


def run(tmp_path, content: bytes | str, *args) -> str:
    path = tmp_path / "hostile.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(CommandError) as caught:
        call_command("import_assessments", str(path), *args, stdout=io.StringIO())
    return str(caught.value)


def nothing_written() -> bool:
    return not (
        Checkup.objects.exists()
        or Answer.objects.exists()
        or PartnerSnapshot.objects.exists()
        or Partner.objects.exists()
        or Period.objects.exists()
        or get_user_model().objects.exists()
    )


def test_a_field_longer_than_the_csv_limit_is_named_with_its_line(tmp_path, items):
    huge = "x" * 140_000
    message = run(tmp_path, HEADER + "".join(rows_for(items)) + f"{huge},2026-Q3,a@example.com,x,4\n")

    assert "line 20: a field is longer than 131,072 characters" in message
    assert len(message) < 1_000 and nothing_written()


def test_a_partner_name_longer_than_its_column_is_refused_even_with_create_missing(tmp_path, items):
    name = "N" * 201
    message = run(tmp_path, HEADER + "".join(rows_for(items, partner=name)), "--create-missing")

    assert f"line 2: the partner name '{'N' * 60}'… (201 characters) is longer than 200 characters" in message
    assert nothing_written()


def test_a_rater_email_longer_than_its_column_is_refused_even_with_create_missing(tmp_path, items):
    rater = f"{'a' * 60}@{'b' * 60}.{'c' * 60}.example.com"  # a valid address of 194 characters
    message = run(tmp_path, HEADER + "".join(rows_for(items, rater=rater)), "--create-missing")

    assert "line 2: rater 'aaaa" in message and "(194 characters) is longer than 150 characters" in message
    assert nothing_written()


def test_a_nul_byte_is_refused_with_its_line(tmp_path, items):
    rows = rows_for(items, partner="North\x00wind")
    message = run(tmp_path, HEADER + "".join(rows), "--create-missing")

    assert "line 2: contains a NUL byte (0x00); save the file as plain UTF-8 text" in message
    assert nothing_written()


def test_a_header_of_a_million_columns_gives_a_short_message(tmp_path):
    message = run(tmp_path, ",".join(f"c{i}" for i in range(1_000_000)) + "\n")

    assert message.endswith(
        "hostile.csv was rejected; nothing was imported. 1 problem(s):\n"
        "line 1: the header must be partner,period,rater,item,score, not "
        "'c0','c1','c2','c3','c4','c5','c6','c7',… (1,000,000 columns)"
    )
    assert "(1,000,000 columns)" in message
    assert len(message) < 1_000


def test_many_bad_rows_report_the_first_fifty_and_a_count(tmp_path, items):
    bad = [f"Northwind,2026-Q3,ana@example.com,characteristics.trust,{'9' * 5000}\n" for _ in range(120)]
    message = run(tmp_path, HEADER + "".join(bad))

    assert "120 problem(s)" in message
    assert message.count("\nline ") == 50
    assert message.endswith("... and 70 more")
    assert "line 51: score '99999" in message and "(5,000 characters) is not a whole number" in message
    assert len(message) < 50 * 200


def test_a_byte_that_is_not_utf8_is_placed_by_its_offset_in_the_file_and_its_line(tmp_path, items):
    good = HEADER + "".join(rows_for(items)) * 20  # well past the 8 KB a text stream decodes at a time
    content = good.encode() + "Café,2026-Q3,b@example.com,characteristics.trust,4\n".encode("latin-1")
    offset = content.index(b"\xe9")
    line = good.count("\n") + 1

    message = run(tmp_path, content)

    assert offset > 8192
    assert (
        f"line {line}: the file is not UTF-8 text (invalid continuation byte: byte 0xe9 at byte offset {offset}); "
        "save it as UTF-8"
    ) in message
    assert nothing_written()


def test_a_multibyte_character_split_across_chunks_is_not_an_error_but_a_truncated_one_is(tmp_path, items):
    # "é" encoded in UTF-8 straddles the 8 KB boundary; at the very end only its first byte is left.
    padding = "x" * (8191 - len(HEADER.encode()))
    content = (HEADER + "".join(rows_for(items, partner=padding + "é"))).encode()
    assert content.index("é".encode()) == 8191
    message = run(tmp_path, content + b"\xc3")
    offset = len(content)
    assert re.search(rf"line \d+: the file is not UTF-8 text \(unexpected end of data: byte 0xc3 at byte offset {offset}\)",
                     message)


def test_standard_input_that_is_not_utf8_is_placed_too(monkeypatch, rubric_version):
    content = HEADER.encode() + b"Caf\xe9,2026-Q3,a@example.com,characteristics.trust,4\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(content)))

    with pytest.raises(CommandError, match=r"line 2: the file is not UTF-8 text \(invalid continuation byte: "
                                           r"byte 0xe9 at byte offset 35\)"):
        call_command("import_assessments", "-", stdout=io.StringIO())
