"""``manage.py scan_trends``: the periodic scan's code, a history replay, JSON lines, idempotent."""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict

import pytest
from django.core.management import call_command

from assessments.models import Alert, AlertDelivery, Case
from assessments.periods import Quarter
from assessments.services.demo import demo_plan
from assessments.services.demo_mirror import falling_partner
from assessments.tests.alerting import CRASH, DECLINING, STABLE, STEADY, leader, manager, partner_with_history
from assessments.vocabulary import Rule, Severity

pytestmark = pytest.mark.django_db

LAST = Quarter(2026, 3)
DECLINING_PATTERNS = {"gradual_decline", "sudden_drop", "persistent_symptom", "cut_bait"}


def scan(*args: str) -> tuple[list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("scan_trends", *args, stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    return [json.loads(line) for line in lines] if "--json" in args else lines, err.getvalue()


def test_json_prints_every_alert_as_one_object_per_line_and_a_second_run_changes_nothing(items):
    ana = manager("ana")
    leader("lena")
    partner_with_history(items=items, name="Oakline Logistics", owners=[ana], levels=DECLINING, last=LAST)
    partner_with_history(items=items, name="Summit Systems", owners=[ana], levels=STABLE, last=LAST)

    first, summary = scan("--json")
    counts = (Alert.objects.count(), AlertDelivery.objects.count())
    second, second_summary = scan("--json")

    assert first and first == second
    assert (Alert.objects.count(), AlertDelivery.objects.count()) == counts
    assert "0 new alerts" in second_summary and "0 e-mails queued" in second_summary
    assert "new alerts" in summary
    case = Case.objects.get()
    for record in first:
        assert set(record) == {"partner", "period", "rule", "severity", "explanation", "evidence", "case", "case_state"}
        assert record["severity"] in {"watch", "warning", "critical"}
        assert Quarter.parse(record["period"])
        if record["severity"] == "watch":
            assert (record["case"], record["case_state"]) == (None, None), "a watch finding joins no case"
        else:
            assert (record["case"], record["case_state"]) == (case.pk, "open")
    critical = next(r for r in first if r["rule"] == "health_decline" and r["period"] == LAST.code)
    assert critical["partner"] == "Oakline Logistics" and critical["severity"] == "critical"
    assert "Overall health fell from 75 to 25" in critical["explanation"]
    # Keys stay in the JSON: the evidence names items by address, scores by key.
    assert critical["evidence"]["scores"][0]["key"] == "health"
    assert critical["evidence"]["scores"][0]["baseline"]["value"] == 75.0
    assert {i["address"] for i in critical["evidence"]["items"]} >= {"characteristics.quality"}
    assert not any(r["partner"] == "Summit Systems" for r in first)


def test_without_json_the_command_prints_a_summary(items):
    partner_with_history(items=items, name="Oakline", owners=[manager("ana")], levels=DECLINING, last=LAST)

    lines, _ = scan()

    assert lines[-1].startswith("Scanned 1 partners:")


def test_all_periods_records_past_quarters_alerts_without_emailing_them(items):
    ana = manager("ana")
    # A crash two quarters long that ended last quarter: the history has a decline, the present does not.
    partner_with_history(
        items=items, name="Lumen Digital", owners=[ana], levels=[STEADY] * 5 + [CRASH] * 2 + [STEADY], last=LAST
    )

    records, _ = scan("--all-periods", "--json")
    again, _ = scan("--all-periods", "--json")

    # A collapse is confirmed in its second quarter with data (docs/TRENDS.md, rule 1).
    past = [r for r in records if r["period"] == LAST.shift(-1).code and r["severity"] != "watch"]
    assert past, "the past decline is on record"
    assert not AlertDelivery.objects.exists(), "old news is not e-mailed"
    assert records == again


@pytest.fixture
def demo_alerts(rubric_version) -> dict[str, int]:
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    records, _ = scan("--all-periods", "--json")
    # Our own view of each partner; the partner's view of us (the mirror survey) is judged apart.
    worst: dict[str, int] = defaultdict(lambda: -1)
    for record in records:
        if record["rule"] != Rule.PARTNER_VIEW_DECLINE:
            worst[record["partner"]] = max(worst[record["partner"]], Severity(record["severity"]).rank)
    return worst


def test_on_the_demo_data_every_declining_partner_is_alerted_and_no_one_quarter_dip_or_stable_one_is(demo_alerts):
    warning = Severity.WARNING.rank
    plan = {p.name: p.pattern for p in demo_plan()}

    missed = sorted(
        name for name, pattern in plan.items() if pattern in DECLINING_PATTERNS and demo_alerts[name] < warning
    )
    false_alarms = sorted(
        name for name, pattern in plan.items() if pattern in {"one_dip", "stable"} and demo_alerts[name] >= warning
    )

    assert missed == [], f"declining demo partners without a warning: {missed}"
    assert false_alarms == [], f"one-dip or stable demo partners alerted: {false_alarms}"
    assert sum(1 for p in plan.values() if p in DECLINING_PATTERNS) == 11


def test_on_the_demo_data_only_the_partner_whose_view_of_us_falls_is_alerted_on_the_partners_view(rubric_version):
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    records, _ = scan("--all-periods", "--json")

    alerted = {
        r["partner"]
        for r in records
        if r["rule"] == Rule.PARTNER_VIEW_DECLINE and Severity(r["severity"]).rank >= Severity.WARNING.rank
    }
    assert alerted == {falling_partner(demo_plan())}


KEY = re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\b")
RAW_WORDS = re.compile(r"\b(?:at_risk|health_decline|rubric_decline|band_downgrade|symptom_persistent|red_flag)\b")


def test_on_the_demo_data_no_explanation_contains_an_item_key_or_a_raw_enum_value(rubric_version):
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    records, _ = scan("--all-periods", "--json")

    assert records
    leaks = [r["explanation"] for r in records if KEY.search(r["explanation"]) or RAW_WORDS.search(r["explanation"])]
    assert leaks == []
    assert any("Trust between the organisations" in r["explanation"] for r in records)
    assert any("At risk" in r["explanation"] for r in records)
