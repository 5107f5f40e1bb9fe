"""Check-up completion: leadership sees whose check-ups are missing or overdue and nudges them by e-mail."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Checkup, CheckupNudge
from assessments.periods import well_covered
from assessments.selectors.completion import checkup_completion
from assessments.services.digest import digest_queue
from assessments.services.nudges import NudgeError, checkup_nudge, checkups_nudge_manager
from assessments.services.outbox import outbox_send_due
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import (
    CheckupFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
    submitted_checkup,
)

pytestmark = pytest.mark.django_db

# 2026-Q4: last quarter's (2026-Q3) check-ups were due on 14 October, 37 days before.
TODAY = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _in_q4_2026():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def ana():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


@pytest.fixture
def ben():
    return UserFactory(username="ben", first_name="Ben", last_name="Okafor", role="account_manager")


@pytest.fixture
def lena():
    return UserFactory(username="lena", first_name="Lena", last_name="Fischer", role="leadership")


@pytest.fixture
def portfolio(ana, ben, rubric_version):
    """Ana owes Northwind for both quarters (a draft last quarter, nothing this one) and submitted
    Cedar's; Ben owes Summit this quarter only; an ended partnership owes nothing."""
    q3, q4 = PeriodFactory.of("2026-Q3"), PeriodFactory.of("2026-Q4")
    northwind = PartnerFactory(name="Northwind Systems", owners=[ana])
    cedar = PartnerFactory(name="Cedar Digital", owners=[ana])
    summit = PartnerFactory(name="Summit Logistics", owners=[ben])
    PartnerFactory(name="Ended Partnership Ltd", owners=[ana], is_active=False)
    CheckupFactory(partner=northwind, period=q3, rater=ana, last_saved_at=timezone.now())
    for period in (q3, q4):
        CheckupFactory(partner=cedar, period=period, rater=ana, status="submitted", submitted_at=timezone.now())
    CheckupFactory(partner=summit, period=q3, rater=ben, status="submitted", submitted_at=timezone.now())
    CheckupFactory(partner=summit, period=q4, rater=ben)  # opened, never saved: not started
    return {"northwind": northwind, "cedar": cedar, "summit": summit}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def rows(report) -> list[tuple]:
    return [
        (r.manager_name, r.partner_name, r.quarter, r.state_label, r.due_on.isoformat(), r.days_overdue)
        for group in report.groups
        for r in group.rows
    ]


# --- what is missing --------------------------------------------------------------------------


def test_the_list_names_each_missing_check_up_by_manager_and_partner_with_its_status_and_lateness(portfolio):
    report = checkup_completion(today=dt.date(2026, 11, 20))

    assert rows(report) == [
        ("Ana Alvarez", "Northwind Systems", "2026-Q3", "Draft", "2026-10-14", 37),
        ("Ana Alvarez", "Northwind Systems", "2026-Q4", "Not started", "2027-01-14", None),
        ("Ben Okafor", "Summit Logistics", "2026-Q4", "Not started", "2027-01-14", None),
    ]
    assert [(g.name, g.missing, g.overdue) for g in report.groups] == [("Ana Alvarez", 2, 1), ("Ben Okafor", 1, 0)]
    assert [(q.code, q.expected, q.missing, q.days_overdue) for q in report.quarters] == [
        ("2026-Q4", 3, 2, None),
        ("2026-Q3", 3, 1, 37),
    ]
    assert (report.missing, report.overdue) == (3, 1)


def test_the_list_filters_by_manager_and_by_quarter(portfolio, ana):
    assert rows(checkup_completion(today=dt.date(2026, 11, 20), quarter="2026-Q3")) == [
        ("Ana Alvarez", "Northwind Systems", "2026-Q3", "Draft", "2026-10-14", 37),
    ]
    assert [r[1:3] for r in rows(checkup_completion(today=dt.date(2026, 11, 20), manager_id=ana.pk))] == [
        ("Northwind Systems", "2026-Q3"),
        ("Northwind Systems", "2026-Q4"),
    ]


def test_the_page_is_for_leadership_and_shows_names_statuses_and_days_overdue(portfolio, lena, ana):
    response = client_for(lena).get(reverse("checkup_completion"))

    page = text(response.content.decode())
    assert response.status_code == 200
    assert (
        "2026-Q3, last quarter 1 of 3 check-ups not submitted. Due 14 Oct 2026: every missing one is 37 days overdue ."
        in page
    )
    assert "Ana Alvarez 2 not submitted, 1 overdue" in page
    assert "Northwind Systems 2026-Q3, due 14 Oct 2026 Draft 37 days overdue Nudge Ana Alvarez about Northwind Systems, 2026-Q3" in page
    assert "Northwind Systems 2026-Q4, due 14 Jan 2027 Not started Nudge" in page
    assert "Ben Okafor 1 not submitted Nudge Ben Okafor about it" in page
    assert "Nudge Ana Alvarez about all 2" in page
    assert "Ended Partnership" not in page and "Cedar Digital" not in page
    assert client_for(ana).get(reverse("checkup_completion")).status_code == 403


def test_a_filter_that_is_not_on_the_page_is_said_and_the_whole_list_shown(portfolio, lena):
    response = client_for(lena).get(reverse("checkup_completion"), {"quarter": "2025-Q1", "manager": "999"})

    page = text(response.content.decode())
    assert "Quarter: 2025-Q1 is not on this page; showing both quarters." in page
    assert "Account manager: no such account manager; showing everyone." in page
    assert "Summit Logistics" in page and "Northwind Systems" in page


def test_the_page_costs_the_same_queries_for_three_or_sixty_missing_check_ups(portfolio, lena, ben):
    client = client_for(lena)
    url = reverse("checkup_completion")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(30):
        PartnerFactory(name=f"Extra {n:02d}", owners=[ben])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert "Extra 29" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries) == 11, "\n".join(
        q["sql"] for q in many.captured_queries
    )


def test_a_long_list_is_paged_and_the_manager_heading_counts_every_page(portfolio, lena, ben):
    for n in range(60):
        PartnerFactory(name=f"Extra {n:02d}", owners=[ben])

    page_two = text(client_for(lena).get(reverse("checkup_completion"), {"page": 2}).content.decode())

    assert "Page 2 of 2" in page_two and "Showing 101\u2013123." in page_two
    assert "Ben Okafor 121 not submitted" in page_two


# --- nudges -----------------------------------------------------------------------------------


def test_a_nudge_emails_the_rater_once_a_day_and_the_page_says_already_nudged_today(portfolio, lena, ana):
    client = client_for(lena)
    nudge = {"partner": portfolio["northwind"].pk, "rater": ana.pk, "quarter": "2026-Q3", "back_quarter": "2026-Q3"}

    first = client.post(reverse("checkup_nudge"), nudge, follow=True)
    outbox_send_due()
    second = client.post(reverse("checkup_nudge"), nudge, follow=True)
    outbox_send_due()

    assert first.redirect_chain == [(reverse("checkup_completion") + "?quarter=2026-Q3", 302)]
    assert "Nudged Ana Alvarez about Northwind Systems (2026-Q3)." in text(first.content.decode())
    assert "Ana Alvarez was already nudged today about Northwind Systems (2026-Q3): nothing sent again." in text(
        second.content.decode()
    )
    assert "Northwind Systems 2026-Q3, due 14 Oct 2026 Draft 37 days overdue Already nudged today" in text(second.content.decode())
    (message,) = mail.outbox
    assert message.to == ["ana@example.com"]
    assert message.subject == "[Partner Health] Overdue: your 2026-Q3 check-up of Northwind Systems"
    assert (
        "Lena Fischer asks you to finish your 2026-Q3 check-up of Northwind Systems. "
        "It was due on Wednesday 14 October 2026, 37 days ago."
    ) in message.body
    checkup = Checkup.objects.get(partner=portfolio["northwind"], period__code="2026-Q3")
    assert f"Open the check-up: {settings.SITE_URL}/checkups/{checkup.pk}/" in message.body
    assert f'<a href="{settings.SITE_URL}/checkups/{checkup.pk}/">Open the check-up</a>' in message.alternatives[0][0]
    nudge_row = CheckupNudge.objects.get()
    assert (nudge_row.checkup_id, nudge_row.nudged_by, nudge_row.status) == (checkup.pk, lena, "sent")


def test_the_next_day_the_same_check_up_can_be_nudged_again(portfolio, lena, ana):
    checkup_nudge(user=lena, partner_id=portfolio["northwind"].pk, rater_id=ana.pk, quarter="2026-Q3")
    with time_machine.travel(TODAY + dt.timedelta(days=1), tick=False):
        outcome = checkup_nudge(user=lena, partner_id=portfolio["northwind"].pk, rater_id=ana.pk, quarter="2026-Q3")

    assert len(outcome.nudged) == 1
    assert list(CheckupNudge.objects.order_by("nudged_on").values_list("nudged_on", flat=True)) == [
        dt.date(2026, 11, 20),
        dt.date(2026, 11, 21),
    ]


def test_nudging_a_check_up_nobody_opened_opens_it_as_a_draft_to_link_to(portfolio, lena, ana):
    outcome = checkup_nudge(user=lena, partner_id=portfolio["northwind"].pk, rater_id=ana.pk, quarter="2026-Q4")
    outbox_send_due()

    checkup = Checkup.objects.get(partner=portfolio["northwind"], period__code="2026-Q4", rater=ana)
    assert (checkup.status, checkup.last_saved_at) == ("draft", None)
    assert [str(n) for n in outcome.nudged] == ["Northwind Systems (2026-Q4, Ana Alvarez)"]
    (message,) = mail.outbox
    assert message.subject == "[Partner Health] Reminder: your 2026-Q4 check-up of Northwind Systems"
    assert "It is due on Thursday 14 January 2027." in message.body
    assert f"/checkups/{checkup.pk}/" in message.body


def test_nudge_all_emails_each_of_a_managers_missing_check_ups_once(portfolio, lena, ana):
    checkup_nudge(user=lena, partner_id=portfolio["northwind"].pk, rater_id=ana.pk, quarter="2026-Q3")

    response = client_for(lena).post(reverse("checkup_nudge_manager"), {"manager": ana.pk, "quarter": ""}, follow=True)
    again = checkups_nudge_manager(user=lena, manager_id=ana.pk)
    outbox_send_due()

    page = text(response.content.decode())
    assert "Nudged Ana Alvarez about Northwind Systems (2026-Q4)." in page
    assert "Ana Alvarez was already nudged today" not in page and "1 already nudged today" in page
    assert (again.nudged, len(again.already)) == ([], 2)
    assert sorted(m.subject for m in mail.outbox) == [
        "[Partner Health] Overdue: your 2026-Q3 check-up of Northwind Systems",
        "[Partner Health] Reminder: your 2026-Q4 check-up of Northwind Systems",
    ]


def test_a_check_up_submitted_before_its_nudge_went_out_is_not_emailed(portfolio, lena, ana):
    checkup_nudge(user=lena, partner_id=portfolio["northwind"].pk, rater_id=ana.pk, quarter="2026-Q3")
    Checkup.objects.filter(partner=portfolio["northwind"], period__code="2026-Q3").update(
        status="submitted", submitted_at=timezone.now()
    )

    report = outbox_send_due()

    assert (report.skipped, mail.outbox) == (1, [])


@pytest.mark.parametrize(
    ("partner", "quarter", "error"),
    [
        ("cedar", "2026-Q3", "That check-up for 2026-Q3 has been submitted: there is nothing to nudge."),
        ("summit", "2026-Q3", "That account manager owes no check-up of that partner."),
        (
            "northwind",
            "2025-Q1",
            r"Only this quarter's and last quarter's check-ups can be nudged \(2026-Q4, 2026-Q3\).",
        ),
        ("northwind", "last year", "'last year' is not a period; write it as YYYY-Qn, e.g. 2026-Q3."),
    ],
)
def test_a_nudge_that_cannot_be_sent_is_refused_with_the_reason_and_changes_nothing(
    portfolio, lena, ana, partner, quarter, error
):
    with pytest.raises(NudgeError, match=error):
        checkup_nudge(user=lena, partner_id=portfolio[partner].pk, rater_id=ana.pk, quarter=quarter)

    assert not CheckupNudge.objects.exists()


def test_a_refused_nudge_keeps_the_leader_on_the_page_with_a_one_line_reason(portfolio, lena, ana):
    client = client_for(lena)

    empty = client.post(reverse("checkup_nudge"), {"back_manager": ana.pk})
    done = client.post(
        reverse("checkup_nudge"), {"partner": portfolio["cedar"].pk, "rater": ana.pk, "quarter": "2026-Q3"}
    )

    assert empty.status_code == done.status_code == 400
    assert "Choose a check-up to nudge." in text(empty.content.decode())
    assert "Summit Logistics" not in text(empty.content.decode()), "the manager filter it came from is kept"
    assert "That check-up for 2026-Q3 has been submitted" in text(done.content.decode())
    assert not CheckupNudge.objects.exists()


def test_only_leadership_can_nudge(portfolio, ana, ben):
    with pytest.raises(NudgeError, match=r"Only leadership can nudge a check-up\."):
        checkup_nudge(user=ben, partner_id=portfolio["northwind"].pk, rater_id=ana.pk, quarter="2026-Q3")
    response = client_for(ben).post(
        reverse("checkup_nudge"), {"partner": portfolio["northwind"].pk, "rater": ana.pk, "quarter": "2026-Q3"}
    )
    assert response.status_code == 403
    assert not CheckupNudge.objects.exists()


def test_a_rater_without_an_email_address_is_reported_not_nudged(portfolio, lena, ana):
    ana.email = ""
    ana.save()

    outcome = checkups_nudge_manager(user=lena, manager_id=ana.pk)

    assert (outcome.nudged, len(outcome.no_email)) == ([], 2)
    assert not CheckupNudge.objects.exists()


# --- the dashboard tile and the weekly digest -----------------------------------------------


def test_the_dashboards_completion_tile_links_to_the_completion_page(lena, ana, items):
    partner = PartnerFactory(owners=[ana])
    period = PeriodFactory.of("2026-Q3")
    submitted_checkup(items=items, answers=answers_for(items), partner=partner, period=period, rater=ana)
    with transaction.atomic():
        snapshots_recompute(pairs={(partner.id, period.id)})

    html = client_for(lena).get(reverse("dashboard")).content.decode()

    start = html.index('id="tile-completion"')
    assert f'href="{reverse("checkup_completion")}"' in html[start : html.index("</div></div></div>", start)]


def test_a_quarter_stands_for_the_portfolio_from_half_the_best_coverage():
    assert well_covered(50, best=100) and well_covered(100, best=100)
    assert not well_covered(49, best=100)
    assert not well_covered(0, best=0)


def _score(items, partner, rater, code):
    period = PeriodFactory.of(code)
    submitted_checkup(items=items, answers=answers_for(items), partner=partner, period=period, rater=rater)
    with transaction.atomic():
        snapshots_recompute(pairs={(partner.id, period.id)})


def test_the_weekly_digest_says_when_its_quarter_has_too_few_check_ups_to_stand_for_the_portfolio(lena, ana, items):
    partners = [PartnerFactory(name=f"Partner {n}", owners=[ana]) for n in range(5)]
    for partner in partners:
        _score(items, partner, ana, "2026-Q2")
    for partner in partners[:2]:
        _score(items, partner, ana, "2026-Q3")

    digest_queue()
    outbox_send_due()

    (digest,) = mail.outbox
    line = (
        "Only 2 partners scored in 2026-Q3, against 5 in the best-covered quarter: "
        "too few check-ups for it to stand for the portfolio yet."
    )
    assert "Bands in 2026-Q3: Healthy 2, Watch 0, At risk 0, Critical 0.\n" + line in digest.body
    html = next(content for content, kind in digest.alternatives if kind == "text/html")
    assert "<strong>Only 2 partners scored in 2026-Q3</strong>, against 5 in the best-covered quarter" in html


def test_a_well_covered_quarter_needs_no_such_warning(lena, ana, items):
    partners = [PartnerFactory(name=f"Partner {n}", owners=[ana]) for n in range(4)]
    for partner in partners:
        _score(items, partner, ana, "2026-Q2")
    for partner in partners[:2]:
        _score(items, partner, ana, "2026-Q3")

    digest_queue()
    outbox_send_due()

    (digest,) = mail.outbox
    assert "Bands in 2026-Q3" in digest.body and "too few check-ups" not in digest.body
