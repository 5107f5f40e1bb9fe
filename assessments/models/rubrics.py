from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from assessments.models.audit import audit_trail
from assessments.scoring import Scale


class RubricVersionFrozen(Exception):
    """A write that would add, remove, move or edit a rubric or item of a version check-ups use.

    Scores depend on a used version and every process caches it for good
    (selectors/rubrics.py), so it never changes: a change is a new version.
    The same rule is also a database trigger (migration 0010), for writes that skip ``save()``.
    """

    def __init__(self, number: int | None):
        self.number = number
        name = f"v{number}" if number is not None else "This rubric version"
        super().__init__(
            f"{name} is used by check-ups, so its rubrics and items can no longer be added, removed, moved or "
            "changed. Publish a new version from it and edit that."
        )


def _frozen_version(version_ids) -> int | None:
    """The number of the first of these versions that a check-up uses, or None."""
    ids = [v for v in version_ids if v is not None]
    used = models.Q(checkups__isnull=False) | models.Q(survey_responses__isnull=False)
    return RubricVersion.objects.filter(used, pk__in=ids).values_list("number", flat=True).first()


def _refuse_frozen(version_ids) -> None:
    number = _frozen_version(version_ids)
    if number is not None:
        raise RubricVersionFrozen(number)


class RubricVersion(models.Model):
    """A published set of the three rubrics with their weights.

    An checkup points at the version it was scored with, so history stays
    comparable when weights or items change. Exactly one internal version is current.

    The partner's mirror survey (``audience=partner``) is a version line of its own, numbered
    from 1: its rubrics reuse our item keys (traits, symptoms) worded from the partner's side, so
    both views line up item by item. A partner version is never ``is_current``: the mirror survey
    uses the partner version with the highest number (selectors/rubrics.py).
    """

    class Audience(models.TextChoices):
        INTERNAL = "internal", "Our account managers"
        PARTNER = "partner", "The partner's contacts (mirror survey)"

    number = models.PositiveIntegerField()
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    is_current = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    # The partner survey's optional free-text question ("What is one thing we should do differently?").
    free_text_question = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(auto_now_add=True)

    history = audit_trail()

    class Meta:
        verbose_name = "rubric version"
        verbose_name_plural = "rubric versions"
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["audience", "number"],
                name="rubric_version_number_unique_per_audience",
                violation_error_message="This audience already has a rubric version with this number.",
            ),
            models.CheckConstraint(
                condition=models.Q(audience="internal") | models.Q(is_current=False),
                name="only_internal_rubric_version_current",
                violation_error_message="Only a version for our account managers can be current.",
            ),
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="one_current_rubric_version",
                violation_error_message="Only one rubric version can be current; publish a new one to replace it.",
            ),
        ]

    def __str__(self) -> str:
        if self.audience == self.Audience.PARTNER:
            return f"partner v{self.number}"
        return f"v{self.number}"


class Rubric(models.Model):
    class ScaleChoice(models.TextChoices):
        RATING = Scale.RATING.value, "Rating 1-5"
        INTENSITY = Scale.INTENSITY.value, "Intensity 0-3"

    version = models.ForeignKey(RubricVersion, on_delete=models.CASCADE, related_name="rubrics")
    key = models.SlugField(max_length=40)
    title = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=200, blank=True)
    scale = models.CharField(max_length=10, choices=ScaleChoice.choices)
    # Share of the base score (rating rubrics only).
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=1)
    position = models.PositiveSmallIntegerField(default=0)

    history = audit_trail()

    class Meta:
        verbose_name = "rubric"
        verbose_name_plural = "rubrics"
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "key"],
                name="rubric_key_unique_per_version",
                violation_error_message="This version already has a rubric with this key.",
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0),
                name="rubric_weight_positive",
                violation_error_message="The weight must be more than zero.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.version})"

    def save(self, *args, **kwargs):
        _refuse_frozen(self._versions())
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_frozen(self._versions())
        return super().delete(*args, **kwargs)

    def _versions(self) -> set:
        """The version this rubric is in now (as stored) and the one it is being saved into."""
        stored = Rubric.objects.filter(pk=self.pk).values_list("version_id", flat=True) if self.pk else []
        return {self.version_id, *stored}

    def clean(self) -> None:
        super().clean()
        number = _frozen_version({self.version_id})
        if number is not None:
            raise ValidationError({"version": str(RubricVersionFrozen(number))})


class RubricItem(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="items")
    key = models.SlugField(max_length=40)
    title = models.CharField(max_length=100)
    question = models.CharField(max_length=300)
    guidance_low = models.TextField(help_text="What the low end of the scale looks like.")
    guidance_high = models.TextField(help_text="What the high end of the scale looks like.")
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=1)
    position = models.PositiveSmallIntegerField(default=0)

    history = audit_trail()

    class Meta:
        verbose_name = "rubric item"
        verbose_name_plural = "rubric items"
        ordering = ["rubric", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["rubric", "key"],
                name="item_key_unique_per_rubric",
                violation_error_message="This rubric already has an item with this key.",
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0),
                name="item_weight_positive",
                violation_error_message="The weight must be more than zero.",
            ),
        ]

    def __str__(self) -> str:
        return self.address

    def save(self, *args, **kwargs):
        _refuse_frozen(self._versions())
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_frozen(self._versions())
        return super().delete(*args, **kwargs)

    def _versions(self) -> set:
        """The version this item is in now (as stored) and the one it is being saved into."""
        target = Rubric.objects.filter(pk=self.rubric_id).values_list("version_id", flat=True)
        stored = (
            RubricItem.objects.filter(pk=self.pk).values_list("rubric__version_id", flat=True) if self.pk else []
        )
        return {*target, *stored}

    def clean(self) -> None:
        super().clean()
        number = _frozen_version(Rubric.objects.filter(pk=self.rubric_id).values_list("version_id", flat=True))
        if number is not None:
            raise ValidationError({"rubric": str(RubricVersionFrozen(number))})

    @property
    def address(self) -> str:
        return f"{self.rubric.key}.{self.key}"
