"""Stale scores (docs/DASHBOARD.md, "Stale scores"): a partner whose latest check-up is more than
STALE_AFTER_QUARTERS quarters old is shown as stale on the dashboard, the heatmap, the CSV and the
partners list, not as its current health. "Today" is 2026-11-22 (2026-Q4): 2026-Q2 is still current."""

import csv
import io
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments.periods import Quarter
from assessments.staleness import fresh_from, is_stale, stale_label
from assessments.tests.dashboard_data import build_portfolio, snapshot
from assessments.tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def portfolio(time_machine):
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    cache.clear()
    portfolio = build_portfolio()
    periods = portfolio.periods
    # Juliet was last scored in 2026-Q1 and Kilo in 2025-Q4: both stale. Lima too, but it is inactive.
    for name, codes, active in (
        ("Juliet", ("2025-Q4", "2026-Q1"), True),
        ("Kilo", ("2025-Q4",), True),
        ("Lima", ("2026-Q1",), False),
    ):
        partner = PartnerFactory(name=name, owners=[portfolio.ana], is_active=active)
        for code in codes:
            snapshot(partner=partner, period=periods[code], health=81, delta=None)
    return portfolio


def test_more_than_two_quarters_old_is_stale_and_two_is_not():
    now = Quarter(2026, 4)
    assert fresh_from(current=now, after=2) == Quarter(2026, 2)
    assert not is_stale(Quarter(2026, 2), current=now, after=2)
    assert is_stale(Quarter(2026, 1), current=now, after=2)
    assert not is_stale(None, current=now, after=2)  # never scored is "not scored yet"
    assert is_stale(Quarter(2026, 3), current=now, after=0)
    assert stale_label(Quarter(2025, 4)) == "Stale — last check-up 2025-Q4"
    with pytest.raises(ValueError, match="STALE_AFTER_QUARTERS must not be negative"):
        fresh_from(current=now, after=-1)


def test_the_dashboard_counts_the_active_stale_partners_in_a_tile(client, portfolio):
    client.force_login(portfolio.lena)
    html = client.get(reverse("dashboard")).content.decode()
    tile = text(html[html.index('id="tile-stale"') : html.index("</div></div></div>", html.index('id="tile-stale"'))])
    assert "Stale scores 2 active partners with no check-up since before 2026-Q2 (more than 2 quarters ago)" in tile
    assert "so they are shown as stale, not as their health." in tile
    assert f'href="{reverse("partner_list")}?band=stale#partners"' in html


def test_the_setting_moves_the_line(client, portfolio, settings):
    settings.STALE_AFTER_QUARTERS = 3
    client.force_login(portfolio.lena)
    html = text(client.get(reverse("dashboard")).content.decode())
    assert "Stale scores 1 active partner with no check-up since before 2026-Q1 (more than 3 quarters ago)" in html


def test_the_heatmap_shows_a_stale_partner_greyed_with_its_last_quarter_not_its_health(client, portfolio):
    client.force_login(portfolio.lena)
    html = client.get(reverse("dashboard") + "?period=2026-Q1&sort=name").content.decode()
    table = html[html.index('id="heatmap-table"') :]
    juliet = text(table[table.index(">Juliet<") : table.index("</tr>", table.index(">Juliet<"))])
    alpha = text(table[table.index(">Alpha<") : table.index("</tr>", table.index(">Alpha<"))])
    assert "Stale — last check-up 2026-Q1" in juliet
    assert "81.0" not in juliet
    assert "83.0 Healthy" in alpha and "Stale" not in alpha


def heatmap_names(html: str) -> list[str]:
    table = html[html.index('id="heatmap-table"') : html.index("</table>", html.index('id="heatmap-table"'))]
    return re.findall(r'class="partner-cell"><a href="[^"]+">([^<]+)</a>', table)


def heatmap_row(html: str, name: str) -> str:
    table = html[html.index('id="heatmap-table"') :]
    start = table.rindex("<tr", 0, table.index(f">{name}<"))
    return table[start : table.index("</tr>", start)]


def test_the_default_heatmap_lists_the_stale_partners_greyed_after_the_scored_ones(client, portfolio):
    client.force_login(portfolio.lena)
    response = client.get(reverse("dashboard") + "?sort=-health")
    html = response.content.decode()
    # 2026-Q3, the default quarter: its six active scored partners by health, then Juliet and Kilo
    # (stale, by name); not Lima (archived) nor Hotel (last scored 2026-Q2, still current).
    assert heatmap_names(html) == ["Alpha", "Echo", "Charlie", "Golf", "Bravo", "Delta", "Juliet", "Kilo"]
    juliet, kilo = heatmap_row(html, "Juliet"), heatmap_row(html, "Kilo")
    assert juliet.startswith('<tr class="stale-row">') and kilo.startswith('<tr class="stale-row">')
    assert "Stale — last check-up 2026-Q1" in text(juliet) and "81.0" not in juliet
    assert "Stale — last check-up 2025-Q4" in text(kilo)
    assert 'class="stale-row"' not in heatmap_row(html, "Alpha")
    assert "Showing 1\u20138 of 8 partners, the last 2 stale (no check-up recent enough to show their health" in text(
        html
    )
    # The quarter's figures are the scored partners' only: the band counts hold 6, not 8.
    summary = response.context["data"].summary
    assert (summary.partners, sum(summary.bands.values())) == (6, 6)
    assert summary.stale.partners == 2


def test_the_heatmap_filters_apply_to_the_stale_rows(client, portfolio):
    client.force_login(portfolio.lena)
    portfolio.partners["Alpha"].__class__.objects.filter(name="Kilo").update(kind="vendor", segment="strategic")
    names = lambda query: heatmap_names(client.get(reverse("dashboard") + query).content.decode())  # noqa: E731
    assert names("?kind=vendor&sort=name") == ["Bravo", "Kilo"]
    assert names("?segment=strategic&sort=name") == ["Alpha", "Kilo"]
    assert names("?q=uli") == ["Juliet"]
    assert names(f"?owner={portfolio.ben.pk}&sort=name") == ["Charlie", "Delta", "Echo"]
    assert names(f"?owner={portfolio.ana.pk}&sort=name") == ["Alpha", "Bravo", "Echo", "Golf", "Juliet", "Kilo"]
    # A band or "declining" asks for scored partners only; an older quarter lists the partners scored in it.
    assert "Juliet" not in names("?band=healthy")
    assert "Kilo" not in names("?declining=on")
    assert names("?period=2026-Q2&sort=name") == ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Hotel"]


def test_the_csv_export_of_the_default_quarter_lists_the_stale_partners_with_no_health(client, portfolio):
    client.force_login(portfolio.lena)
    response = client.get(reverse("dashboard_export") + "?sort=name")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row["partner"] for row in rows] == [
        "Alpha", "Bravo", "Charlie", "Delta", "Echo", "Golf", "Juliet", "Kilo",
    ]  # fmt: skip
    juliet = rows[6]
    assert (juliet["period"], juliet["stale"], juliet["health"], juliet["band"], juliet["coverage"]) == (
        "2026-Q3",
        "yes",
        "",
        "",
        "",
    )
    assert juliet["characteristics.trust"] == "" and juliet["account_managers"] == "Ana Alvarez"
    assert (rows[0]["stale"], rows[0]["health"]) == ("no", "80.0")


def test_the_csv_export_has_a_stale_column(client, portfolio):
    client.force_login(portfolio.lena)
    response = client.get(reverse("dashboard_export") + "?period=2026-Q1&sort=name")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert {row["partner"]: row["stale"] for row in rows} == {
        "Alpha": "no",
        "Bravo": "no",
        "Charlie": "no",
        "Juliet": "yes",
    }


def test_the_partners_list_filters_the_stale_partners_and_shows_them_as_stale(client, portfolio):
    client.force_login(portfolio.lena)
    html = client.get(reverse("partner_list") + "?band=stale").content.decode()
    rows = text(html[html.index("<tbody>") : html.index("</tbody>")])
    assert "Juliet" in rows and "Kilo" in rows
    assert "Stale — last check-up 2026-Q1" in rows and "Stale — last check-up 2025-Q4" in rows
    assert "Alpha" not in rows and "Lima" not in rows and "Hotel" not in rows
    everyone = text(client.get(reverse("partner_list")).content.decode())
    assert "Hotel" in everyone and "Stale — last check-up 2026-Q2" not in everyone
