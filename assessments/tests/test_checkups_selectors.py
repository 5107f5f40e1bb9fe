import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from assessments.display import value_label
from assessments.models import Checkup, Partner
from assessments.selectors.checkups import (
    CheckupState,
    checkup_result,
    my_checkups,
)
from assessments.selectors.partners import partner_overview
from assessments.services.checkups import CheckupInput, checkup_amend
from assessments.services.demo import demo_seed
from assessments.services.snapshots import snapshots_recompute
from assessments.tests.factories import (
    ActionItemFactory,
    CheckupFactory,
    InteractionFactory,
    PartnerFactory,
    PeriodFactory,
    UserFactory,
    answers_for,
    submitted_checkup,
)

pytestmark = pytest.mark.django_db

# 2026-Q4 runs to 31 Dec; its check-ups fall due 14 days later.
IN_Q4 = dt.date(2026, 11, 20)
AFTER_Q4_DUE = dt.date(2027, 1, 20)


@pytest.fixture
def manager():
    return UserFactory(username="ana", first_name="Ana", last_name="Alvarez", role="account_manager")


def score(items, partner, code, rater, **answers):
    period = PeriodFactory.of(code)
    checkup = submitted_checkup(
        items=items, answers=answers_for(items, **answers), partner=partner, period=period, rater=rater
    )
    with transaction.atomic():
        snapshots_recompute(pairs={(partner.id, period.id)})
    return checkup


def test_value_labels_pair_every_number_with_a_word():
    assert value_label("rating", 4) == "4 · Good"
    assert value_label("intensity", 0) == "0 · None"
    assert value_label("intensity", 2.5) == "2.5 · Severe"
    assert value_label("rating", 3.25) == "3.2 · Adequate"
    assert value_label("rating", None) == "—"


def test_my_checkups_lists_this_quarters_checkups_with_state_due_date_and_overdue_flag(manager):
    q4 = PeriodFactory.of("2026-Q4")
    a, b, c = (PartnerFactory(name=n, owners=[manager]) for n in ("Acme", "Bluepeak", "Cedar"))
    CheckupFactory(partner=a, period=q4, rater=manager)
    CheckupFactory(partner=b, period=q4, rater=manager, last_saved_at=timezone.now())
    CheckupFactory(
        partner=c, period=q4, rater=manager, status=Checkup.Status.SUBMITTED, submitted_at=timezone.now()
    )

    on_time = my_checkups(user=manager, today=IN_Q4)

    assert [(r.partner.name, r.state, r.due_on, r.overdue) for r in on_time.current] == [
        ("Acme", CheckupState.NOT_STARTED, dt.date(2027, 1, 14), False),
        ("Bluepeak", CheckupState.DRAFT, dt.date(2027, 1, 14), False),
        ("Cedar", CheckupState.SUBMITTED, dt.date(2027, 1, 14), False),
    ]
    assert on_time.open_count == 2
    assert on_time.overdue_count == 0
    after_due = my_checkups(user=manager, today=AFTER_Q4_DUE)
    assert [(r.partner.name, r.overdue) for _, rows in after_due.past for r in rows] == [
        ("Acme", True),
        ("Bluepeak", True),
        ("Cedar", False),
    ]


def test_a_checkup_not_submitted_after_its_due_date_is_overdue(manager):
    q3 = PeriodFactory.of("2026-Q3")  # due 14 Oct 2026
    CheckupFactory(partner=PartnerFactory(owners=[manager]), period=q3, rater=manager)

    result = my_checkups(user=manager, today=IN_Q4)

    (period, rows), *_ = result.past
    assert period.code == "2026-Q3"
    assert rows[0].overdue is True
    assert result.overdue_count == 1


def test_an_owned_partner_without_a_checkup_this_quarter_is_listed_as_not_started(manager):
    PartnerFactory(name="Newly assigned", owners=[manager])
    PartnerFactory(name="Dormant", owners=[manager], is_active=False)

    result = my_checkups(user=manager, today=IN_Q4)

    assert [(r.partner.name, r.checkup, r.state) for r in result.current] == [
        ("Newly assigned", None, CheckupState.NOT_STARTED)
    ]
    assert result.current[0].due_on == dt.date(2027, 1, 14)


def test_my_checkups_never_shows_another_managers_checkups(manager):
    other = UserFactory(username="ben", role="account_manager")
    CheckupFactory(partner=PartnerFactory(owners=[other]), period=PeriodFactory.of("2026-Q4"), rater=other)

    result = my_checkups(user=manager, today=IN_Q4)

    assert result.current == [] and result.past == []


def test_past_quarters_are_grouped_newest_first_with_the_partners_health(manager, items):
    partner = PartnerFactory(name="Acme", owners=[manager])
    score(items, partner, "2026-Q2", manager, rating=4)
    score(items, partner, "2026-Q3", manager, rating=3)

    result = my_checkups(user=manager, today=IN_Q4)

    assert [p.code for p, _ in result.past] == ["2026-Q3", "2026-Q2"]
    assert [rows[0].snapshot.health for _, rows in result.past] == [50.0, 75.0]
    assert all(rows[0].state == CheckupState.SUBMITTED for _, rows in result.past)


def test_the_result_shows_the_score_the_change_since_last_quarter_and_what_moved(manager, items):
    partner = PartnerFactory(owners=[manager])
    score(items, partner, "2026-Q2", manager, rating=4)
    checkup = score(
        items, partner, "2026-Q3", manager, rating=4, characteristics__trust=1, symptoms__chasing_rainbows=3
    )

    result = checkup_result(user=manager, checkup_id=checkup.id)

    assert result["snapshot"].health_delta == pytest.approx(result["snapshot"].health - 75.0, abs=0.01)
    assert result["previous"].period.code == "2026-Q2"
    assert result["own_score"].health == pytest.approx(result["snapshot"].health, abs=0.01)
    assert [m.title for m in result["movements"]] == ["Chasing rainbows", "Trust between the organisations"]
    assert result["movements"][1].before == "4 · Good" and result["movements"][1].after == "1 · Poor"
    assert result["movements"][0].effect < 0
    assert result["can_edit"] is True


def test_the_result_history_lists_what_each_amendment_changed(manager, items):
    partner = PartnerFactory(owners=[manager])
    checkup = score(items, partner, "2026-Q3", manager, rating=4)
    checkup_amend(
        user=manager,
        checkup_id=checkup.id,
        data=CheckupInput(answers=answers_for(items, rating=4, traits__honesty=2)),
    )

    (entry,) = checkup_result(user=manager, checkup_id=checkup.id)["revisions"]

    assert entry["revision"].number == 0
    assert entry["changes"] == [{"title": "Honesty", "before": "4 · Good", "after": "2 · Weak"}]


def test_leadership_may_read_a_result_but_not_edit_it(manager, items):
    checkup = score(items, PartnerFactory(owners=[manager]), "2026-Q3", manager)
    lena = UserFactory(username="lena", role="leadership")

    assert checkup_result(user=lena, checkup_id=checkup.id)["can_edit"] is False
    with pytest.raises(Checkup.DoesNotExist):
        checkup_result(user=UserFactory(username="ben", role="account_manager"), checkup_id=checkup.id)


def test_partner_overview_reads_eight_quarters_of_snapshots_and_the_item_comparison(manager, items):
    partner = PartnerFactory(owners=[manager])
    for code in ["2024-Q3", "2025-Q1", "2025-Q4", "2026-Q2"]:
        score(items, partner, code, manager, rating=4)
    score(items, partner, "2026-Q3", manager, rating=4, traits__honesty=2, symptoms__little_interaction=2)

    overview = partner_overview(user=manager, partner_id=partner.id, today=IN_Q4)

    assert [row["code"] for row in overview["health"]] == [
        "2024-Q4",
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
    ]
    assert overview["chart"]["health"][:2] == [None, 75.0]
    assert overview["latest"].period.code == "2026-Q3"
    assert overview["previous"].period.code == "2026-Q2"
    rows = {row["item"].address: row for row in overview["comparison"]["rows"]}
    assert rows["traits.honesty"]["before"] == "4 · Good" and rows["traits.honesty"]["after"] == "2 · Weak"
    assert rows["traits.honesty"]["change"] == -2.0 and rows["traits.honesty"]["moved_most"]
    assert rows["characteristics.trust"]["change"] == 0 and not rows["characteristics.trust"]["moved_most"]
    little = next(r for r in overview["symptoms"]["rows"] if r["item"].key == "little_interaction")
    assert [c["label"] for c in little["cells"]][-2:] == ["0 · None", "2 · Moderate"]
    assert overview["can_edit"] is True


def test_the_current_quarter_joins_the_window_once_it_is_scored(manager, items):
    partner = PartnerFactory(owners=[manager])
    score(items, partner, "2026-Q4", manager, rating=5)

    overview = partner_overview(user=manager, partner_id=partner.id, today=IN_Q4)

    assert overview["health"][-1]["code"] == "2026-Q4"
    assert overview["latest"].health == 100.0
    assert overview["previous"] is None


def test_partner_overview_groups_action_items_and_hides_those_of_drafts(manager):
    partner = PartnerFactory(owners=[manager])
    q2, q3, q4 = (PeriodFactory.of(c) for c in ("2026-Q2", "2026-Q3", "2026-Q4"))
    ActionItemFactory(partner=partner, period=q3, description="From last quarter")
    ActionItemFactory(partner=partner, period=q2, description="Older, open")
    ActionItemFactory(partner=partner, period=q2, description="Older, done", done_at=timezone.now())
    draft = CheckupFactory(partner=partner, period=q4, rater=manager)
    ActionItemFactory(partner=partner, period=q4, checkup=draft, description="Still a draft")

    actions = partner_overview(user=manager, partner_id=partner.id, today=IN_Q4)["actions"]

    assert [a.description for a in actions["last"]] == ["From last quarter"]
    assert [a.description for a in actions["earlier_open"]] == ["Older, open"]
    assert actions["current"] == []
    assert actions["last_code"] == "2026-Q3"


def test_partner_overview_counts_interactions_per_quarter_and_face_to_face(manager):
    partner = PartnerFactory(owners=[manager])
    InteractionFactory(partner=partner, occurred_on=dt.date(2026, 8, 1), face_to_face=True)
    InteractionFactory(partner=partner, occurred_on=dt.date(2026, 8, 9), face_to_face=False, kind="call")
    InteractionFactory(partner=partner, occurred_on=dt.date(2026, 10, 2), face_to_face=True)

    interactions = partner_overview(user=manager, partner_id=partner.id, today=IN_Q4)["interactions"]

    per_quarter = {q["code"]: (q["count"], q["face_to_face"]) for q in interactions["per_quarter"]}
    assert per_quarter["2026-Q3"] == (2, 1)
    assert "2026-Q4" not in per_quarter  # not scored yet, so the window ends at Q3
    assert interactions["total"] == 3
    assert interactions["rows"][0].occurred_on == dt.date(2026, 10, 2)


def test_partner_overview_is_scoped_to_the_user(manager):
    theirs = PartnerFactory(owners=[UserFactory(username="ben", role="account_manager")])
    with pytest.raises(Partner.DoesNotExist):
        partner_overview(user=manager, partner_id=theirs.id)
    overview = partner_overview(user=UserFactory(username="lena", role="leadership"), partner_id=theirs.id)
    assert overview["can_edit"] is False


def test_partner_overview_reads_in_a_fixed_number_of_queries(manager, items, django_assert_max_num_queries):
    partner = PartnerFactory(owners=[manager])
    for code in ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]:
        score(items, partner, code, manager)
        InteractionFactory(partner=partner, occurred_on=PeriodFactory.of(code).starts_on)
        ActionItemFactory(partner=partner, period=PeriodFactory.of(code), items=[items["characteristics.trust"]])

    # 12, the partner's case, the partner's findings by quarter ("why it declined", while a case is
    # open), and the actions' linked rubric items and the snapshots that show their progress.
    with django_assert_max_num_queries(16):
        partner_overview(user=manager, partner_id=partner.id, today=IN_Q4)


def test_the_demo_data_gives_every_demo_account_manager_open_checkups_this_quarter(rubric_version):
    demo_seed()

    for username in ("ana", "ben", "chloe"):
        user = get_user_model().objects.get(username=username)
        current = my_checkups(user=user).current
        assert current, username
        assert all(row.checkup is not None and row.state == CheckupState.NOT_STARTED for row in current)


def test_partner_overview_counts_a_log_longer_than_the_page_in_the_database(manager):
    # 52 interactions: the page shows 50, and the counts come from the grouped query,
    # which must agree with the in-memory count used for shorter logs.
    partner = PartnerFactory(owners=[manager])
    for day in range(1, 41):
        InteractionFactory(partner=partner, occurred_on=dt.date(2026, 7, 1) + dt.timedelta(days=day), face_to_face=day % 4 == 0)
    for day in range(1, 13):
        InteractionFactory(partner=partner, occurred_on=dt.date(2026, 4, 1) + dt.timedelta(days=day), face_to_face=False)

    interactions = partner_overview(user=manager, partner_id=partner.id, today=IN_Q4)["interactions"]

    per_quarter = {q["code"]: (q["count"], q["face_to_face"]) for q in interactions["per_quarter"]}
    assert per_quarter["2026-Q3"] == (40, 10)
    assert per_quarter["2026-Q2"] == (12, 0)
    assert interactions["total"] == 52
    assert len(interactions["rows"]) == 50
    assert interactions["rows"][0].occurred_on == dt.date(2026, 8, 10)
