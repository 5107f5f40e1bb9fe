"""Reads of rubric versions, and their translation into the pure scoring model."""

from __future__ import annotations

from django.conf import settings

from assessments.models import Checkup, Rubric, RubricItem, RubricVersion, SurveyResponse
from assessments.scoring import BandThresholds, ItemSpec, RubricSpec, Scale, ScoringModel


def rubric_version_current() -> RubricVersion:
    return RubricVersion.objects.get(is_current=True)


def rubric_version_partner_current() -> RubricVersion:
    """The mirror survey's version in use: the partner audience's newest (never ``is_current``)."""
    return RubricVersion.objects.filter(audience=RubricVersion.Audience.PARTNER).order_by("-number").first()


def rubric_items(*, version_id: int) -> list[RubricItem]:
    """Every item of a version in form order, with its rubric loaded."""
    return list(_rubric_items(version_id))


# A version that a check-up uses is frozen (the admin refuses to edit it; a change is a new
# version), so each process keeps its items and scoring model for good. An unused version
# may still be edited, so it is read afresh every time; it is rarely read.
_frozen_items: dict[int, tuple[RubricItem, ...]] = {}
_frozen_models: dict[tuple[int, BandThresholds], ScoringModel] = {}


def rubric_version_is_used(version_id: int) -> bool:
    """True once any check-up or mirror survey response (draft or submitted) points at the version:
    it may no longer change."""
    return (
        Checkup.objects.filter(rubric_version_id=version_id).exists()
        or SurveyResponse.objects.filter(rubric_version_id=version_id).exists()
    )


def rubric_caches_clear() -> None:
    _frozen_items.clear()
    _frozen_models.clear()


def _rubric_items(version_id: int) -> tuple[RubricItem, ...]:
    items = _frozen_items.get(version_id)
    if items is None:
        items = tuple(
            RubricItem.objects.filter(rubric__version_id=version_id)
            .select_related("rubric")
            .order_by("rubric__position", "position")
        )
        if rubric_version_is_used(version_id):
            _frozen_items[version_id] = items
    return items


def rubric_item_index(*, version_id: int) -> dict[str, RubricItem]:
    """``{"characteristics.trust": item, ...}`` for one version."""
    return {item.address: item for item in rubric_items(version_id=version_id)}


def band_thresholds() -> BandThresholds:
    return BandThresholds(
        healthy=settings.HEALTH_BAND_HEALTHY,
        watch=settings.HEALTH_BAND_WATCH,
        at_risk=settings.HEALTH_BAND_AT_RISK,
    )


def _scoring_model(version_id: int, thresholds: BandThresholds, min_coverage: float) -> ScoringModel:
    model = _frozen_models.get((version_id, thresholds, min_coverage))
    if model is not None:
        return model
    rubrics = []
    for rubric in Rubric.objects.filter(version_id=version_id).prefetch_related("items").order_by("position"):
        items = tuple(ItemSpec(item.key, float(item.weight)) for item in rubric.items.all())
        rubrics.append(RubricSpec(rubric.key, Scale(rubric.scale), items, float(rubric.weight)))
    model = ScoringModel(rubrics=tuple(rubrics), thresholds=thresholds, min_coverage=min_coverage)
    if rubric_version_is_used(version_id):
        _frozen_models[(version_id, thresholds, min_coverage)] = model
    return model


def scoring_model(*, version_id: int) -> ScoringModel:
    return _scoring_model(version_id, band_thresholds(), settings.MIN_RUBRIC_COVERAGE)
