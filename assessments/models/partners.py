from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from assessments.models.audit import audit_trail
from assessments.periods import PeriodError, Quarter


class Period(models.Model):
    """A calendar quarter. ``code`` is the ``YYYY-Qn`` form used everywhere."""

    code = models.CharField(max_length=7, unique=True)
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    starts_on = models.DateField()
    ends_on = models.DateField()
    # The day a check-up for this quarter becomes overdue.
    due_on = models.DateField()

    class Meta:
        verbose_name = "period"
        verbose_name_plural = "periods"
        ordering = ["year", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "quarter"],
                name="period_year_quarter_unique",
                violation_error_message="There is already a period for this year and quarter.",
            ),
            models.CheckConstraint(
                condition=models.Q(quarter__gte=1, quarter__lte=4),
                name="period_quarter_1_4",
                violation_error_message="The quarter must be 1, 2, 3 or 4.",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def value(self) -> Quarter:
        return Quarter(self.year, self.quarter)

    def clean(self) -> None:
        # Forms (the admin's too) refuse a period outside the supported range with its reason.
        if self.year is None or self.quarter is None:
            return
        try:
            Quarter(self.year, self.quarter).check_supported()
        except PeriodError as error:
            raise ValidationError(str(error)) from None

    @classmethod
    def fields_for(cls, quarter: Quarter) -> dict:
        return {
            "code": quarter.code,
            "year": quarter.year,
            "quarter": quarter.quarter,
            "starts_on": quarter.starts_on,
            "ends_on": quarter.ends_on,
            "due_on": quarter.ends_on + dt.timedelta(days=settings.CHECKUP_GRACE_DAYS),
        }


class Partner(models.Model):
    class Kind(models.TextChoices):
        ALLIANCE = "alliance", "Alliance partner"
        VENDOR = "vendor", "Vendor"
        RESELLER = "reseller", "Reseller"
        CLIENT = "client", "Client"

    class Segment(models.TextChoices):
        # The 80/20 rule (004): only about a fifth of partners will value a
        # trusted partnership; some more could become one; the rest are regular.
        STRATEGIC = "strategic", "Strategic (trusted)"
        DEVELOPING = "developing", "Developing (could become trusted)"
        REGULAR = "regular", "Regular"

    class Cadence(models.TextChoices):
        QUARTERLY = "quarterly", "Quarterly"
        MONTHLY = "monthly", "Monthly"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ALLIANCE)
    segment = models.CharField(max_length=20, choices=Segment.choices, default=Segment.REGULAR)
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="owned_partners", blank=True)
    executive_sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sponsored_partners",
    )
    annual_revenue = models.DecimalField("annual joint revenue", max_digits=14, decimal_places=2, default=0)
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.QUARTERLY)
    # The partner's id in the CRM, so a sync can find it again (docs/API.md); blank when not synced.
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Untick to archive the partner: it leaves the lists, the dashboard and the reminders; "
        "its history stays.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = audit_trail(m2m_fields=[owners])

    class Meta:
        verbose_name = "partner"
        verbose_name_plural = "partners"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(annual_revenue__gte=0),
                name="partner_revenue_not_negative",
                violation_error_message="Revenue cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Engagement(models.Model):
    """A joint piece of work with a partner for a client.

    Joint wins and losses are the evidence behind "chasing rainbows" (002).
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="engagements")
    client = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    # The CRM's id for it: a sync writes the same engagement again rather than a copy (docs/API.md).
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        verbose_name = "engagement"
        verbose_name_plural = "engagements"
        ordering = ["-started_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__gte=0),
                name="engagement_value_not_negative",
                violation_error_message="The value cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(started_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="engagement_ends_after_start",
                violation_error_message="An engagement cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.client})"


class Interaction(models.Model):
    """A meeting, call or review: frequency and meeting in person are evidence (001, 002, 003)."""

    class Kind(models.TextChoices):
        MEETING = "meeting", "Meeting"
        CALL = "call", "Call"
        QBR = "qbr", "Quarterly business review"
        WORKSHOP = "workshop", "Workshop or training"
        EMAIL = "email", "E-mail exchange"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="interactions")
    occurred_on = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    face_to_face = models.BooleanField(default=False)
    summary = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "interaction"
        verbose_name_plural = "interactions"
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["partner", "occurred_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_on}"
