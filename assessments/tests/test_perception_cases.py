"""A partner whose view of us falls opens a case (or joins the open one) with its own finding."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from assessments.models import Alert, Case
from assessments.services.alerts import partner_evaluate, partner_view_finding
from assessments.tests.factories import PartnerFactory, UserFactory
from assessments.tests.test_perception import scored
from assessments.trends import PriorAlert, SnapshotPoint
from assessments.vocabulary import Rule

pytestmark = pytest.mark.django_db

QUARTERS = ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
FALLEN = {"traits__caring": 2, "traits__honesty": 2, "traits__attention": 2, "symptoms__little_interaction": 2}


@pytest.fixture(autouse=True)
def _in_q4_2026():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def manager():
    return UserFactory(
        username="ana", first_name="Ana", last_name="Alvarez", role="account_manager", email="ana@x.example"
    )


def test_a_partner_whose_view_of_us_falls_opens_a_case_with_that_finding(manager, items):
    partner = PartnerFactory(name="Northwind Systems", owners=[manager])
    # We keep rating them the same; their rating of us falls in the last two quarters.
    theirs = {code: [{} if code < "2026-Q2" else FALLEN] for code in QUARTERS}
    scored(partner, items, manager, ours={code: {} for code in QUARTERS}, theirs=theirs)

    partner_evaluate(partner_id=partner.pk, all_periods=True)

    findings = Alert.objects.filter(partner=partner).order_by("period__year", "period__quarter")
    rules = {(a.rule, a.period.code) for a in findings}
    assert all(rule == Rule.PARTNER_VIEW_DECLINE for rule, _ in rules), rules
    view = findings.filter(rule=Rule.PARTNER_VIEW_DECLINE, severity__in=["warning", "critical"]).first()
    assert view is not None, rules
    assert view.explanation.startswith("The partner's view of us is declining. In their responses: ")
    case = Case.objects.get(partner=partner)
    assert not case.is_resolved and view.case_id == case.pk

    client = Client()
    client.force_login(manager)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
    assert "The partner's view of us is declining" in text
    assert "partner_view_decline" not in text


def test_a_falling_view_joins_the_case_our_own_decline_opened(manager, items):
    partner = PartnerFactory(name="Contoso", owners=[manager])
    ours = {
        code: (
            {}
            if code < "2026-Q2"
            else {"characteristics__trust": 1, "characteristics__quality": 1, "traits__caring": 1, "traits__honesty": 1}
        )
        for code in QUARTERS
    }
    theirs = {code: [{} if code < "2026-Q2" else FALLEN] for code in QUARTERS}
    scored(partner, items, manager, ours=ours, theirs=theirs)

    partner_evaluate(partner_id=partner.pk, all_periods=True)

    case = Case.objects.get(partner=partner)
    rules = set(case.findings.values_list("rule", flat=True))
    assert Rule.PARTNER_VIEW_DECLINE in rules and rules - {Rule.PARTNER_VIEW_DECLINE}


def test_a_steady_view_raises_nothing():
    views = [SnapshotPoint(period=c, health=80.0, band="healthy", rubric_scores={}, items={}) for c in QUARTERS]
    assert partner_view_finding(views) is None


def test_the_view_finding_cools_down_like_the_rule_it_is():
    views = [
        SnapshotPoint(
            period=c, health=h, band="healthy" if h >= 75 else "at_risk", rubric_scores={"traits": h}, items={}
        )
        for c, h in zip(QUARTERS, [85.0, 85.0, 85.0, 85.0, 50.0, 45.0], strict=True)
    ]
    found = partner_view_finding(views)
    assert found is not None and found.rule == Rule.PARTNER_VIEW_DECLINE and found.period == "2026-Q3"
    again = partner_view_finding(views, prior=[PriorAlert(Rule.PARTNER_VIEW_DECLINE.value, "2026-Q2", "critical")])
    assert again is None
