from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from assessments.models.audit import audit_trail
from assessments.models.partners import Partner, Period
from assessments.models.rubrics import Rubric, RubricItem, RubricVersion
from assessments.scoring import Band, Scale
from assessments.vocabulary import BAND_LABELS


class Checkup(models.Model):
    """One rater's check-up of one partner for one period."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="checkups")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="checkups")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checkups")
    rubric_version = models.ForeignKey(RubricVersion, on_delete=models.PROTECT, related_name="checkups")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Null until the rater first saves anything: the check-up is "not started".
    last_saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every amendment of a submitted check-up.
    revision = models.PositiveIntegerField(default=0)
    # Set once decline detection has looked at this submission (see trends).
    evaluated_at = models.DateTimeField(null=True, blank=True)

    # Cut-bait red flags (001): late payment against terms, information
    # withheld, rude or abusive interactions.
    days_to_pay = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How many days this partner actually takes to pay."
    )
    info_withheld = models.BooleanField(default=False)
    abusive_behaviour = models.BooleanField(default=False)
    notes = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)

    # Saving a draft and evaluating a submission touch these often and change nothing anyone reviews.
    history = audit_trail(
        excluded_fields=["last_saved_at", "evaluated_at"], table_name="assessments_historicalassessment"
    )

    class Meta:
        db_table = "assessments_assessment"  # the model was called Assessment; its table keeps the name
        verbose_name = "check-up"
        verbose_name_plural = "check-ups"
        ordering = ["-period__year", "-period__quarter", "partner__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "period", "rater"],
                name="one_assessment_per_rater_period",
                violation_error_message="This rater already has a check-up of this partner for this period.",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(submitted_at__isnull=False),
                name="submitted_assessment_has_timestamp",
                violation_error_message="A submitted check-up needs the time it was submitted.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "evaluated_at"], name="assessment_unevaluated_idx"),
            models.Index(fields=["rater", "period"], name="assessment_rater_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.period} by {self.rater}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class Answer(models.Model):
    checkup = models.ForeignKey(Checkup, db_column="assessment_id", on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(RubricItem, on_delete=models.PROTECT, related_name="answers")
    # Copied from the rubric so the database itself can enforce the range.
    scale = models.CharField(max_length=10, choices=Rubric.ScaleChoice.choices)
    # Null: "not applicable / don't know" (docs/SCORING.md); the item is left out of the score.
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.CharField(max_length=1000, blank=True)

    history = audit_trail()

    class Meta:
        verbose_name = "answer"
        verbose_name_plural = "answers"
        constraints = [
            models.UniqueConstraint(
                fields=["checkup", "item"],
                name="one_answer_per_item",
                violation_error_message="This check-up already has an answer for this item.",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(value__isnull=True)
                    | models.Q(
                        scale=Scale.RATING.value,
                        value__gte=Scale.RATING.bounds[0],
                        value__lte=Scale.RATING.bounds[1],
                    )
                    | models.Q(
                        scale=Scale.INTENSITY.value,
                        value__gte=Scale.INTENSITY.bounds[0],
                        value__lte=Scale.INTENSITY.bounds[1],
                    )
                ),
                name="answer_value_within_scale",
                violation_error_message="The answer is outside its scale: 1 to 5 for a rating, 0 to 3 for an intensity.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}={'n/a' if self.value is None else self.value}"

    @property
    def not_applicable(self) -> bool:
        return self.value is None


class CheckupRevision(models.Model):
    """The answers of a submitted check-up as they were before an amendment."""

    checkup = models.ForeignKey(Checkup, db_column="assessment_id", on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    # {"characteristics.trust": {"value": 4, "comment": "..."}, ...}
    answers = models.JSONField()
    red_flags = models.JSONField(default=dict)
    notes = models.TextField(blank=True)
    submitted_at = models.DateTimeField()
    amended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "assessments_assessmentrevision"
        verbose_name = "check-up revision"
        verbose_name_plural = "check-up revisions"
        ordering = ["checkup", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["checkup", "number"],
                name="revision_number_unique",
                violation_error_message="This check-up already has a revision with this number.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.checkup} revision {self.number}"


class ActionItem(models.Model):
    """What you and your partner will do to make it thrive again (002).

    An action has one owner (an owner of the partner or a leadership user,
    checked by ``services.actions``), a due date, and may name the rubric items
    it is meant to improve; ``baseline_period`` is the quarter whose scores
    stood when it was agreed, so "did the plan work" compares later quarters
    with it (``selectors.actions``). ``case`` is the risk case the action answers,
    if any (the rule of docs/ACTIONS.md, "Actions and cases").
    """

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="action_items")
    checkup = models.ForeignKey(
        Checkup, db_column="assessment_id", on_delete=models.CASCADE, related_name="action_items", null=True, blank=True
    )
    # The quarter the action was agreed in (a check-up's quarter, or the current one).
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="action_items")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items")
    due_on = models.DateField()
    items = models.ManyToManyField(RubricItem, blank=True, related_name="action_items")
    note = models.TextField(blank=True)
    # The case it is part of: added from the case page, or agreed while the partner's case was
    # unresolved. A string reference: models.cases imports this module's neighbours.
    case = models.ForeignKey(
        "assessments.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    # The last quarter scored when the action was agreed (null: nothing scored yet).
    baseline_period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "action item"
        verbose_name_plural = "action items"
        ordering = ["due_on", "id"]
        indexes = [
            # An owner's open actions (My check-ups) and the reminder scan read these.
            models.Index(fields=["owner", "done_at", "due_on"], name="action_owner_open_idx"),
            models.Index(fields=["done_at", "due_on"], name="action_open_due_idx"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class PartnerSnapshot(models.Model):
    """The scored state of one partner in one period, combined over raters.

    Dashboards and trend detection read this table, never raw answers. It is
    recomputed in the same transaction as any write that changes its inputs.
    """

    BAND_CHOICES = [(band.value, BAND_LABELS[band]) for band in Band]

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="snapshots")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="snapshots")
    rubric_version = models.ForeignKey(RubricVersion, on_delete=models.PROTECT, related_name="+")
    health = models.FloatField()
    band = models.CharField(max_length=10, choices=BAND_CHOICES)
    # Change in health since the partner's previous snapshot (null for the first).
    health_delta = models.FloatField(null=True, blank=True)
    rubric_scores = models.JSONField()
    item_means = models.JSONField()
    item_spread = models.JSONField()
    contributions = models.JSONField()
    red_flags = models.JSONField(default=dict)
    rater_count = models.PositiveSmallIntegerField()
    disagreement = models.FloatField()
    # The partner's view of us this quarter, from its contacts' submitted mirror surveys, scored by
    # the same engine: {"health", "band", "rubric_scores", "item_means", "responses"} (null: none yet).
    partner_view = models.JSONField(null=True, blank=True)
    # Its health as a column the database keeps in step (a generated column): the dashboard's
    # perception-gap column and "their view of us dropped" tile read it from an index alone.
    partner_view_health = models.GeneratedField(
        expression=Cast(KT("partner_view__health"), models.FloatField()),
        output_field=models.FloatField(),
        db_persist=True,
    )
    # Share (0-1) of the weight answered rather than "not applicable", overall and per rubric.
    coverage = models.FloatField(default=1.0)
    rubric_coverage = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "partner snapshot"
        verbose_name_plural = "partner snapshots"
        ordering = ["partner", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "period"],
                name="one_snapshot_per_partner_period",
                violation_error_message="This partner already has a snapshot for this period.",
            ),
            models.CheckConstraint(
                condition=models.Q(health__gte=0, health__lte=100),
                name="snapshot_health_0_100",
                violation_error_message="Health must lie between 0 and 100.",
            ),
        ]
        indexes = [
            models.Index(fields=["period", "band"], name="snapshot_period_band_idx"),
            models.Index(fields=["period", "health"], name="snapshot_period_health_idx"),
            # The dashboard's roll-up cache key reads the newest computed_at on every page view.
            models.Index(fields=["computed_at"], name="snapshot_computed_at_idx"),
            # The dashboard's tiles and heatmap count read these columns for one period from the
            # index alone: the JSON columns make a row kilobytes wide, so heap reads dominate.
            # (Key columns rather than INCLUDE, which SQLite lacks.)
            models.Index(
                fields=["period", "partner", "health", "band", "health_delta"],
                name="snapshot_period_covering_idx",
            ),
            # The dashboard's "their view of us dropped" tile reads only the snapshots holding a
            # partner's view: a few among thousands, found here without reading the others.
            models.Index(
                fields=["period", "partner", "partner_view_health"],
                condition=models.Q(partner_view_health__isnull=False),
                name="snapshot_period_view_idx",
            ),
            # The API pages a quarter's snapshots in id order (its cursor): this walks them in that order.
            models.Index(fields=["period", "id"], name="snapshot_period_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.period}: {self.health:.1f} ({self.band})"
