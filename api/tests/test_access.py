"""Every API operation, for every role, with a read-write token and with a read-only one.

Access is the UI's, object for object: another manager's partner, case, check-up or engagement is a
404 (never a 403 that admits it exists); a read-only token is a 403 on every write; no token is a 401.
A new API URL without rows here fails the first test.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from api.tokens import token_create
from assessments.models import ActionItem, Alert, Case, Engagement
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, UserFactory, answers_for

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "manager_a", "manager_b", "leadership", "admin"]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def row(anonymous, manager_a, manager_b, leadership, admin):
    return dict(zip(ROLES, [anonymous, manager_a, manager_b, leadership, admin], strict=True))


# (url name, whose object, method, body) -> {role: status}, tried in this order on one database per role.
TABLE = [
    ("api_partner_list", None, "GET", None, row(401, 200, 200, 200, 200)),
    ("api_partner_detail", "a", "GET", None, row(401, 200, 404, 200, 200)),
    ("api_partner_detail", "b", "GET", None, row(401, 404, 200, 200, 200)),
    ("api_partner_revenue", "a", "PUT", {"annual_revenue": "250000.00"}, row(401, 200, 404, 200, 200)),
    ("api_partner_revenue", "b", "PUT", {"annual_revenue": "250000.00"}, row(401, 404, 200, 200, 200)),
    ("api_snapshot_list", None, "GET", None, row(401, 200, 200, 200, 200)),
    ("api_case_list", None, "GET", None, row(401, 200, 200, 200, 200)),
    ("api_case_detail", "a", "GET", None, row(401, 200, 404, 200, 200)),
    ("api_case_detail", "b", "GET", None, row(401, 404, 200, 200, 200)),
    ("api_case_acknowledge", "a", "POST", {}, row(401, 200, 404, 200, 200)),
    ("api_case_acknowledge", "b", "POST", {}, row(401, 404, 200, 200, 200)),
    ("api_case_snooze", "a", "POST", {"until": "2026-12-20", "note": "QBR booked"}, row(401, 200, 404, 200, 200)),
    ("api_case_snooze", "b", "POST", {"until": "2026-12-20", "note": "QBR booked"}, row(401, 404, 200, 200, 200)),
    ("api_case_resolve", "a", "POST", {"resolution": "false_alarm"}, row(401, 200, 404, 200, 200)),
    ("api_case_resolve", "b", "POST", {"resolution": "false_alarm"}, row(401, 404, 200, 200, 200)),
    ("api_checkup_list", None, "GET", None, row(401, 200, 200, 200, 200)),
    # This quarter's draft of partner A: only its owner (an account manager) writes its check-ups.
    ("api_checkup_list", "a", "POST", "draft", row(401, 200, 404, 404, 404)),
    ("api_checkup_list", "b", "POST", "draft", row(401, 404, 200, 404, 404)),
    ("api_checkup_detail", "a", "GET", None, row(401, 200, 404, 404, 404)),
    ("api_checkup_detail", "b", "GET", None, row(401, 404, 200, 404, 404)),
    ("api_rubric", None, "GET", None, row(401, 200, 200, 200, 200)),
    ("api_action_item_list", None, "GET", None, row(401, 200, 200, 200, 200)),
    ("api_interaction_list", None, "GET", None, row(401, 200, 200, 200, 200)),
    ("api_interaction_list", "a", "POST", "interaction", row(401, 201, 404, 404, 404)),
    ("api_interaction_list", "b", "POST", "interaction", row(401, 404, 201, 404, 404)),
    ("api_engagement_list", None, "GET", None, row(401, 200, 200, 200, 200)),
    ("api_engagement_by_external_id", "a", "GET", None, row(401, 200, 404, 200, 200)),
    ("api_engagement_by_external_id", "b", "GET", None, row(401, 404, 200, 200, 200)),
    ("api_engagement_by_external_id", "a", "PUT", "engagement", row(401, 200, 404, 200, 200)),
    ("api_engagement_by_external_id", "b", "PUT", "engagement", row(401, 404, 200, 200, 200)),
    ("api_schema", None, "GET", None, row(200, 200, 200, 200, 200)),
    ("api_docs", None, "GET", None, row(200, 200, 200, 200, 200)),
]

API_NAMES = {"api_schema", "api_docs"} | {name for name, *_ in TABLE}


@pytest.fixture
def world(items):
    users = {
        "manager_a": UserFactory(username="manager_a", role="account_manager"),
        "manager_b": UserFactory(username="manager_b", role="account_manager"),
        "leadership": UserFactory(username="leader", role="leadership"),
        "admin": UserFactory(username="boss", role="admin", is_staff=True, is_superuser=True),
    }
    period = PeriodFactory.of("2026-Q3")
    objects = {}
    for side in ("a", "b"):
        manager = users[f"manager_{side}"]
        partner = PartnerFactory(name=f"Partner {side.upper()}", owners=[manager])
        checkup = CheckupFactory(partner=partner, period=period, rater=manager)
        ActionItem.objects.create(
            partner=partner, period=period, description="Meet", owner=manager, due_on=dt.date(2027, 1, 31)
        )
        case = Case.objects.create(
            partner=partner, severity="warning", opened_period=period, episode_period=period, last_finding_period=period
        )
        Alert.objects.create(
            partner=partner, period=period, rule="health_decline", severity="warning", explanation="Fell.", case=case
        )
        engagement = Engagement.objects.create(
            partner=partner, client="Globex", title="Desk", external_id=f"crm-{side}"
        )
        objects[side] = {"partner": partner, "checkup": checkup, "case": case, "engagement": engagement}
    return users, objects, items


def body_for(kind, objects, items):
    if kind == "draft":
        return {"partner": objects["partner"].pk, "answers": answers_for(items), "draft": True}
    if kind == "interaction":
        return {"partner": objects["partner"].pk, "occurred_on": "2026-11-19", "kind": "call"}
    if kind == "engagement":
        return {"partner": objects["partner"].pk, "client": "Globex", "title": "Desk renewal", "value": "1000.00"}
    return kind


def path_for(name, side, objects) -> str:
    if side is None:
        return reverse(name)
    target = objects[side]
    if name == "api_engagement_by_external_id":
        return reverse(name, args=[target["engagement"].external_id])
    if name == "api_checkup_list" or name == "api_interaction_list":
        return reverse(name)
    kind = next(key for key in ("partner", "case", "checkup") if name.startswith(f"api_{key}"))
    return reverse(name, args=[target[kind].pk])


def test_every_api_url_has_rows_here():
    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/")
    names = {p.name for p in api.url_patterns}
    assert names == API_NAMES, f"add rows for {sorted(names - API_NAMES)}; stale: {sorted(API_NAMES - names)}"


@pytest.mark.parametrize("scope", ["write", "read"])
@pytest.mark.parametrize("role", ROLES)
def test_each_role_and_token_scope_gets_exactly_the_expected_status(world, role, scope):
    users, objects, items = world
    client = Client()
    if role != "anonymous":
        secret = token_create(user=users[role], name="matrix", read_only=scope == "read").secret
        client = Client(headers={"Authorization": f"Bearer {secret}"})
    wrong = []
    for name, side, method, body, expected in TABLE:
        path = path_for(name, side, objects)
        if method == "GET":
            response = client.get(path)
        else:
            payload = body_for(body, objects[side] if side else {}, items)
            response = client.generic(method, path, json.dumps(payload), content_type="application/json")
        want = expected[role]
        if scope == "read" and method in WRITES and role != "anonymous":
            want = 403  # a read-only token writes nothing, whoever's object it names
        if response.status_code != want:
            wrong.append(
                f"{method} {path} ({name}, {side}): got {response.status_code}, want {want}: {response.content[:200]!r}"
            )
    assert not wrong, "\n".join(wrong)
