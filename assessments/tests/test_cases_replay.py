"""The demo after the README's run command: one case per declining partner, none for a dip, per user."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from assessments.models import Case
from assessments.selectors.alerts import alert_counts
from assessments.selectors.cases import InboxFilters, case_state_counts, cases_visible_to
from assessments.services.demo import demo_plan
from assessments.services.demo_mirror import falling_partner

pytestmark = pytest.mark.django_db

# Withheld information (the evidence cross-checks' demo partner) is a warning red flag (001): a case too.
DECLINING = {"gradual_decline", "sudden_drop", "persistent_symptom", "cut_bait", "withholding"}


def declines(spec) -> bool:
    """Our view of it declines, or (the mirror survey's demo partner) its view of us does."""
    return spec.pattern in DECLINING or spec.name == falling_partner(demo_plan())


@pytest.fixture
def replayed(rubric_version):
    # What scripts/run does on a first run.
    call_command("seed_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    call_command("scan_trends", "--all-periods", stdout=io.StringIO(), stderr=io.StringIO())
    return {p.name: p for p in demo_plan()}


def test_every_declining_demo_partner_has_exactly_one_case_and_no_dip_or_stable_partner_has_one(replayed):
    cases = Counter(Case.objects.values_list("partner__name", flat=True))

    by_pattern = {name: spec.pattern for name, spec in replayed.items()}
    assert {name: n for name, n in cases.items() if n != 1} == {}, "exactly one case each"
    assert sorted(cases) == sorted(name for name, spec in replayed.items() if declines(spec))
    falling = falling_partner(demo_plan())
    assert not [name for name in cases if by_pattern[name] in {"one_dip", "stable", "improving"} and name != falling]
    # The steady partner whose view of us falls has a case on that finding alone.
    rules = set(Case.objects.get(partner__name=falling).findings.values_list("rule", flat=True))
    assert rules == {"partner_view_decline"}
    assert set(Case.objects.values_list("state", flat=True)) == {"open"}


def test_each_user_sees_one_open_case_per_declining_partner_they_can_see_instead_of_a_wall_of_alerts(replayed):
    User = get_user_model()
    figures = {}
    for username in ("ana", "ben", "chloe", "lena"):
        user = User.objects.get(username=username)
        visible = set(cases_visible_to(user).values_list("partner__name", flat=True))
        declining = {
            name
            for name, spec in replayed.items()
            if declines(spec) and (username == "lena" or username in spec.owners)
        }
        open_cases = case_state_counts(user=user, filters=InboxFilters())["open"]
        assert visible == declining, username
        assert open_cases == len(declining), username
        figures[username] = (alert_counts(user=user)["open"], open_cases)

    print("open alerts before -> open cases now:", figures)
    assert figures["lena"][1] == 13  # 12 declines of ours, and one partner whose view of us falls
    assert all(alerts > cases for alerts, cases in figures.values())
