"""Reads of rubric versions, and their translation into the pure scoring model."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from assessments.models import Rubric, RubricItem, RubricVersion
from assessments.scoring import BandThresholds, ItemSpec, RubricSpec, Scale, ScoringModel


def rubric_version_current() -> RubricVersion:
    return RubricVersion.objects.get(is_current=True)


def rubric_items(*, version_id: int) -> list[RubricItem]:
    """Every item of a version in form order, with its rubric loaded."""
    return list(_rubric_items(version_id))


@lru_cache(maxsize=16)
def _rubric_items(version_id: int) -> tuple[RubricItem, ...]:
    # Published versions never change, so every page can share one read per process.
    return tuple(
        RubricItem.objects.filter(rubric__version_id=version_id)
        .select_related("rubric")
        .order_by("rubric__position", "position")
    )


def rubric_item_index(*, version_id: int) -> dict[str, RubricItem]:
    """``{"characteristics.trust": item, ...}`` for one version."""
    return {item.address: item for item in rubric_items(version_id=version_id)}


def band_thresholds() -> BandThresholds:
    return BandThresholds(
        healthy=settings.HEALTH_BAND_HEALTHY,
        watch=settings.HEALTH_BAND_WATCH,
        at_risk=settings.HEALTH_BAND_AT_RISK,
    )


@lru_cache(maxsize=16)
def _scoring_model(version_id: int, thresholds: BandThresholds) -> ScoringModel:
    # A published version never changes, so its model can be cached per process.
    rubrics = []
    for rubric in Rubric.objects.filter(version_id=version_id).prefetch_related("items").order_by("position"):
        items = tuple(ItemSpec(item.key, float(item.weight)) for item in rubric.items.all())
        rubrics.append(RubricSpec(rubric.key, Scale(rubric.scale), items, float(rubric.weight)))
    return ScoringModel(rubrics=tuple(rubrics), thresholds=thresholds)


def scoring_model(*, version_id: int) -> ScoringModel:
    return _scoring_model(version_id, band_thresholds())
