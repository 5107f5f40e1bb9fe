from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from assessments.models import Rubric, RubricItem, RubricVersion


@transaction.atomic
def rubric_version_publish(
    *, based_on: RubricVersion, weights: dict[str, float] | None = None, notes: str = ""
) -> RubricVersion:
    """Publish a new current version copied from ``based_on``, with changed item weights.

    Versions are immutable once used, so a change of weights is always a new
    version; earlier check-ups keep pointing at the version they were scored with.
    """
    weights = weights or {}
    audience = based_on.audience
    number = (RubricVersion.objects.filter(audience=audience).aggregate(n=Max("number"))["n"] or 0) + 1
    # The partner survey's line is never "current": its newest version is the one in use.
    internal = audience == RubricVersion.Audience.INTERNAL
    if internal:
        RubricVersion.objects.filter(is_current=True).update(is_current=False)
    version = RubricVersion.objects.create(
        number=number,
        audience=audience,
        is_current=internal,
        notes=notes,
        free_text_question=based_on.free_text_question,
    )
    for rubric in Rubric.objects.filter(version=based_on).prefetch_related("items"):
        items = list(rubric.items.all())
        rubric.pk, rubric.version = None, version
        rubric.save()
        RubricItem.objects.bulk_create(
            RubricItem(
                rubric=rubric,
                key=i.key,
                title=i.title,
                question=i.question,
                guidance_low=i.guidance_low,
                guidance_high=i.guidance_high,
                position=i.position,
                weight=weights.get(f"{rubric.key}.{i.key}", i.weight),
            )
            for i in items
        )
    unknown = set(weights) - {i.address for i in RubricItem.objects.filter(rubric__version=version)}
    if unknown:
        raise ValueError(f"unknown items: {', '.join(sorted(unknown))}")
    return version
