"""A rubric version is frozen once a check-up uses it: the admin shows it read-only and offers to
publish an editable copy; scoring caches only frozen versions, so an edit of an unused one counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments.models import RubricItem, RubricVersion
from assessments.selectors.rubrics import rubric_items, rubric_version_current, scoring_model
from assessments.tests.factories import CheckupFactory, PartnerFactory, PeriodFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def item_form(item: RubricItem, **changes) -> dict:
    data = {
        "rubric": item.rubric_id,
        "key": item.key,
        "title": item.title,
        "question": item.question,
        "guidance_low": item.guidance_low,
        "guidance_high": item.guidance_high,
        "weight": str(item.weight),
        "position": item.position,
    }
    return {**data, **changes}


def use(version: RubricVersion) -> None:
    CheckupFactory(
        partner=PartnerFactory(), period=PeriodFactory.of("2026-Q4"), rater=UserFactory(), rubric_version=version
    )


def test_a_version_used_by_a_check_up_is_read_only_in_the_admin(admin_client):
    version = rubric_version_current()
    use(version)
    item = RubricItem.objects.filter(rubric__version=version).first()
    original = item.weight
    url = reverse("admin:assessments_rubricitem_change", args=[item.pk])

    page = admin_client.get(url).content.decode()
    assert "is used by check-ups, so it can no longer change" in page
    assert 'name="_save"' not in page
    response = admin_client.post(url, item_form(item, weight="9"))
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.weight == original
    version_page = admin_client.get(reverse("admin:assessments_rubricversion_change", args=[version.pk]))
    assert 'name="_save"' not in version_page.content.decode()
    delete = admin_client.post(reverse("admin:assessments_rubricitem_delete", args=[item.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert RubricItem.objects.filter(pk=item.pk).exists()


def test_publishing_a_copy_gives_an_editable_current_version_whose_edits_score_at_once(admin_client):
    v1 = rubric_version_current()
    use(v1)

    response = admin_client.post(
        reverse("admin:assessments_rubricversion_changelist"),
        {"action": "publish_copy", "_selected_action": [v1.pk]},
        follow=True,
    )
    v2 = rubric_version_current()
    assert v2.number == v1.number + 1
    assert f"Published v{v2.number} as the current version, copied from v{v1.number}" in response.content.decode()

    item = RubricItem.objects.get(rubric__version=v2, rubric__key="characteristics", key="quality")
    before = scoring_model(version_id=v2.pk)  # read before the edit, as a form or the scan might
    rubric_items(version_id=v2.pk)
    response = admin_client.post(
        reverse("admin:assessments_rubricitem_change", args=[item.pk]), item_form(item, weight="3.00")
    )
    assert response.status_code == 302
    after = scoring_model(version_id=v2.pk)
    weight = next(i.weight for r in after.rubrics if r.key == "characteristics" for i in r.items if i.key == "quality")
    assert weight == 3.0, "an unused version is not cached, so its edit counts at once"
    assert before != after

    use(v2)
    assert admin_client.post(
        reverse("admin:assessments_rubricitem_change", args=[item.pk]), item_form(item, weight="5.00")
    ).status_code == 403
    v1_weight = next(
        i.weight for r in scoring_model(version_id=v1.pk).rubrics if r.key == "characteristics" for i in r.items
        if i.key == "quality"
    )
    assert v1_weight == 1.0, "the old version's check-ups keep their weights"


def test_a_used_versions_items_are_read_once_per_process(django_assert_num_queries):
    version = rubric_version_current()
    use(version)
    rubric_items(version_id=version.pk)
    scoring_model(version_id=version.pk)
    with django_assert_num_queries(0):
        rubric_items(version_id=version.pk)
        scoring_model(version_id=version.pk)


def test_the_publish_action_copies_exactly_one_version(admin_client):
    v1 = rubric_version_current()
    v0 = RubricVersion.objects.create(number=0)
    response = admin_client.post(
        reverse("admin:assessments_rubricversion_changelist"),
        {"action": "publish_copy", "_selected_action": [v1.pk, v0.pk]},
        follow=True,
    )
    assert "Select exactly one version to copy." in response.content.decode()
    assert rubric_version_current() == v1
