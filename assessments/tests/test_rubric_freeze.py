"""A rubric version that check-ups use never gains, loses or changes a rubric or an item, by any route:
the admin (the version a row moves *to* counts, not only the one it is in), the model API from a
shell, and on PostgreSQL writes that skip ``save()`` (a database trigger, migration 0010)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from assessments.models import Rubric, RubricItem, RubricVersion, RubricVersionFrozen
from assessments.services.rubrics import rubric_version_publish
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, UserFactory
from conftest import service_missing

pytestmark = pytest.mark.django_db

FROZEN = r"v1 is used by check-ups, so its rubrics and items can no longer be added, removed, moved or changed"


@pytest.fixture
def used(rubric_version) -> RubricVersion:
    CheckupFactory(partner=PartnerFactory(), period=PeriodFactory.of("2026-Q3"), rater=UserFactory(),
                      rubric_version=rubric_version)
    assert rubric_version.number == 1
    return rubric_version


@pytest.fixture
def unused(used) -> RubricVersion:
    return rubric_version_publish(based_on=used, notes="draft")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def item_count(version: RubricVersion) -> int:
    return RubricItem.objects.filter(rubric__version=version).count()


def new_item(rubric: Rubric, **fields) -> RubricItem:
    return RubricItem(
        rubric=rubric, key=fields.pop("key", "responsiveness"), title="Responsiveness",
        question="How fast do they answer?", guidance_low="Days.", guidance_high="Minutes.", position=9, **fields,
    )


@pytest.fixture
def triggers(db):
    if connection.vendor != "postgresql":
        service_missing("the frozen-version trigger is PostgreSQL's (set DATABASE_URL=postgres://…)")


def refused_by_the_database(write) -> None:
    with pytest.raises(IntegrityError, match="rubric version is frozen"), transaction.atomic():
        write()


def test_moving_an_item_of_an_unused_version_into_a_used_one_is_refused_with_a_clear_error(used, unused):
    item = RubricItem.objects.filter(rubric__version=unused).first()
    item.rubric = used.rubrics.get(key="characteristics")

    with pytest.raises(RubricVersionFrozen, match=FROZEN):
        item.save()
    assert item_count(used) == 18
    assert RubricItem.objects.get(pk=item.pk).rubric.version == unused


def test_moving_an_item_into_a_used_version_is_refused_by_the_database_when_save_is_skipped(triggers, used, unused):
    item = RubricItem.objects.filter(rubric__version=unused).first()
    characteristics = used.rubrics.get(key="characteristics")

    refused_by_the_database(lambda: RubricItem.objects.filter(pk=item.pk).update(rubric=characteristics))
    assert item_count(used) == 18


def test_moving_a_rubric_of_an_unused_version_into_a_used_one_is_refused(used, unused):
    rubric = unused.rubrics.get(key="traits")
    rubric.version, rubric.key = used, "traits_again"

    with pytest.raises(RubricVersionFrozen, match=FROZEN):
        rubric.save()
    assert used.rubrics.count() == 3
    assert item_count(used) == 18


def test_the_database_refuses_every_write_to_a_used_versions_rubrics_and_items(triggers, used, unused):
    rubric = unused.rubrics.get(key="traits")
    characteristics = used.rubrics.get(key="characteristics")
    item = RubricItem.objects.filter(rubric__version=used).first()

    refused_by_the_database(lambda: Rubric.objects.filter(pk=rubric.pk).update(version=used, key="traits_again"))
    refused_by_the_database(lambda: RubricItem.objects.bulk_create([new_item(characteristics)]))
    refused_by_the_database(
        lambda: Rubric.objects.bulk_create([Rubric(version=used, key="extra", title="Extra", scale="rating")])
    )
    refused_by_the_database(lambda: RubricItem.objects.filter(pk=item.pk).delete())
    refused_by_the_database(lambda: Rubric.objects.filter(version=used, key="symptoms").delete())
    refused_by_the_database(lambda: RubricItem.objects.filter(pk=item.pk).update(weight=9))
    # The unused version's rows still move, change and go freely.
    RubricItem.objects.filter(rubric__version=unused, key="trust").update(weight=2)
    RubricItem.objects.filter(rubric__version=unused, key="trust").delete()
    assert used.rubrics.count() == 3
    assert item_count(used) == 18
    assert item_count(unused) == 17


def test_a_used_version_gains_no_item_or_rubric(used):
    characteristics = used.rubrics.get(key="characteristics")

    with pytest.raises(RubricVersionFrozen, match=FROZEN):
        new_item(characteristics).save()
    with pytest.raises(RubricVersionFrozen, match=FROZEN):
        Rubric.objects.create(version=used, key="extra", title="Extra", scale="rating")
    assert item_count(used) == 18 and used.rubrics.count() == 3


def test_a_used_version_loses_no_item_or_rubric(used):
    item = RubricItem.objects.filter(rubric__version=used).first()
    rubric = used.rubrics.get(key="symptoms")

    with pytest.raises(RubricVersionFrozen, match=FROZEN):
        item.delete()
    with pytest.raises(RubricVersionFrozen, match=FROZEN):
        rubric.delete()
    assert item_count(used) == 18 and used.rubrics.count() == 3


def test_an_item_of_a_used_version_cannot_change(used):
    item = RubricItem.objects.filter(rubric__version=used).first()
    item.weight = 9
    with pytest.raises(RubricVersionFrozen, match=FROZEN):
        item.save()
    item.refresh_from_db()
    assert item.weight == 1


def test_an_unused_version_stays_fully_editable(used, unused):
    other = rubric_version_publish(based_on=unused)
    item = RubricItem.objects.filter(rubric__version=unused).first()
    item.rubric = other.rubrics.get(key=item.rubric.key)
    item.key = "moved"
    item.save()
    new_item(unused.rubrics.get(key="traits")).save()
    RubricItem.objects.filter(rubric__version=other, key="moved").update(weight=2)
    RubricItem.objects.filter(rubric__version=other, key="moved").delete()

    assert item_count(unused) == 18
    assert item_count(other) == 18


def test_full_clean_names_the_frozen_version_on_the_field(used, unused):
    from django.core.exceptions import ValidationError

    item = RubricItem.objects.filter(rubric__version=unused).first()
    item.rubric = used.rubrics.get(key="characteristics")
    with pytest.raises(ValidationError, match=FROZEN) as error:
        item.full_clean()
    assert "rubric" in error.value.message_dict


def admin_item_form(item: RubricItem, **changes) -> dict:
    data = {
        "rubric": item.rubric_id, "key": item.key, "title": item.title, "question": item.question,
        "guidance_low": item.guidance_low, "guidance_high": item.guidance_high, "weight": str(item.weight),
        "position": item.position,
    }
    return {**data, **changes}


def test_the_admin_refuses_to_move_an_item_of_an_unused_version_into_a_used_one(admin_client, used, unused):
    item = RubricItem.objects.filter(rubric__version=unused).first()
    target = used.rubrics.get(key="characteristics")
    url = reverse("admin:assessments_rubricitem_change", args=[item.pk])

    page = admin_client.get(url).content.decode()
    assert f'value="{target.pk}"' not in page, "a used version's rubrics are not offered"
    response = admin_client.post(url, admin_item_form(item, rubric=target.pk))

    assert response.status_code == 200
    assert "belongs to a rubric version that check-ups use" in response.content.decode()
    assert item_count(used) == 18
    item.refresh_from_db()
    assert item.rubric.version == unused


def test_the_admin_refuses_to_add_an_item_to_a_used_version(admin_client, used, unused):
    target = used.rubrics.get(key="characteristics")
    response = admin_client.post(
        reverse("admin:assessments_rubricitem_add"), admin_item_form(new_item(target), rubric=target.pk)
    )
    assert response.status_code == 200
    assert "belongs to a rubric version that check-ups use" in response.content.decode()
    assert item_count(used) == 18


def test_the_admin_refuses_to_move_a_rubric_into_a_used_version(admin_client, used, unused):
    rubric = unused.rubrics.get(key="traits")
    url = reverse("admin:assessments_rubric_change", args=[rubric.pk])
    data = {
        "version": used.pk, "key": "traits_moved", "title": rubric.title, "description": rubric.description,
        "source": rubric.source, "scale": rubric.scale, "weight": str(rubric.weight), "position": rubric.position,
        "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "is a version that check-ups use" in response.content.decode()
    assert used.rubrics.count() == 3
