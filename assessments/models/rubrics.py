from __future__ import annotations

from django.db import models

from assessments.scoring import Scale


class RubricVersion(models.Model):
    """A published set of the three rubrics with their weights.

    An checkup points at the version it was scored with, so history stays
    comparable when weights or items change. Exactly one version is current.
    """

    number = models.PositiveIntegerField(unique=True)
    is_current = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=models.Q(is_current=True), name="one_current_rubric_version"
            ),
        ]

    def __str__(self) -> str:
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

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="rubric_key_unique_per_version"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="rubric_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.version})"


class RubricItem(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="items")
    key = models.SlugField(max_length=40)
    title = models.CharField(max_length=100)
    question = models.CharField(max_length=300)
    guidance_low = models.TextField(help_text="What the low end of the scale looks like.")
    guidance_high = models.TextField(help_text="What the high end of the scale looks like.")
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=1)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rubric", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "key"], name="item_key_unique_per_rubric"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="item_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        return f"{self.rubric.key}.{self.key}"
