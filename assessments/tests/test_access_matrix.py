"""Every URL the resolver knows, for every role: the expected status, and nothing else.

A new URL pattern without a row here fails the test, so access is always decided
on purpose. Object URLs are tried with account manager A's object and with B's:
another manager's object is a 404, never a 403 that admits it exists.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from api.tokens import token_create
from assessments.models import ActionItem, Alert, Case, Checkup, Contact, Engagement, SurveyInvitation
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, UserFactory
from integrations.models import Endpoint

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "manager_a", "manager_b", "leadership", "admin"]
LOGIN = "login"  # shorthand: redirect to the login page

# (url name, whose object) -> (method, {role: expected status})
# Whose object: "a" = owned by manager A, "b" = owned by manager B, None = no object in the URL.


def row(anonymous, manager_a, manager_b, leadership, admin, method="GET"):
    return method, dict(zip(ROLES, [anonymous, manager_a, manager_b, leadership, admin], strict=True))


MATRIX = {
    ("login", None): row(200, 200, 200, 200, 200),
    ("logout", None): row(302, 302, 302, 302, 302, method="POST"),
    ("password_change", None): row(LOGIN, 200, 200, 200, 200),
    ("password_change_done", None): row(LOGIN, 200, 200, 200, 200),
    ("password_reset", None): row(200, 200, 200, 200, 200),
    ("password_reset_done", None): row(200, 200, 200, 200, 200),
    ("password_reset_confirm", None): row(200, 200, 200, 200, 200),  # a bogus token shows "link no longer works"
    ("password_reset_complete", None): row(200, 200, 200, 200, 200),
    ("invitations", None): row(LOGIN, 403, 403, 200, 200),
    ("invitation_accept", None): row(404, 404, 404, 404, 404),  # a link that was never sent
    ("home", None): row(LOGIN, 302, 302, 302, 302),
    ("my_checkups", None): row(LOGIN, 200, 200, 200, 200),
    # Leadership reads every partner's contradicted check-ups, a manager those of their own partners.
    ("checkup_contradictions", None): row(LOGIN, 200, 200, 200, 200),
    ("checkup_start", "a"): row(LOGIN, 302, 404, 404, 404, method="POST"),
    ("checkup_start", "b"): row(LOGIN, 404, 302, 404, 404, method="POST"),
    ("checkup_edit", "a"): row(LOGIN, 200, 404, 404, 404),
    ("checkup_edit", "b"): row(LOGIN, 404, 200, 404, 404),
    ("checkup_result", "a"): row(LOGIN, 200, 404, 200, 200),  # leadership reads every check-up
    ("checkup_result", "b"): row(LOGIN, 404, 200, 200, 200),
    ("checkup_amend", "a"): row(LOGIN, 302, 404, 404, 404),
    ("checkup_amend", "b"): row(LOGIN, 404, 302, 404, 404),
    ("partner_list", None): row(LOGIN, 200, 200, 200, 200),
    ("partner_detail", "a"): row(LOGIN, 200, 404, 200, 200),
    ("partner_detail", "b"): row(LOGIN, 404, 200, 200, 200),
    # The audit trail is for leadership and admins; the owner is told 403, anyone else 404.
    ("partner_history", "a"): row(LOGIN, 403, 404, 200, 200),
    ("partner_history", "b"): row(LOGIN, 404, 403, 200, 200),
    # The quarterly review pack: owners and leadership, as the partner page.
    ("review_pack", "a"): row(LOGIN, 200, 404, 200, 200),
    ("review_pack", "b"): row(LOGIN, 404, 200, 200, 200),
    ("review_pack_pdf", "a"): row(LOGIN, 200, 404, 200, 200),
    ("review_pack_pdf", "b"): row(LOGIN, 404, 200, 200, 200),
    ("interaction_add", "a"): row(LOGIN, 400, 404, 404, 404, method="POST"),  # empty form: 400 with errors
    ("interaction_add", "b"): row(LOGIN, 404, 400, 404, 404, method="POST"),
    ("action_item_add", "a"): row(LOGIN, 200, 404, 404, 404),
    ("action_item_add", "b"): row(LOGIN, 404, 200, 404, 404),
    ("action_item_edit", "a"): row(LOGIN, 200, 404, 404, 404),
    ("action_item_edit", "b"): row(LOGIN, 404, 200, 404, 404),
    ("action_item_done", "a"): row(LOGIN, 302, 404, 404, 404, method="POST"),
    ("action_item_done", "b"): row(LOGIN, 404, 302, 404, 404, method="POST"),
    ("action_item_reopen", "a"): row(LOGIN, 302, 404, 404, 404, method="POST"),
    ("action_item_reopen", "b"): row(LOGIN, 404, 302, 404, 404, method="POST"),
    # GET: the confirmation page (a POST would delete the object the next rows use).
    ("action_item_delete", "a"): row(LOGIN, 200, 404, 404, 404),
    ("action_item_delete", "b"): row(LOGIN, 404, 200, 404, 404),
    ("dashboard", None): row(LOGIN, 403, 403, 200, 200),
    ("dashboard_export", None): row(LOGIN, 403, 403, 200, 200),
    ("raters", None): row(LOGIN, 403, 403, 200, 200),  # leniency is leadership's, like the dashboard
    ("checkup_completion", None): row(LOGIN, 403, 403, 200, 200),
    ("checkup_nudge", None): row(LOGIN, 403, 403, 400, 400, method="POST"),  # nothing chosen: 400 with the error
    ("checkup_nudge_manager", None): row(LOGIN, 403, 403, 400, 400, method="POST"),
    ("alert_list", None): row(LOGIN, 302, 302, 302, 302),  # the inbox moved to Cases
    ("case_list", None): row(LOGIN, 200, 200, 200, 200),
    ("case_bulk", None): row(LOGIN, 302, 302, 302, 302, method="POST"),  # nothing ticked: back with an error
    ("case_detail", "a"): row(LOGIN, 200, 404, 200, 200),
    ("case_detail", "b"): row(LOGIN, 404, 200, 200, 200),
    ("case_acknowledge", "a"): row(LOGIN, 302, 404, 302, 302, method="POST"),  # the note is optional
    ("case_acknowledge", "b"): row(LOGIN, 404, 302, 302, 302, method="POST"),
    ("case_snooze", "a"): row(LOGIN, 400, 404, 400, 400, method="POST"),  # date and reason required
    ("case_snooze", "b"): row(LOGIN, 404, 400, 400, 400, method="POST"),
    ("case_assign", "a"): row(LOGIN, 302, 404, 302, 302, method="POST"),  # nobody: stays unassigned
    ("case_assign", "b"): row(LOGIN, 404, 302, 302, 302, method="POST"),
    ("case_resolve", "a"): row(LOGIN, 400, 404, 400, 400, method="POST"),  # a reason is required
    ("case_resolve", "b"): row(LOGIN, 404, 400, 400, 400, method="POST"),
    ("alert_detail", "a"): row(LOGIN, 200, 404, 200, 200),
    ("alert_detail", "b"): row(LOGIN, 404, 200, 200, 200),
    ("alert_acknowledge", "a"): row(LOGIN, 302, 404, 302, 302, method="POST"),  # the note is optional
    ("alert_acknowledge", "b"): row(LOGIN, 404, 302, 302, 302, method="POST"),
    ("alert_snooze", "a"): row(LOGIN, 400, 404, 400, 400, method="POST"),  # reason required
    ("alert_snooze", "b"): row(LOGIN, 404, 400, 400, 400, method="POST"),
    # Integrations are the firm's configuration: leadership and admins. Account managers get 403 on the
    # list and 404 on an endpoint (whether it exists is not theirs to know).
    ("integration_list", None): row(LOGIN, 403, 403, 200, 200),
    ("integration_detail", "a"): row(LOGIN, 404, 404, 200, 200),
    ("integration_secret", "a"): row(LOGIN, 404, 404, 302, 302, method="POST"),
    ("integration_ping", "a"): row(LOGIN, 404, 404, 302, 302, method="POST"),
    # The partner's side: anyone who sees the partner reads its contacts page; its owners write.
    ("partner_contacts", "a"): row(LOGIN, 200, 404, 200, 200),
    ("partner_contacts", "b"): row(LOGIN, 404, 200, 200, 200),
    ("contact_add", "a"): row(LOGIN, 200, 404, 404, 404),
    ("contact_add", "b"): row(LOGIN, 404, 200, 404, 404),
    ("contact_edit", "a"): row(LOGIN, 200, 404, 404, 404),
    ("contact_edit", "b"): row(LOGIN, 404, 200, 404, 404),
    ("survey_invite", "a"): row(LOGIN, 302, 404, 404, 404, method="POST"),  # nobody chosen: back with an error
    ("survey_invite", "b"): row(LOGIN, 404, 302, 404, 404, method="POST"),
    ("contact_opt_out", "a"): row(LOGIN, 302, 404, 404, 404, method="POST"),
    ("contact_opt_out", "b"): row(LOGIN, 404, 302, 404, 404, method="POST"),
    ("contact_opt_in", "a"): row(LOGIN, 302, 404, 404, 404, method="POST"),
    ("contact_opt_in", "b"): row(LOGIN, 404, 302, 404, 404, method="POST"),
    ("survey_resend", "a"): row(LOGIN, 302, 404, 404, 404, method="POST"),
    ("survey_resend", "b"): row(LOGIN, 404, 302, 404, 404, method="POST"),
    ("survey_revoke", "a"): row(LOGIN, 302, 404, 404, 404, method="POST"),
    ("survey_revoke", "b"): row(LOGIN, 404, 302, 404, 404, method="POST"),
    # Public, no account: a link that was never sent gets the generic page, whoever asks.
    ("survey_form", None): row(404, 404, 404, 404, 404),
    ("survey_opt_out", None): row(404, 404, 404, 404, 404),
    # The REST API (docs/API.md) with a signed-in session; api/tests/test_access.py does the same with
    # tokens, read-only and read-write, for every method. Anonymous is a 401, never a login redirect.
    ("api_schema", None): row(200, 200, 200, 200, 200),  # the schema and its reference are public
    ("api_docs", None): row(200, 200, 200, 200, 200),
    ("api_tokens", None): row(LOGIN, 200, 200, 200, 200),
    ("api_token_revoke", "a"): row(LOGIN, 302, 404, 404, 404, method="POST"),  # only one's own token
    ("api_token_revoke", "b"): row(LOGIN, 404, 302, 404, 404, method="POST"),
    ("api_partner_list", None): row(401, 200, 200, 200, 200),
    ("api_partner_detail", "a"): row(401, 200, 404, 200, 200),
    ("api_partner_detail", "b"): row(401, 404, 200, 200, 200),
    ("api_partner_revenue", "a"): row(401, 400, 404, 400, 400, method="PUT"),  # {}: the revenue is required
    ("api_partner_revenue", "b"): row(401, 404, 400, 400, 400, method="PUT"),
    ("api_snapshot_list", None): row(401, 200, 200, 200, 200),
    ("api_case_list", None): row(401, 200, 200, 200, 200),
    ("api_case_detail", "a"): row(401, 200, 404, 200, 200),
    ("api_case_detail", "b"): row(401, 404, 200, 200, 200),
    # The page's row above has just acknowledged the case: 409, already acknowledged (the note is optional).
    ("api_case_acknowledge", "a"): row(401, 409, 404, 409, 409, method="POST"),
    ("api_case_acknowledge", "b"): row(401, 404, 409, 409, 409, method="POST"),
    ("api_case_snooze", "a"): row(401, 400, 404, 400, 400, method="POST"),  # date and reason required
    ("api_case_snooze", "b"): row(401, 404, 400, 400, 400, method="POST"),
    ("api_case_resolve", "a"): row(401, 400, 404, 400, 400, method="POST"),  # a reason is required
    ("api_case_resolve", "b"): row(401, 404, 400, 400, 400, method="POST"),
    ("api_checkup_list", None): row(401, 200, 200, 200, 200),
    ("api_checkup_detail", "a"): row(401, 200, 404, 404, 404),  # one's own check-ups only
    ("api_checkup_detail", "b"): row(401, 404, 200, 404, 404),
    ("api_rubric", None): row(401, 200, 200, 200, 200),
    ("api_action_item_list", None): row(401, 200, 200, 200, 200),
    ("api_interaction_list", None): row(401, 200, 200, 200, 200),
    ("api_engagement_list", None): row(401, 200, 200, 200, 200),
    ("api_engagement_by_external_id", "a"): row(401, 200, 404, 200, 200),
    ("api_engagement_by_external_id", "b"): row(401, 404, 200, 200, 200),
}

# The Django admin is its own world: staff only, checked once at its index.
ADMIN_INDEX = row(LOGIN, LOGIN, LOGIN, LOGIN, 200)


def url_patterns(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield pattern.name, prefix + str(pattern.pattern)


@pytest.fixture
def world():
    manager_a = UserFactory(username="manager_a", role="account_manager")
    manager_b = UserFactory(username="manager_b", role="account_manager")
    users = {
        "manager_a": manager_a,
        "manager_b": manager_b,
        "leadership": UserFactory(username="leader", role="leadership"),
        "admin": UserFactory(username="boss", role="admin", is_staff=True),
    }
    period = PeriodFactory.of("2026-Q4")
    objects = {}
    for side, manager in (("a", manager_a), ("b", manager_b)):
        partner = PartnerFactory(name=f"Partner {side.upper()}", owners=[manager])
        checkup = CheckupFactory(partner=partner, period=period, rater=manager)
        item = ActionItem.objects.create(partner=partner, period=period, description="Meet", owner=manager,
                                         due_on=dt.date(2027, 1, 31))
        alert = Alert.objects.create(partner=partner, period=period, rule="health_decline", severity="warning",
                                     explanation="Fell.")
        case = Case.objects.create(partner=partner, severity="warning", opened_period=period, episode_period=period,
                                   last_finding_period=period)
        Alert.objects.filter(pk=alert.pk).update(case=case)
        contact = Contact.objects.create(partner=partner, name=f"Contact {side}", email=f"{side}@partner.example")
        invitation = SurveyInvitation.objects.create(
            contact=contact, period=period, token_salt=side, token_hash=side * 64,
            expires_at=timezone.now() + dt.timedelta(days=21),
        )
        engagement = Engagement.objects.create(partner=partner, client="Globex", title="Desk", external_id=f"crm-{side}")
        token = token_create(user=manager, name=f"token {side}").token
        objects[side] = {"partner": partner, "checkup": checkup, "action_item": item, "alert": alert, "case": case,
                         "contact": contact, "invitation": invitation, "engagement": engagement, "api_token": token}
    # One endpoint, registered by leadership (listed under "a": the matrix needs a side for an object URL).
    objects["a"]["endpoint"] = Endpoint.objects.create(
        name="CRM", url="https://hooks.example.com/in", secret="s" * 20, events=["case.opened"], owner=users["leadership"]
    )
    assert Checkup.objects.count() == 2 and timezone.now()
    return users, objects


def concrete_path(name, template, objects):
    path = "/" + template
    if "<uidb64>" in path:
        return path.replace("<uidb64>", "MQ").replace("<token>", "bogus-token")
    if "<str:token>" in path:
        return path.replace("<int:pk>", "999999").replace("<str:token>", "bogus")
    if "<str:external_id>" in path:
        return path.replace("<str:external_id>", objects["engagement"].external_id)
    if "<int:" not in path:
        return path
    kind = {
        "checkup_start": "partner", "partner_detail": "partner", "interaction_add": "partner",
        "action_item_add": "partner", "action_item_edit": "action_item", "action_item_reopen": "action_item",
        "action_item_delete": "action_item",
        "partner_history": "partner", "review_pack": "partner", "review_pack_pdf": "partner",
        "checkup_edit": "checkup", "checkup_result": "checkup", "checkup_amend": "checkup",
        "action_item_done": "action_item",
        "alert_detail": "alert", "alert_acknowledge": "alert", "alert_snooze": "alert",
        "case_detail": "case", "case_acknowledge": "case", "case_snooze": "case", "case_assign": "case",
        "case_resolve": "case",
        "integration_detail": "endpoint", "integration_secret": "endpoint", "integration_ping": "endpoint",
        "partner_contacts": "partner", "contact_add": "partner", "survey_invite": "partner",
        "contact_edit": "contact", "contact_opt_out": "contact", "contact_opt_in": "contact",
        "survey_resend": "invitation", "survey_revoke": "invitation",
        "api_token_revoke": "api_token",
        "api_partner_detail": "partner", "api_partner_revenue": "partner",
        "api_case_detail": "case", "api_case_acknowledge": "case", "api_case_snooze": "case", "api_case_resolve": "case",
        "api_checkup_detail": "checkup",
    }[name]
    start = path.index("<int:")
    return path[:start] + str(objects[kind].pk) + path[path.index(">", start) + 1 :]


def client_for(role, users):
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    return client


def test_every_url_pattern_has_an_entry_in_the_access_matrix():
    names = {name for name, _ in url_patterns()}
    assert None not in names, "every URL pattern needs a name to be in the access matrix"
    missing = names - {name for name, _ in MATRIX}
    stale = {name for name, _ in MATRIX} - names
    assert not missing, f"add these URLs to the access matrix: {sorted(missing)}"
    assert not stale, f"these matrix rows name no URL: {sorted(stale)}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_expected_status_on_every_url(world, role):
    users, objects = world
    wrong = []
    for name, template in url_patterns():
        for side in ("a", "b", None):
            if (name, side) not in MATRIX:
                continue
            method, expected = MATRIX[(name, side)]
            path = concrete_path(name, template, objects[side] if side else {})
            client = client_for(role, users)
            if name.startswith("api_") and method in ("POST", "PUT"):
                # The API reads JSON: an empty object, which every write refuses or accepts as it is.
                response = client.generic(method, path, "{}", content_type="application/json")
            else:
                response = getattr(client, method.lower())(path)
            want = expected[role]
            if want == LOGIN:
                ok = response.status_code == 302 and response["Location"].startswith("/accounts/login/")
            else:
                ok = response.status_code == want
            if not ok:
                wrong.append(f"{method} {path} ({name}, {side}): got {response.status_code}, want {want}")
    admin = client_for(role, users).get("/admin/")
    want = ADMIN_INDEX[1][role]
    if want == LOGIN:
        if not (admin.status_code == 302 and "/login/" in admin["Location"]):
            wrong.append(f"GET /admin/: got {admin.status_code}, want login redirect")
    elif admin.status_code != want:
        wrong.append(f"GET /admin/: got {admin.status_code}, want {want}")
    assert not wrong, "\n".join(wrong)
