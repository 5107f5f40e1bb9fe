from django.contrib import admin

from assessments import models


class RubricItemInline(admin.TabularInline):
    model = models.RubricItem
    extra = 0


class RubricInline(admin.TabularInline):
    model = models.Rubric
    extra = 0
    show_change_link = True


@admin.register(models.RubricVersion)
class RubricVersionAdmin(admin.ModelAdmin):
    list_display = ["number", "is_current", "published_at"]
    list_filter = ["is_current"]
    search_fields = ["notes"]
    inlines = [RubricInline]


@admin.register(models.Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "version", "scale", "weight"]
    list_filter = ["version", "scale"]
    search_fields = ["key", "title"]
    inlines = [RubricItemInline]


@admin.register(models.RubricItem)
class RubricItemAdmin(admin.ModelAdmin):
    list_display = ["title", "key", "rubric", "weight", "position"]
    list_filter = ["rubric__version", "rubric__key"]
    search_fields = ["key", "title", "question"]


@admin.register(models.Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["code", "starts_on", "ends_on", "due_on"]
    list_filter = ["year"]
    search_fields = ["code"]


class EngagementInline(admin.TabularInline):
    model = models.Engagement
    extra = 0


@admin.register(models.Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "segment", "annual_revenue", "payment_terms_days", "cadence", "is_active"]
    list_filter = ["kind", "segment", "cadence", "is_active", "owners"]
    search_fields = ["name", "owners__email", "owners__last_name"]
    filter_horizontal = ["owners"]
    autocomplete_fields = ["executive_sponsor"]
    inlines = [EngagementInline]


@admin.register(models.Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ["title", "partner", "client", "status", "value", "started_on", "ended_on"]
    list_filter = ["status", "partner__kind"]
    search_fields = ["title", "client", "partner__name"]
    autocomplete_fields = ["partner"]


@admin.register(models.Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["partner", "occurred_on", "kind", "face_to_face", "created_by"]
    list_filter = ["kind", "face_to_face"]
    search_fields = ["partner__name", "summary"]
    autocomplete_fields = ["partner"]
    date_hierarchy = "occurred_on"


class AnswerInline(admin.TabularInline):
    model = models.Answer
    extra = 0
    raw_id_fields = ["item"]


@admin.register(models.Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["partner", "period", "rater", "status", "submitted_at", "revision", "evaluated_at"]
    list_filter = ["status", "period", "rubric_version", "info_withheld", "abusive_behaviour"]
    search_fields = ["partner__name", "rater__email", "rater__username"]
    raw_id_fields = ["partner", "rater"]
    inlines = [AnswerInline]


@admin.register(models.Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["assessment", "item", "value"]
    list_filter = ["scale", "item__rubric__key"]
    search_fields = ["assessment__partner__name", "item__key", "comment"]
    raw_id_fields = ["assessment", "item"]


@admin.register(models.AssessmentRevision)
class AssessmentRevisionAdmin(admin.ModelAdmin):
    list_display = ["assessment", "number", "submitted_at", "amended_by"]
    search_fields = ["assessment__partner__name"]
    raw_id_fields = ["assessment"]


@admin.register(models.ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["description", "partner", "owner", "due_on", "done_at"]
    list_filter = ["period"]
    search_fields = ["description", "owner", "partner__name"]
    raw_id_fields = ["partner", "assessment"]


@admin.register(models.PartnerSnapshot)
class PartnerSnapshotAdmin(admin.ModelAdmin):
    list_display = ["partner", "period", "health", "band", "health_delta", "rater_count", "disagreement"]
    list_filter = ["band", "period"]
    search_fields = ["partner__name"]
    raw_id_fields = ["partner"]


class AlertDeliveryInline(admin.TabularInline):
    model = models.AlertDelivery
    extra = 0
    raw_id_fields = ["recipient"]


@admin.register(models.Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["partner", "period", "rule", "severity", "status", "created_at"]
    list_filter = ["severity", "status", "rule", "period"]
    search_fields = ["partner__name", "explanation"]
    raw_id_fields = ["partner"]
    inlines = [AlertDeliveryInline]


@admin.register(models.AlertDelivery)
class AlertDeliveryAdmin(admin.ModelAdmin):
    list_display = ["alert", "recipient", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["alert__partner__name", "recipient__email"]
    raw_id_fields = ["alert", "recipient"]


@admin.register(models.Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["assessment", "kind", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["assessment__partner__name", "recipient__email"]
    raw_id_fields = ["assessment", "recipient"]
