"""Migration 0008_action_plan: the free-text owner becomes a user, and nothing written before is lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from assessments.tests.alerting import ensure_rubric_v1

BEFORE = [("assessments", "0007_checkup_nudges")]
AFTER = [("assessments", "0008_action_plan")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    """Later tests need every migration applied, whatever this one leaves behind."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_free_text_owner_is_carried_over_to_a_user_and_unmatched_text_is_kept_in_the_note():
    ensure_rubric_v1()  # an earlier transactional test's flush may have removed the rubric rows
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    Group = old.get_model("auth", "Group")
    Partner = old.get_model("assessments", "Partner")
    Period = old.get_model("assessments", "Period")
    Assessment = old.get_model("assessments", "Assessment")
    ActionItem = old.get_model("assessments", "ActionItem")
    RubricVersion = old.get_model("assessments", "RubricVersion")

    ana = User.objects.create(username="ana", first_name="Ana", last_name="Alvarez", email="ana@example.com")
    ben = User.objects.create(username="ben", first_name="Ben", last_name="Okafor", email="ben@example.com")
    chloe = User.objects.create(username="chloe", first_name="Chloe", last_name="Dubois")
    lena = User.objects.create(username="lena", first_name="Lena", last_name="Fischer")
    lena.groups.add(Group.objects.get_or_create(name="leadership")[0])
    northwind = Partner.objects.create(name="Northwind Systems")
    northwind.owners.add(ben)  # added first: the fallback owner
    northwind.owners.add(ana)
    orphan = Partner.objects.create(name="Orphan Ltd")
    q3 = Period.objects.create(
        code="2026-Q3",
        year=2026,
        quarter=3,
        starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2026, 9, 30),
        due_on=dt.date(2026, 10, 14),
    )
    submitted = dt.datetime(2026, 10, 9, 15, 30, tzinfo=dt.UTC)
    checkup = Assessment.objects.create(
        partner=orphan,
        period=q3,
        rater=chloe,
        rubric_version=RubricVersion.objects.get(number=1),
        status="submitted",
        submitted_at=submitted,
    )
    written = {}
    for text, partner, assessment in [
        ("Ana Alvarez", northwind, None),
        ("  ANA ", northwind, None),
        ("ben@example.com", northwind, None),
        ("Ben", northwind, None),
        ("Lena Fischer", northwind, None),
        ("Account manager", northwind, None),
        ("Their CFO", orphan, checkup),
    ]:
        written[text] = ActionItem.objects.create(
            partner=partner,
            assessment=assessment,
            period=q3,
            description=f"Action for {text.strip()}",
            owner=text,
            due_on=dt.date(2026, 12, 31),
        ).pk

    new = migrate(AFTER)

    rows = {
        text: new.get_model("assessments", "ActionItem").objects.select_related("owner").get(pk=pk)
        for text, pk in written.items()
    }
    assert {text: (row.owner.username, row.note) for text, row in rows.items()} == {
        "Ana Alvarez": ("ana", ""),
        "  ANA ": ("ana", ""),
        "ben@example.com": ("ben", ""),
        "Ben": ("ben", ""),
        "Lena Fischer": ("lena", ""),
        "Account manager": ("ben", 'Owner first recorded as "Account manager".'),
        # No owner on the partner: the check-up's rater.
        "Their CFO": ("chloe", 'Owner first recorded as "Their CFO".'),
    }
    assert all(row.baseline_period_id == q3.pk for row in rows.values())
    assert (rows["Their CFO"].created_by_id, rows["Their CFO"].created_at) == (chloe.pk, submitted)
    assert rows["Ana Alvarez"].created_by_id is None
    assert rows["Ana Alvarez"].created_at.date() == dt.date(2026, 7, 1)
    assert all(row.description == f"Action for {text.strip()}" for text, row in rows.items())

    # And back: the text returns, from the note where it was kept there.
    back = migrate(BEFORE)
    texts = dict(back.get_model("assessments", "ActionItem").objects.values_list("pk", "owner"))
    assert texts[written["Account manager"]] == "Account manager"
    assert texts[written["Their CFO"]] == "Their CFO"
    assert texts[written["  ANA "]] == "Ana Alvarez"
    migrate(AFTER)
