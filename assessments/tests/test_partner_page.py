import datetime as dt
import json
import re

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import ActionItem, Alert, Interaction, RubricItem
from assessments.periods import Quarter
from assessments.roles import Role
from assessments.selectors.access import partners_editable_by
from assessments.selectors.partners import partner_overview
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import (
    ActionItemFactory,
    CheckupFactory,
    EngagementFactory,
    InteractionFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
    submitted_checkup,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_q4_2026():
    # An empty cache: a roll-up stored by an earlier test at a later (real) time would never be
    # replaced by one built at this earlier, frozen time (rollups keep the newest build).
    cache.clear()
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def manager():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


@pytest.fixture
def partner(manager, items):
    partner = PartnerFactory(name="Northwind Systems", owners=[manager])
    for code, overrides in [
        ("2026-Q1", {}),
        ("2026-Q2", {}),
        ("2026-Q3", {"traits__face_to_face": 1, "symptoms__little_interaction": 2}),
    ]:
        period = PeriodFactory.of(code)
        submitted_checkup(
            items=items, answers=answers_for(items, **overrides), partner=partner, period=period, rater=manager
        )
        with transaction.atomic():
            snapshots_recompute(pairs={(partner.id, period.id)})
    return partner


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(user, partner) -> str:
    response = client_for(user).get(reverse("partner_detail", args=[partner.pk]))
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_partner_page_shows_eight_quarters_of_health_as_a_chart_and_a_table(manager, partner):
    html = page(manager, partner)

    data = json.loads(
        re.search(r'<script id="health-chart-data" type="application/json">(.*?)</script>', html, re.S)[1]
    )
    assert len(data["labels"]) == 8
    assert data["labels"][-1] == "2026-Q3" and data["labels"][0] == "2024-Q4"
    assert data["health"][-3:-1] == [75.0, 75.0]
    assert '<canvas id="health-chart"' in html and "js/partner.js" in html and "chartjs/chart.umd.min.js" in html
    table = text(html[html.index('id="health-table"') : html.index("</table>", html.index('id="health-table"'))])
    assert "2026-Q2 75.0 Healthy" in table
    assert "2025-Q3 — not scored" in table


def test_the_partner_page_compares_this_quarter_with_last_item_by_item(manager, partner):
    html = text(page(manager, partner))

    assert "2026-Q3 against 2026-Q2, item by item" in html
    assert "Meeting face to face moved most 4 · Good 1 · Poor \u22123.0" in html
    assert "Trust between the organisations 4 · Good 4 · Good 0.0" in html


def test_the_partner_page_shows_the_symptom_history_in_words_and_numbers(manager, partner):
    html = text(page(manager, partner))

    assert "Symptom history" in html
    assert "Little to no interaction — — — — — 0 · None 0 · None 2 · Moderate" in html


def test_an_owner_sees_last_quarters_action_items_and_can_mark_one_done(manager, partner):
    item = ActionItemFactory(partner=partner, period=PeriodFactory.of("2026-Q3"), description="Run a joint workshop")
    html = page(manager, partner)
    assert "Agreed last quarter (2026-Q3)" in html and "Run a joint workshop" in html
    assert f'action="{reverse("action_item_done", args=[item.pk])}"' in html

    response = client_for(manager).post(reverse("action_item_done", args=[item.pk]), follow=True)

    assert "Marked done: Run a joint workshop" in response.content.decode()
    assert "Done 20 Nov by Ana Alvarez" in response.content.decode()
    item.refresh_from_db()
    assert item.done_by == manager


def test_the_partner_page_lists_engagements_and_the_interaction_log(manager, partner):
    EngagementFactory(partner=partner, client="Globex Retail", title="Data centre move", status="lost")
    InteractionFactory(partner=partner, occurred_on=dt.date(2026, 8, 3), kind="qbr", summary="Tense QBR")

    html = text(page(manager, partner))

    # Columns a phone hides are repeated under the first cell (display: none either way, never read twice).
    assert "Data centre move for Globex Retail Globex Retail Lost" in html
    assert "0 won, 1 lost" in html
    assert "3 Aug 2026 Quarterly business review, face to face Quarterly business review Yes Tense QBR" in html
    assert "Interactions 0 0 0 0 0 0 0 1" in html and "Face to face 0 0 0 0 0 0 0 1" in html


def test_an_owner_adds_an_interaction_from_the_partner_page(manager, partner):
    html = page(manager, partner)
    for label in ("Date", "Kind", "Face to face", "Summary"):
        assert re.search(rf"<label\s[^>]*>\s*{label}", html), label

    response = client_for(manager).post(
        reverse("interaction_add", args=[partner.pk]),
        {"occurred_on": "2026-11-18", "kind": "meeting", "face_to_face": "on", "summary": "Lunch with their COO"},
        follow=True,
    )

    assert response.redirect_chain[-1][0].endswith("#interactions")
    assert "18 Nov 2026 Meeting, face to face Meeting Yes Lunch with their COO Ana Alvarez" in text(
        response.content.decode()
    )
    assert Interaction.objects.get().created_by == manager


def test_a_bad_interaction_is_refused_beside_the_field_and_keeps_what_was_typed(manager, partner):
    response = client_for(manager).post(
        reverse("interaction_add", args=[partner.pk]),
        {"occurred_on": "2026-12-25", "kind": "call", "summary": "Planned call"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "this date is in the future" in html
    assert 'value="Planned call"' in html
    assert not Interaction.objects.exists()


def test_leadership_reads_any_partner_page_but_cannot_add_or_mark_done(partner):
    lena = UserFactory(username="lena", role="leadership")
    item = ActionItemFactory(partner=partner, period=PeriodFactory.of("2026-Q3"))

    html = page(lena, partner)

    assert "Northwind Systems" in html and "Symptom history" in html
    assert "Add an interaction" not in html and "Mark done" not in html
    client = client_for(lena)
    response = client.post(reverse("interaction_add", args=[partner.pk]), {"occurred_on": "2026-11-01", "kind": "call"})
    assert response.status_code == 404
    assert client.post(reverse("action_item_done", args=[item.pk])).status_code == 404
    assert not Interaction.objects.exists()
    assert ActionItem.objects.get().done_at is None


def test_a_leader_who_also_manages_accounts_edits_only_the_partners_they_own(partner):
    # The page decides "may edit" from the owners it loaded; it must agree with partners_editable_by.
    both = UserFactory(username="mo", role="leadership")
    both.groups.add(Group.objects.get_or_create(name=Role.ACCOUNT_MANAGER.value)[0])
    theirs = PartnerFactory(name="Mo's Own Partner", owners=[both])

    assert "Add an interaction" in page(both, theirs)
    html = page(both, partner)
    assert "Northwind Systems" in html and "Add an interaction" not in html
    assert list(partners_editable_by(both)) == [theirs]


def test_an_admin_may_open_any_partner_page(partner):
    admin = UserFactory(username="root", role="admin")
    assert "Northwind Systems" in page(admin, partner)


def test_another_managers_partner_action_item_and_interaction_urls_are_404(partner):
    ben = client_for(UserFactory(username="ben", role="account_manager"))
    item = ActionItemFactory(partner=partner, period=PeriodFactory.of("2026-Q3"))

    assert ben.get(reverse("partner_detail", args=[partner.pk])).status_code == 404
    assert ben.post(reverse("action_item_done", args=[item.pk])).status_code == 404
    response = ben.post(reverse("interaction_add", args=[partner.pk]), {"occurred_on": "2026-11-01", "kind": "call"})
    assert response.status_code == 404
    assert not Interaction.objects.exists()
    assert ActionItem.objects.get().done_at is None
    assert "Northwind" not in ben.get(reverse("partner_list")).content.decode()


def test_a_partner_that_does_not_exist_is_a_404(manager):
    assert client_for(manager).get(reverse("partner_detail", args=[999999])).status_code == 404


def test_the_partner_page_carries_no_inline_script_or_handlers(manager, partner):
    html = page(manager, partner)
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+=", html)


def test_the_partner_list_links_each_partner_to_its_page(manager, partner):
    html = client_for(manager).get(reverse("partner_list")).content.decode()
    assert f'href="{reverse("partner_detail", args=[partner.pk])}"' in html
    assert "2026-Q3" in html


def test_an_owner_is_linked_from_the_partner_page_to_their_checkup_this_quarter(manager, partner):
    checkup = CheckupFactory(partner=partner, rater=manager, period=PeriodFactory.of("2026-Q4"))

    html = page(manager, partner)

    assert f'href="{reverse("checkup_edit", args=[checkup.pk])}"' in html
    assert "Start your 2026-Q4 check-up" in html
    assert "your 2026-Q4 check-up" not in page(UserFactory(username="lena", role="leadership"), partner)


# --- the leadership drill-down (issue 4) -----------------------------------------------


def json_data(html: str, element_id: str):
    return json.loads(re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)[1])


def section(html: str, element_id: str) -> str:
    """The visible text of one <section id=...> of the page."""
    start = html.index(f'<section id="{element_id}"')
    return text(html[start : html.index("</section>", start)])


def score_quarter(items, partner, code: str, ratings: dict) -> None:
    """Submit one check-up per rater for ``code`` ({user: answer overrides}) and recompute the snapshot."""
    period = PeriodFactory.of(code)
    for rater, overrides in ratings.items():
        submitted_checkup(
            items=items, answers=answers_for(items, **overrides), partner=partner, period=period, rater=rater
        )
    with transaction.atomic():
        snapshots_recompute(pairs={(partner.id, period.id)})


@pytest.fixture
def lena():
    return UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")


@pytest.fixture
def raters():
    return [
        UserFactory(username="ben", first_name="Ben", last_name="Okafor", role="account_manager"),
        UserFactory(username="chloe", first_name="Chloe", last_name="Dubois", role="account_manager"),
    ]


def test_the_rubric_scores_chart_and_its_table_show_each_rubric_by_quarter(lena, partner):
    html = page(lena, partner)

    data = json_data(html, "rubric-chart-data")
    assert data["labels"][0] == "2024-Q4" and data["labels"][-1] == "2026-Q3"
    assert [(s["key"], s["short"], s["inverted"]) for s in data["series"]] == [
        ("characteristics", "Characteristics", False),
        ("traits", "Traits", False),
        ("symptoms", "Symptoms", True),
    ]
    # 2026-Q3: face to face fell to 1 (0 points), so traits = 6 x 75 / 7 = 64.29; little interaction
    # at 2 (load 2/3) over five symptoms is a load of 0.1333, so symptoms = 100 x (1 - 0.1333) = 86.67.
    assert [s["values"][-1] for s in data["series"]] == [75.0, 64.29, 86.67]
    assert [s["values"][-3] for s in data["series"]] == [75.0, 75.0, 100.0]
    assert [s["values"][0] for s in data["series"]] == [None, None, None]
    assert '<canvas id="rubric-chart" role="img" aria-label="Line chart of the 3 rubric scores' in html
    table = section(html, "rubrics")
    assert "2026-Q3 75.0 64.3 86.7" in table
    assert "2026-Q2 75.0 75.0 100.0" in table
    assert "2025-Q4 not scored 2026-Q1" in table


def test_the_radar_compares_the_six_characteristics_with_the_quarter_before(lena, manager, items):
    partner = PartnerFactory(name="Cedar Analytics", owners=[manager])
    score_quarter(items, partner, "2026-Q2", {manager: {}})
    score_quarter(items, partner, "2026-Q3", {manager: {"characteristics__trust": 2, "characteristics__quality": 5}})

    html = page(lena, partner)

    data = json_data(html, "radar-chart-data")
    assert data["labels"] == [
        "Quality of product or service",
        "Flexible engagement structures",
        "Trust between the organisations",
        "Client-service team",
        "Access to leadership for escalation",
        "Serves the client, not the vendor",
    ]
    assert (data["min"], data["max"]) == (1, 5)
    assert data["latest"] == {"code": "2026-Q3", "values": [5.0, 4.0, 2.0, 4.0, 4.0, 4.0]}
    assert data["previous"] == {"code": "2026-Q2", "values": [4.0, 4.0, 4.0, 4.0, 4.0, 4.0]}
    assert 'role="img" aria-label="Radar chart of the 6 characteristics of a good partner' in html
    # Without JavaScript the chart box stays hidden; the table beside it carries the same means.
    assert '<div class="partner-chart partner-chart-radar mb-3" hidden>' in html
    radar = section(html, "radar")
    assert "Characteristic 2026-Q2 2026-Q3" in radar
    assert "Quality of product or service 4 · Good 5 · Excellent" in radar
    assert "Trust between the organisations 4 · Good 2 · Weak" in radar
    assert "Serves the client, not the vendor 4 · Good 4 · Good" in radar
    comparison = section(html, "comparison")
    assert "Quality of product or service moved most 4 · Good 5 · Excellent +1.0" in comparison
    assert "Trust between the organisations moved most 4 · Good 2 · Weak \u22122.0" in comparison


def test_the_radar_shows_only_the_latest_quarter_when_the_one_before_was_not_scored(lena, manager, items):
    partner = PartnerFactory(owners=[manager])
    score_quarter(items, partner, "2026-Q1", {manager: {}})
    score_quarter(items, partner, "2026-Q3", {manager: {"characteristics__trust": 3}})

    html = page(lena, partner)

    data = json_data(html, "radar-chart-data")
    assert data["latest"]["values"][2] == 3.0
    assert data["previous"] is None
    assert "Characteristic Before 2026-Q3 Quality of product or service — 4 · Good" in section(html, "radar")


def symptom_cells(html: str) -> dict[str, list[tuple[str, str]]]:
    """{symptom title: [(shading class, cell text), ...]} read from the timeline's HTML."""
    table = html[html.index('id="symptom-table"') : html.index("</table>", html.index('id="symptom-table"'))]
    rows = {}
    for row in re.findall(r'<tr>\s*<th scope="row" class="fw-normal">(.*?)</tr>', table, re.S):
        cells = re.findall(r'<td class="text-center text-nowrap small ([^"]*)">([^<]*)</td>', row)
        rows[row.split("</th>")[0].strip()] = [(css.strip(), label) for css, label in cells]
    return rows


def test_the_symptom_timeline_shades_each_quarter_by_intensity_prints_the_number_and_counts_persistence(
    lena, manager, raters, items
):
    partner = PartnerFactory(owners=[manager])
    score_quarter(
        items, partner, "2026-Q1", {manager: {"symptoms__chasing_rainbows": 2, "symptoms__little_interaction": 1}}
    )
    score_quarter(items, partner, "2026-Q2", {manager: {"symptoms__chasing_rainbows": 3}})
    # Two raters: chasing rainbows 1 and 2, a mean of 1.5, which rounds to moderate.
    score_quarter(
        items,
        partner,
        "2026-Q3",
        {
            manager: {"symptoms__chasing_rainbows": 1, "symptoms__little_interaction": 1},
            raters[0]: {"symptoms__chasing_rainbows": 2, "symptoms__little_interaction": 1},
        },
    )

    html = page(lena, partner)

    # Each cell is shaded by its rounded intensity and prints the number and its word.
    cells = symptom_cells(html)
    assert len(cells["Chasing rainbows"]) == 8
    assert cells["Chasing rainbows"][0] == ("", "—")
    assert cells["Chasing rainbows"][-3:] == [
        ("band-at_risk", "2 · Moderate"),
        ("band-critical", "3 · Severe"),
        ("band-at_risk", "1.5 · Moderate"),
    ]
    assert cells["Little to no interaction"][-3:] == [
        ("band-watch", "1 · Mild"),
        ("", "0 · None"),
        ("band-watch", "1 · Mild"),
    ]

    timeline = section(html, "symptoms")
    # Persistence: three scored quarters in a row for chasing rainbows; little interaction came back only now.
    assert "Chasing rainbows — — — — — 2 · Moderate 3 · Severe 1.5 · Moderate 3 persistent" in timeline
    assert "Little to no interaction — — — — — 1 · Mild 0 · None 1 · Mild 1" in timeline
    assert "Mutual respect missing — — — — — 0 · None 0 · None 0 · None 0" in timeline
    assert "Key: 0 · None 1 · Mild 2 · Moderate 3 · Severe — not scored" in timeline


def test_a_quarter_nobody_scored_does_not_break_a_symptoms_run(manager, items):
    partner = PartnerFactory(owners=[manager])
    score_quarter(items, partner, "2026-Q1", {manager: {"symptoms__one_sided_pencil": 2}})
    score_quarter(items, partner, "2026-Q3", {manager: {"symptoms__one_sided_pencil": 1}})

    symptoms = partner_overview(user=manager, partner_id=partner.id)["symptoms"]

    pencil = next(r for r in symptoms["rows"] if r["item"].key == "one_sided_pencil")
    assert [c["label"] for c in pencil["cells"][-3:]] == ["2 · Moderate", "—", "1 · Mild"]
    assert pencil["streak"] == 2


def test_rater_spread_lists_the_items_three_raters_disagree_on_with_each_raters_answer(lena, manager, raters, items):
    partner = PartnerFactory(name="Ironbridge Digital", owners=[manager, *raters])
    score_quarter(items, partner, "2026-Q2", {manager: {}})
    ben, chloe = raters
    score_quarter(
        items,
        partner,
        "2026-Q3",
        {
            manager: {"characteristics__trust": 5, "characteristics__quality": 4, "characteristics__flexibility": 4},
            ben: {"characteristics__trust": 3, "characteristics__quality": 4, "characteristics__flexibility": 4},
            chloe: {
                "characteristics__trust": 1,
                "characteristics__quality": 2,
                "characteristics__flexibility": 3,
                "symptoms__chasing_rainbows": 2,
            },
        },
    )

    spread = partner_overview(user=lena, partner_id=partner.id)["spread"]

    # Spread is the population standard deviation of the normalised answers (docs/SCORING.md):
    # trust 100/50/0 -> 40.82; chasing rainbows 100/100/33.3 -> 31.43; quality 75/75/25 -> 23.57;
    # flexibility 75/75/50 -> 11.79 stays under the 20-point threshold.
    assert spread["snapshot"].period.code == "2026-Q3"
    assert spread["raters"] == ["Ana Alvarez", "Ben Okafor", "Chloe Dubois"]
    assert [(r["address"], r["spread"], r["values"]) for r in spread["rows"]] == [
        ("characteristics.trust", 40.82, ["5 · Excellent", "3 · Adequate", "1 · Poor"]),
        ("symptoms.chasing_rainbows", 31.43, ["0 · None", "0 · None", "2 · Moderate"]),
        ("characteristics.quality", 23.57, ["4 · Good", "4 · Good", "2 · Weak"]),
    ]
    html = page(lena, partner)
    shown = section(html, "spread")
    # Disagreement is the mean spread over all 18 items: (40.82 + 31.43 + 23.57 + 11.79) / 18 = 5.98.
    assert "3 raters scored 2026-Q3. Overall disagreement: 6.0 points" in shown
    # Leadership reads each rater's leniency beside their answers (docs/CALIBRATION.md): over the 13 rating
    # items, Chloe is 6 steps below the others' means (-6/13), kept at 1/3 for one shared quarter: -0.15.
    assert (
        "Item Ana Alvarez leniency +0.1 Ben Okafor leniency 0.0 Chloe Dubois leniency \u22120.2 Spread (points)"
        in shown
    )
    assert (
        "Chloe Dubois rates 0.2 points more harshly than colleagues (\u22120.2 points; over 1 shared partner-quarter)."
        in shown
    )
    assert (
        "Trust between the organisations Characteristics of a good partner 5 · Excellent 3 · Adequate 1 · Poor 40.8"
        in shown
    )
    assert "Chasing rainbows Symptoms of an ailing partnership 0 · None 0 · None 2 · Moderate 31.4" in shown
    assert "Flexible engagement structures" not in shown


def test_rater_spread_says_so_when_only_one_rater_scored_the_partner(lena, partner):
    shown = section(page(lena, partner), "spread")

    assert "Rater spread, 2026-Q3" in shown
    assert "Only one rater (Ana Alvarez) scored 2026-Q3, and no quarter in the last 8 had more" in shown
    assert "Overall disagreement" not in shown


def test_rater_spread_falls_back_to_the_latest_quarter_with_several_raters(lena, manager, raters, items):
    partner = PartnerFactory(owners=[manager])
    score_quarter(items, partner, "2026-Q2", {manager: {"traits__honesty": 5}, raters[0]: {"traits__honesty": 2}})
    score_quarter(items, partner, "2026-Q3", {manager: {}})

    shown = section(page(lena, partner), "spread")

    assert "Rater spread, 2026-Q2" in shown
    assert "2 raters scored 2026-Q2 (the latest quarter with more than one; 2026-Q3 had one)" in shown
    # Honesty 5 against 2 is 100 against 25 points: a spread of 37.5.
    assert "Honesty Traits of a real partner 5 · Excellent 2 · Weak 37.5" in shown


def test_rater_spread_says_when_several_raters_broadly_agree(lena, manager, raters, items):
    partner = PartnerFactory(owners=[manager])
    score_quarter(items, partner, "2026-Q3", {manager: {"traits__honesty": 5}, raters[0]: {"traits__honesty": 4}})

    shown = section(page(lena, partner), "spread")

    # One step apart on a 1-5 rating is 12.5 points, under the threshold.
    assert "No item is 20 points or more apart: the raters (Ana Alvarez, Ben Okafor) broadly agree." in shown
    assert 'id="spread-table"' not in page(lena, partner)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["won", "active", "completed", "lost", "proposed", "proposed"], 0.75),
        (["lost", "lost", "won"], 1 / 3),
        (["proposed", "proposed"], None),
        ([], None),
        (["completed"], 1.0),
    ],
)
def test_the_joint_win_rate_counts_won_active_and_completed_against_lost_and_ignores_proposals(statuses, expected):
    from assessments.selectors.partners import win_rate

    assert win_rate(statuses) == (pytest.approx(expected) if expected is not None else None)


def test_the_engagements_section_shows_the_joint_win_rate_beside_chasing_rainbows(lena, manager, items):
    partner = PartnerFactory(owners=[manager])
    for code in ("2026-Q1", "2026-Q2", "2026-Q3"):
        score_quarter(items, partner, code, {manager: {"symptoms__chasing_rainbows": 2}})
    for status in ("won", "active", "completed", "lost", "proposed", "proposed"):
        EngagementFactory(partner=partner, status=status, title=f"Bid {status}")

    shown = section(page(lena, partner), "engagements")

    # Three wins (won, active, completed) against one loss; the two proposals are not decided: 3 / 4.
    assert "Joint win rate 75% of 4 decided engagements 3 won, 1 lost, 2 still proposed." in shown
    assert "raters put it at 2 · Moderate in 2026-Q3, 3 scored quarters in a row." in shown


def test_the_win_rate_is_not_applicable_while_nothing_is_decided(lena, partner):
    EngagementFactory(partner=partner, status="proposed")

    shown = section(page(lena, partner), "engagements")

    assert "Joint win rate n/a (nothing decided yet) 0 won, 0 lost, 1 still proposed." in shown


def test_the_partner_page_lists_the_partners_alerts_and_no_others(lena, partner, manager):
    q3 = PeriodFactory.of("2026-Q3")
    Alert.objects.create(
        partner=partner,
        period=q3,
        rule="health_decline",
        severity="critical",
        explanation="Health fell 12 points below its usual level.",
    )
    other = PartnerFactory(name="Other Co", owners=[manager])
    Alert.objects.create(partner=other, period=q3, rule="red_flag", severity="warning", explanation="Pays late.")

    for user in (lena, manager):
        alerts = section(page(user, partner), "alerts")
        assert (
            "2026-Q3 Critical Critical Overall health declining Health fell 12 points below its usual level. Open "
            "Health fell 12 points below its usual level. Open"
        ) in alerts
        assert "Pays late" not in alerts


def test_a_partner_name_and_engagement_title_with_a_script_tag_are_escaped(lena, manager, items):
    partner = PartnerFactory(name='Evil <script>alert("name")</script> Ltd', owners=[manager])
    score_quarter(items, partner, "2026-Q3", {manager: {}})
    EngagementFactory(partner=partner, title="<script>alert('title')</script>", client="<b>Bold</b> Corp")
    InteractionFactory(partner=partner, occurred_on=dt.date(2026, 8, 3), summary="<img src=x onerror=alert(1)>")

    html = page(lena, partner)

    assert "<script>alert(" not in html
    assert "<b>Bold</b>" not in html and "<img src=x" not in html
    assert "Evil &lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; Ltd" in html
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"<[^>]+\son[a-z]+=", html)


# --- the page's cost ---------------------------------------------------------------------


def history(items, partner, quarters: int, raters: list) -> None:
    """``quarters`` scored quarters up to 2026-Q3, each rated by every one of ``raters``."""
    for n, quarter in enumerate(Quarter(2026, 3).window(quarters)):
        score_quarter(
            items, partner, quarter.code, {r: {"characteristics__trust": 1 + (n + i) % 5} for i, r in enumerate(raters)}
        )


def furnish(partner, *, entries: int) -> None:
    """Engagements, interactions, action items (each linked to a rubric item) and alerts, ``entries`` of each."""
    q3 = PeriodFactory.of("2026-Q3")
    linked = list(RubricItem.objects.filter(rubric__version__is_current=True).order_by("id")[:3])
    for n in range(entries):
        EngagementFactory(partner=partner, status=["won", "lost", "proposed"][n % 3], title=f"Bid {n}")
        InteractionFactory(partner=partner, occurred_on=dt.date(2026, 7, 1) + dt.timedelta(days=n))
        ActionItemFactory(partner=partner, period=q3, items=linked[: 1 + n % 3])
        Alert.objects.create(
            partner=partner,
            period=PeriodFactory(quarter_value=Quarter(2026, 3).shift(-n)),
            rule="health_decline",
            severity="warning",
            explanation=f"Alert {n}",
        )


def page_queries(user, partner) -> list[str]:
    client = client_for(user)
    url = reverse("partner_detail", args=[partner.pk])
    client.get(url)  # warm the session and any per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("viewer", ["leadership", "owner"])
def test_the_partner_page_costs_the_same_queries_for_a_short_and_a_long_history_and_one_or_three_raters(
    viewer, manager, raters, items
):
    lena = UserFactory(username="lena", role="leadership")
    small = PartnerFactory(name="Small History", owners=[manager])
    history(items, small, 2, [manager])
    furnish(small, entries=1)
    large = PartnerFactory(name="Long History", owners=[manager, *raters])
    history(items, large, 12, [manager, *raters])
    furnish(large, entries=12)
    user = lena if viewer == "leadership" else manager

    small_queries = page_queries(user, small)
    large_queries = page_queries(user, large)

    assert len(small_queries) == len(large_queries), "\n".join(large_queries)
    # Raw answers are read by the rater spread's single query, the evidence cross-checks' read of the
    # newest quarter's answers to their five items (docs/EVIDENCE.md) and, for leadership, the latest
    # quarter's answers behind the calibrated health (docs/CALIBRATION.md).
    assert sum('FROM "assessments_answer"' in sql for sql in large_queries) == {"leadership": 3, "owner": 2}[viewer]
    # Session, user and roles (3), then the page's own reads (the menu asks the cached roles, a
    # published rubric version's items come from the per-process cache, the alerts' action trail
    # stays on the alert page, and a log that fits on the page is counted without a query of its
    # own; the partner's case is one read, its watch findings come from the alerts; the action
    # items' linked rubric items and the snapshots showing their progress are one query each); the
    # owner's page also looks up their own check-up this quarter. The evidence cross-checks add three:
    # the newest quarter's check-ups, their answers, the partner's interaction and engagement figures.
    # Leadership's page also reads the roll-up fingerprint the cached leniencies are kept under, and
    # the answers behind the calibrated health. The partner's view of us is two
    # (selectors.mirror.partner_view_series: the stored views, and the quarters its contacts rated).
    # One more read finds the submitted check-ups of quarters without a snapshot (too few answers
    # to score: docs/SCORING.md).
    assert len(large_queries) == {"leadership": 22, "owner": 21}[viewer], "\n".join(large_queries)


def test_a_log_longer_than_the_page_adds_one_grouped_count_whatever_its_length(manager):
    lena = UserFactory(username="lena", role="leadership")
    short, longer, longest = (PartnerFactory(name=name, owners=[manager]) for name in ("Short", "Longer", "Longest"))
    for partner, entries in ((short, 50), (longer, 51), (longest, 200)):
        for n in range(entries):
            InteractionFactory(partner=partner, occurred_on=dt.date(2026, 1, 1) + dt.timedelta(days=n))

    counts = {partner.name: len(page_queries(lena, partner)) for partner in (short, longer, longest)}

    assert counts["Longer"] == counts["Longest"] == counts["Short"] + 1
    page = client_for(lena).get(reverse("partner_detail", args=[longest.pk])).content.decode()
    assert "Showing the latest 50 of 200." in page


def test_a_partner_nobody_has_scored_shows_no_empty_charts(lena, manager):
    partner = PartnerFactory(name="Fresh Start Ltd", owners=[manager])

    html = page(lena, partner)

    for chart in ("health-chart", "rubric-chart", "radar-chart"):
        assert f'id="{chart}"' not in html, chart
    assert "No submitted check-ups in the last 8 quarters." in section(html, "health")
    assert "No submitted check-ups in the last 8 quarters." in section(html, "rubrics")
    assert "No submitted check-ups yet." in section(html, "radar")
    assert "No submitted check-ups yet." in section(html, "spread")
    assert "No engagements recorded." in section(html, "engagements")
