"""The perception gap on the leadership dashboard: a heatmap column, a CSV column and a tile for
partners whose view of us dropped this quarter."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments.models import PartnerSnapshot
from assessments.tests.dashboard_data import PREV, TODAY, P, build_portfolio

pytestmark = pytest.mark.django_db


def view(health: float) -> dict:
    return {"health": health, "band": "healthy", "rubric_scores": {}, "item_means": {}, "responses": 2}


@pytest.fixture
def portfolio(time_machine):
    time_machine.move_to(f"{TODAY.isoformat()} 10:00:00+00:00", tick=False)
    cache.clear()
    portfolio = build_portfolio()
    views = {
        # Alpha's contacts rated us 80 last quarter and 70 now: a drop of 10 (we rate Alpha 80: gap -10).
        ("Alpha", PREV): 80.0,
        ("Alpha", P): 70.0,
        # Bravo's fell by 2 only: not a drop. Charlie's is new this quarter: nothing to compare.
        ("Bravo", PREV): 60.0,
        ("Bravo", P): 58.0,
        ("Charlie", P): 90.0,
        # Foxtrot is archived: never on the dashboard.
        ("Foxtrot", PREV): 90.0,
        ("Foxtrot", P): 40.0,
    }
    for (name, code), health in views.items():
        PartnerSnapshot.objects.filter(partner__name=name, period__code=code).update(partner_view=view(health))
    return portfolio


def page(client, portfolio, query: str = "") -> str:
    client.force_login(portfolio.lena)
    response = client.get(f"{reverse('dashboard')}{query}")
    assert response.status_code == 200
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_the_tile_lists_partners_whose_view_of_us_dropped_this_quarter(client, portfolio):
    text = page(client, portfolio)
    tile = text[text.index("Their view of us dropped") :][:400]
    assert (
        "Their view of us dropped 1 partner whose rating of us fell by 5 points or more from 2026-Q2 to 2026-Q3" in tile
    )
    assert "Alpha : 80.0 → 70.0 (\u221210.0)" in tile
    assert "Bravo" not in tile and "Foxtrot" not in tile


def test_the_heatmap_shows_the_gap_and_sorts_by_it(client, portfolio):
    client.force_login(portfolio.lena)
    markup = client.get(f"{reverse('dashboard')}?sort=-perception_gap").content.decode()
    assert "Perception gap is their rating of us minus ours" in html.unescape(markup)
    table = markup[markup.index('id="heatmap-table"') :]
    rows = re.findall(r'class="partner-cell"><a href="[^"]+">([^<]+)</a>.*?</tr>', table, re.S)
    # +20.0, +3.0, -10.0, then the partners without a view.
    assert rows[:3] == ["Charlie", "Bravo", "Alpha"]
    cells = {
        name: re.findall(r'<td class="text-end">([^<]*)</td>', row)[-1]
        for name, row in re.findall(r'class="partner-cell"><a href="[^"]+">([^<]+)</a>(.*?)</tr>', table, re.S)
    }
    assert cells == {"Charlie": "+20.0", "Bravo": "+3.0", "Alpha": "\u221210.0", "Delta": "—", "Echo": "—", "Golf": "—"}


def test_the_csv_has_a_perception_gap_column(client, portfolio):
    client.force_login(portfolio.lena)
    raw = b"".join(client.get(reverse("dashboard_export") + "?sort=name").streaming_content)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    gaps = {row["partner"]: row["perception_gap"] for row in rows}
    assert gaps == {"Alpha": "-10.0", "Bravo": "3.0", "Charlie": "20.0", "Delta": "", "Echo": "", "Golf": ""}
